#!/usr/bin/env bash
# Time from starting a card to its first ping answered across the virtual
# LAN: with an address by DHCP (no --ip: the card's client, the hub's
# server) against a fixed --ip, RUNS times each (alternating), medians.
#
#   ns A: the card started and stopped --veth--+-- ns H: hub, dhcp:
#   ns B: a card with --ip 192.168.99.2/24 --veth--+   192.168.99.10-250/24
#
# Figures only. Knobs: RUNS (10). With --ip the address is there before
# the session is up, so a first ping sent too early leaves an unanswered
# ARP whose retry (1 s) the next ping may wait for: that is the spread of
# the --ip figures.
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
RUNS=${RUNS:-10}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"

star 99
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
sed -i '/^  - name: DEFAULT$/a\    dhcp: {enabled: true, range: "192.168.99.10-192.168.99.250", netmask: 255.255.255.0}' \
  "$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_listen "$H" 0.0.0.0 7777 15 "$PID_hub" hub
FP=$(fingerprint hub)
start nicB "$B" "$SOFTETHER" --nic --connect 10.99.2.1:7777 --user bench \
  --password-file "$WORK/pw" --fingerprint "$FP" --ip 192.168.99.2/24
wait_log nicB 'vpn0 up' 30

# once MODE: seconds from the card's start to the first answered ping.
once() {
  local ip=() t0 t1 pid i
  [ "$1" = static ] && ip=(--ip 192.168.99.3/24)
  t0=$(date +%s.%N)
  ip netns exec "$A" "$SOFTETHER" --nic --connect 10.99.1.1:7777 --user bench \
    --password-file "$WORK/pw" --fingerprint "$FP" --mac 5e:00:00:00:99:0a \
    "${ip[@]}" >>"$WORK/nicA.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 1500; i++)); do
    ip netns exec "$A" ping -c 1 -W 0.05 192.168.99.2 >/dev/null 2>&1 && break
    sleep 0.01
  done
  t1=$(date +%s.%N)
  kill -TERM $pid
  wait $pid 2>/dev/null || true
  [ "$i" -lt 1500 ] || { echo "no answer within 15 s ($1)" >&2; echo 99; return; }
  python3 -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1"
}
dhcp=() static=()
for ((r = 0; r < RUNS; r++)); do
  dhcp+=("$(once dhcp)")
  static+=("$(once static)")
done
python3 - "${dhcp[*]}" "${static[*]}" <<'PY'
import statistics, sys
d = [float(x) for x in sys.argv[1].split()]
s = [float(x) for x in sys.argv[2].split()]
print("start to first ping answered, %d runs each (s): DHCP %s" % (len(d), " ".join("%.2f" % x for x in d)))
print("                                                  --ip %s" % " ".join("%.2f" % x for x in s))
print("figures: median DHCP %.2f s, --ip %.2f s (%+.2f s)"
      % (statistics.median(d), statistics.median(s), statistics.median(d) - statistics.median(s)))
PY
