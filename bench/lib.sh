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

# iperf_par STREAMS CLIENT_NS SERVER_NS ADDR: like iperf_bps with STREAMS
# parallel TCP streams (iperf3 -P), bounded in time; prints the summed bits/s
# received and bytes.
iperf_par() {
  local out
  ip netns exec "$3" timeout $((SECS + 30)) iperf3 -s -1 -B "$4" >/dev/null 2>&1 &
  local srv=$!
  wait_listen "$3" "$4" 5201
  out=$(ip netns exec "$2" timeout $((SECS + 20)) iperf3 -c "$4" -P "$1" -t "$SECS" \
    --connect-timeout 5000 -J 2>/dev/null) || true
  wait $srv 2>/dev/null || true
  python3 -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum_received"]; print(int(d["bits_per_second"]), int(d["bytes"]))' <<<"$out" 2>/dev/null ||
    fail "iperf3 -P $1 to $4 from $2 gave no result"
}
