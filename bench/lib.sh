# bench/lib.sh: what the benchmarks share, on top of tests/e2e/lib.sh.

HZ=$(getconf CLK_TCK)

# ticks PID...: CPU ticks (user + system) the processes have used so far.
ticks() { local t=0 p; for p in "$@"; do
  t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }

# iperf_bps CLIENT_NS SERVER_NS ADDR: one iperf3 run of $SECS seconds;
# prints bits/s received and bytes.
iperf_bps() {
  local out
  ip netns exec "$2" iperf3 -s -1 -B "$3" >/dev/null 2>&1 &
  local srv=$!
  wait_listen "$2" "$3" 5201
  out=$(ip netns exec "$1" iperf3 -c "$3" -t "$SECS" -J 2>/dev/null)
  wait $srv 2>/dev/null || true
  python3 -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum_received"]; print(int(d["bits_per_second"]), int(d["bytes"]))' <<<"$out"
}

# medians: of the lines of numbers on stdin, how many, then the median of
# each column.
medians() {
  python3 -c 'import sys, statistics as s
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
print(len(rows), *[repr(s.median(c)) for c in zip(*rows)])'
}
