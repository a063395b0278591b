#!/usr/bin/env bash
# Logins per second the hub completes, quiet and while hostile connections
# are held: idle connections from 40 addresses of one IPv6 /64 and from 16
# IPv4 addresses, reopened as soon as the hub closes them (as in
# tests/e2e/test_flood.sh). N cards then start at once from one address.
#
#   ns A (N cards) -- ns H (hub) -- ns X (attacker)
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
N=${N:-30}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"

HOLD="$(dirname "$0")/../tests/e2e/holdconns.py"
H=${PFX}h A=${PFX}a X=${PFX}x
mkns "$H"; mkns "$A"; mkns "$X"
link "$A" va 10.87.1.2/24 "$H" ha 10.87.1.1/24
link "$X" vx 10.87.9.2/24 "$H" hx 10.87.9.1/24
ip -n "$H" addr add 2001:db8:87:9::1/64 dev hx nodad
V6=() V4=()
for i in $(seq 1 40); do
  ip -n "$X" addr add "2001:db8:87:9::$((i + 256))/64" dev vx nodad
  V6+=("2001:db8:87:9::$((i + 256))")
done
for i in $(seq 10 25); do ip -n "$X" addr add "10.87.9.$i/24" dev vx; V4+=("10.87.9.$i"); done
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
sed -i 's/"0.0.0.0:7777"/"0.0.0.0:7777", "[::]:7777"/' "$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
wait_listen "$H" '[::]' 7777

round=0
logins() { # LABEL: N cards at once; prints logins per second
  local t0 t1 i
  round=$((round + 1))
  t0=$(date +%s.%N)
  for ((i = 0; i < N; i++)); do
    start "r${round}c$i" "$A" "$SOFTETHER" --nic --connect 10.87.1.1:7777 \
      --user bench --password-file "$WORK/pw" --known-hubs "$WORK/kh" \
      --tap "r${round}v$i" -q
  done
  for ((i = 0; i < N; i++)); do
    until ip -n "$A" link show "r${round}v$i" 2>/dev/null | grep -q LOWER_UP; do sleep 0.05; done
  done
  t1=$(date +%s.%N)
  echo "$1: $N logins in $(echo "$t1 - $t0" | bc | cut -c1-5) s:" \
    "$(echo "$N / ($t1 - $t0)" | bc -l | cut -c1-5) logins/s"
  for ((i = 0; i < N; i++)); do eval "kill \$PID_r${round}c$i"; done
  sleep 1
}
logins "quiet"
ip netns exec "$X" python3 "$HOLD" 2001:db8:87:9::1 7777 60 20 "${V6[@]}" >"$WORK/x6.log" 2>&1 &
PIDS+=($!)
ip netns exec "$X" python3 "$HOLD" 10.87.9.1 7777 60 40 "${V4[@]}" >"$WORK/x4.log" 2>&1 &
PIDS+=($!)
sleep 4
echo "attack: $(tail -n 1 "$WORK/x6.log" | awk '{print $2}') + $(tail -n 1 "$WORK/x4.log" | awk '{print $2}') connections held"
logins "under attack"
