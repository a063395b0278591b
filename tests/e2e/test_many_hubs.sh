#!/usr/bin/env bash
# 256 virtual hubs on one server, several used at once, each its own segment.
#
#   ns A: cards on hubs H000 H100 H200 H255 (10.1XX.0.1)   \
#                                                           ns H: one hub process, 256 hubs
#   ns B: cards on hubs H000 H100 H200 H255 (10.1XX.0.2)   /
#
# Every pair on the same hub pings; A on H000 cannot reach B on H100 even with
# the address moved into the same subnet. Prints start-up time and memory.
. "$(dirname "$0")/lib.sh"
star 84
printf 'pw\n' >"$WORK/pw"
hash=$("$SOFTETHER" --hash-password <"$WORK/pw")
{
  echo 'listen: ["0.0.0.0:7777"]'
  echo "state_dir: $WORK/state"
  echo "hubs:"
  for i in $(seq 0 255); do
    printf '  - name: H%03d\n    users:\n      - name: u\n        password: "%s"\n' "$i" "$hash"
  done
} >"$WORK/hub.yaml"
"$SOFTETHER" --check-config -c "$WORK/hub.yaml" >/dev/null || fail "256-hub config refused"

# Start once to make the certificate, then time a start on existing state.
start hub0 "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub0 'hub running'
kill -TERM "$PID_hub0"; wait_exit "$PID_hub0" 10
t0=$(date +%s%N)
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'hub running: 256 virtual hubs'
t1=$(date +%s%N)
FP=$(fingerprint hub)
idle_kb=$(awk '/VmRSS/ {print $2}' "/proc/$PID_hub/status")

used=(0 100 200 255)
for i in "${used[@]}"; do
  net=$((100 + i % 100 + i / 100 * 50))
  for side in A B; do
    ns=${!side} hip=10.84.1.1 last=1
    [ $side = B ] && hip=10.84.2.1 last=2
    start "nic$side$i" "$ns" "$SOFTETHER" --nic --connect "$hip:7777" --hub-name "$(printf H%03d "$i")" \
      --user u --password-file "$WORK/pw" --fingerprint "$FP" --tap "v$i" --ip "10.$net.0.$last/24"
  done
done
for i in "${used[@]}"; do wait_log "nicA$i" "v$i up"; wait_log "nicB$i" "v$i up"; done
for i in "${used[@]}"; do
  net=$((100 + i % 100 + i / 100 * 50))
  ip netns exec "$A" ping -c 2 -i 0.2 -W 2 "10.$net.0.2" >/dev/null || fail "ping on hub H$i"
done
ok "4 of 256 hubs in use at once, each pair pings"

# Isolation: put A's H000 card into B's H100 subnet; nothing answers.
ip -n "$A" addr add 10.150.0.9/24 dev v0
ip netns exec "$A" ping -c 2 -i 0.2 -W 1 -I v0 10.150.0.2 >/dev/null && fail "H000 reached H100"
ok "hubs stay separate segments"

busy_kb=$(awk '/VmRSS/ {print $2}' "/proc/$PID_hub/status")
echo "figure: 256 hubs: start-up $(( (t1 - t0) / 1000000 )) ms (to 'hub running', existing state), RSS ${idle_kb} KiB idle, ${busy_kb} KiB with 8 sessions"
