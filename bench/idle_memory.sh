#!/usr/bin/env bash
# Hub memory per idle session: the hub's resident set with no session and
# with N idle TAP cards logged in (one namespace, one process each).
#
#   ns A (N cards, vpn0..vpnN-1) -- veth -- ns H (hub)
#
# Prints the hub's RSS before and after, and the difference per session.
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
N=${N:-40}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"

H=${PFX}h A=${PFX}a
mkns "$H"; mkns "$A"
link "$A" va 10.85.1.2/24 "$H" ha 10.85.1.1/24
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
wait_listen "$H" 0.0.0.0 7777
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID_hub/status"; }
sleep 0.5
before=$(rss)
# One after the other: what is measured is what an idle session keeps, not
# the peak of N handshakes at once (the allocator keeps its high-water mark).
for ((i = 0; i < N; i++)); do
  start "c$i" "$A" "$SOFTETHER" --nic --connect 10.85.1.1:7777 --user bench \
    --password-file "$WORK/pw" --known-hubs "$WORK/kh$i" --tap "vpn$i"
  wait_log "c$i" "vpn$i up" 60
done
sleep 2
after=$(rss)
echo "hub RSS: $before KiB idle, $after KiB with $N idle sessions:" \
  "$(( (after - before) / N )) KiB per session"
