#!/usr/bin/env bash
# Tunnel throughput by transport, as a ratio of the direct transport measured
# in the same run (these machines are shared: only ratios mean anything).
#
#   ns C (card) -- veth -- ns P (router; tinyproxy, danted, sshd) -- veth -- ns H (hub) -- veth -- ns B (card)
#
# The topology of tests/e2e/test_transports.sh, except that P also routes, so
# the direct transport crosses the same hops. Single-stream iperf3 C -> B over
# the virtual LAN, SECS seconds, RUNS rounds; each round connects the card
# through every transport in turn, so a change in the machine's load falls on
# all of them alike. Prints each round and the medians.
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
RUNS=${RUNS:-3}
SECS=${SECS:-4}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"
. "$(dirname "$0")/../tests/e2e/transports_lib.sh"

tr_topology 84 routed
tr_hub
tr_tinyproxy tp 3128 7777
tr_danted dante 1080 none
tr_sshd sshd 2222
tr_ssh_opts id_ok

NAMES=(direct http-proxy socks5 ssh)
WHAT=("routed by P" tinyproxy danted "OpenSSH ssh -W")
via_args() {
  case $1 in
  direct) VIA=() ;;
  http-proxy) VIA=(--via http-proxy --proxy "$PROXY:3128") ;;
  socks5) VIA=(--via socks5 --proxy "$PROXY:1080") ;;
  ssh) VIA=(--via ssh --ssh "root@$PROXY:2222" "${SSH_OPTS[@]}") ;;
  esac
}

iperf_bps() { # -> bits/s received, C -> B over the virtual LAN
  local out srv
  ip netns exec "$B" timeout $((SECS + 20)) iperf3 -s -1 -B "192.168.84.2" >/dev/null 2>&1 &
  srv=$!
  wait_listen "$B" 192.168.84.2 5201
  out=$(ip netns exec "$C" timeout $((SECS + 15)) iperf3 -c 192.168.84.2 -t "$SECS" -J 2>/dev/null) || true
  wait $srv 2>/dev/null || true
  python3 -c 'import json,sys
try: print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))
except Exception: print(0)' <<<"$out"
}

rows=()
for ((r = 1; r <= RUNS; r++)); do
  row=()
  for t in "${NAMES[@]}"; do
    via_args "$t"
    name=c${r}_${t//-/_}
    tr_card "$name" -q "${VIA[@]}"
    for ((i = 0; i < 100; i++)); do
      ip -n "$C" link show vpn0 2>/dev/null | grep -q 'LOWER_UP' && break
      sleep 0.1
    done
    ip netns exec "$C" ping -c 2 -i 0.2 -W 2 192.168.84.2 >/dev/null 2>&1 ||
      fail "$t: no traffic through the tunnel"
    row+=("$(iperf_bps)")
    tr_stop "$name"
  done
  python3 -c 'import sys; n = sys.argv[2::2]; b = sys.argv[3::2]
print(f"round {sys.argv[1]}: " + ", ".join(f"{x} {float(y) / 1e9:.3f}" for x, y in zip(n, b)) + " Gbit/s")' \
    "$r" $(for i in "${!NAMES[@]}"; do echo "${NAMES[$i]} ${row[$i]}"; done)
  rows+=("${row[*]}")
done

printf '%s\n' "${rows[@]}" | python3 -c '
import sys, statistics as s
names, what = sys.argv[1].split(","), sys.argv[2].split(",")
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
med = [s.median(c) for c in zip(*rows)]
print(f"single-stream TCP, card to card through the hub, median of {len(rows)} rounds of {sys.argv[3]} s")
print("%-12s %-16s %8s %16s" % ("transport", "through", "Gbit/s", "ratio to direct"))
for n, w, m in zip(names, what, med):
    ratio = f"{m / med[0]:.3f}" if med[0] else "n/a"
    print(f"{n:<12} {w:<16} {m / 1e9:>8.3f} {ratio:>16}")
' "$(IFS=,; echo "${NAMES[*]}")" "$(IFS=,; echo "${WHAT[*]}")" "$SECS"
