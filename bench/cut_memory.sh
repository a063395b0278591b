#!/usr/bin/env bash
# Hub memory with many cut sessions under broadcast: N cards log in, their
# links are cut (nftables) so the hub keeps their sessions for a resume,
# and another card broadcasts; every cut session queues every broadcast.
# Prints the hub's RSS before and after, and what status says it queued.
#
#   ns A (N cards) -- veth -- ns H (hub) -- veth -- ns B (broadcaster)
#
# QUEUE_MIB sets limits.queue_memory (default 64); FRAMES broadcasts of
# 1400 bytes (default 20000).
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
N=${N:-200}
FRAMES=${FRAMES:-20000}
QUEUE_MIB=${QUEUE_MIB-64}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"

star 86
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
[ -n "$QUEUE_MIB" ] && printf 'limits: {queue_memory: %s}\n' "$QUEUE_MIB" >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q --dead-peer 4 --keepalive 1
wait_listen "$H" 0.0.0.0 7777
for ((i = 0; i < N; i++)); do
  start "c$i" "$A" "$SOFTETHER" --nic --connect 10.86.1.1:7777 --user bench \
    --password-file "$WORK/pw" --known-hubs "$WORK/kh$i" --tap "v$i" -q
  # A few at a time: the hub's per-source rate is 16/s.
  (( i % 12 == 11 )) && sleep 1
done
start bc "$B" "$SOFTETHER" --nic --connect 10.86.2.1:7777 --user bench \
  --password-file "$WORK/pw" --known-hubs "$WORK/khb" --ip 192.168.86.2/24
wait_log bc 'vpn0 up' 30
admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" --json -e status; }
for ((t = 0; t < 120; t++)); do
  up=$(admin | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"])')
  [ "$up" -ge $((N + 1)) ] && break
  sleep 1
done
echo "sessions up: $up"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID_hub/status"; }
before=$(rss)
# The cut: the cards' side drops everything; the hub sees them dead.
ip netns exec "$A" nft -f - <<'NFT'
table inet cut {
  chain i { type filter hook input priority 0; iifname "va" drop; }
  chain o { type filter hook output priority 0; oifname "va" drop; }
}
NFT
sleep 6
ip netns exec "$B" python3 "$(dirname "$0")/../tests/e2e/rawframe.py" bcast vpn0 "$FRAMES" 1400
sleep 2
after=$(rss)
admin | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("status: queued %d MiB of %d MiB, cut queues given up %d" % (
    s.get("queued_bytes", 0) >> 20, s.get("queue_limit", 0) >> 20,
    s.get("queues_shed", 0)))' 2>/dev/null || true
echo "hub RSS: $before KiB with $N idle sessions, $after KiB after $FRAMES" \
  "broadcasts to them cut ($(( (after - before) / 1024 )) MiB more)"
