#!/usr/bin/env bash
# The hub's Prometheus endpoint (metrics.listen), scraped inside the hub's
# namespace.
#
#   ns A (card)                  ns H (hub, runs as nobody)              ns B (card)
#   TAP 192.168.87.1/24          metrics on 127.0.0.1:99             TAP 192.168.87.2/24
#   va 10.87.1.2/24 ----------- ha 10.87.1.1   hb 10.87.2.1 ----------- vb 10.87.2.2/24
#
# Checks: a port below 1024 works though the hub gives up root; the page is
# valid exposition text (promtool if installed, else promcheck.py);
# sessions = 2 with both cards up; a ping raises frames and bytes both
# ways; a wrong password raises failed logins; HEAD, 404, 405; garbage, an
# oversized header, a slow client and many idle connections do not stall
# or hurt the hub (the slow one is cut after the timeout); a reload moves
# the endpoint to another port, and one it cannot open (a port below 1024
# after root is given up) leaves it where it was, saying so.
. "$(dirname "$0")/lib.sh"

PROMCHECK=$(cd "$(dirname "$0")" && pwd)/promcheck.py
METRICS_TIMEOUT=10   # metrics.h: METRICS_TIMEOUT_S

star 87
printf 'alice-secret\n' >"$WORK/alice.pw"
printf 'bob-secret\n' >"$WORK/bob.pw"
printf 'not-the-password\n' >"$WORK/wrong.pw"
hub_config "$WORK/base.yaml" DEFAULT:alice:"$WORK/alice.pw" DEFAULT:bob:"$WORK/bob.pw"
echo "user: nobody" >>"$WORK/base.yaml"
with_metrics() { # ADDR:PORT: the hub's file with metrics.listen set so
  cp "$WORK/base.yaml" "$WORK/hub.yaml"
  printf 'metrics:\n  listen: "%s"\n' "$1" >>"$WORK/hub.yaml"
}
with_metrics 127.0.0.1:99

# scrape [ADDR:PORT] [--get 'NAME k=v,...']...: fetch, check strictly,
# print the values asked for (one a line).
scrape() {
  local at=127.0.0.1:99
  case "${1:-}" in --*|"") ;; *) at=$1; shift ;; esac
  if command -v promtool >/dev/null; then
    ip netns exec "$H" python3 "$PROMCHECK" --url "http://$at/metrics" >/dev/null ||
      fail "scrape of $at"
    ip netns exec "$H" python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
      "http://$at/metrics" >"$WORK/page.txt"
    promtool check metrics <"$WORK/page.txt" >/dev/null 2>&1 ||
      fail "promtool: $(promtool check metrics <"$WORK/page.txt" 2>&1 | head -3)"
  fi
  ip netns exec "$H" python3 "$PROMCHECK" --url "http://$at/metrics" "$@" ||
    fail "scrape of $at $*"
}
# raw REQUEST-BYTES-ON-STDIN: one connection to the endpoint in H, its answer.
raw() {
  ip netns exec "$H" python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", 99), timeout=15)
s.sendall(sys.stdin.buffer.read())
out = b""
while True:
    try:
        d = s.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode("latin-1"))'
}
S_UP='softether_sessions hub=DEFAULT,state=up'
F_IN='softether_frames_total hub=DEFAULT,direction=in'
F_OUT='softether_frames_total hub=DEFAULT,direction=out'
B_IN='softether_bytes_total hub=DEFAULT,direction=in'
B_OUT='softether_bytes_total hub=DEFAULT,direction=out'
L_OK='softether_logins_total hub=DEFAULT,result=ok'
L_BAD='softether_logins_total hub=DEFAULT,result=failed'

start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'metrics on http://127\.0\.0\.1:99/metrics'
wait_log hub 'running as nobody'
runs_as "$PID_hub" nobody 0000000000000000
wait_listen "$H" 127.0.0.1 99 10 "$PID_hub" hub
[ "$(scrape --get "$S_UP")" = 0 ] || fail "sessions before any card"
ok "metrics on 127.0.0.1:99, opened before the hub became nobody; the page is valid"

FP=$(fingerprint hub)
# TAP names of this run only: a card's control socket is named after its
# interface in a directory the namespaces share.
card() { # NAME NS HUBIP USER IP
  start "$1" "$2" "$SOFTETHER" --nic --connect "$3:7777" --user "$4" \
    --password-file "$WORK/$4.pw" --fingerprint "$FP" --tap "${PFX}$1" --ip "$5/24"
}
card nicA "$A" 10.87.1.1 alice 192.168.87.1
card nicB "$B" 10.87.2.1 bob 192.168.87.2
wait_log nicA "${PFX}nicA up"
wait_log nicB "${PFX}nicB up"
v=$(scrape --get "$S_UP" --get "$L_OK" --get "$L_BAD") || exit 1
read -r up ok1 bad1 <<<"$(echo $v)"
[ "$up" = 2 ] || fail "sessions up: $up, expected 2"
[ "$ok1" = 2 ] || fail "logins ok: $ok1, expected 2"
[ "$(scrape --get 'softether_sessions hub=DEFAULT,state=cut')" = 0 ] || fail "cut sessions"
n=$(ip netns exec "$H" python3 -c 'import urllib.request
print(sum(l.startswith("softether_drops_total{hub=\"DEFAULT\",") for l in
    urllib.request.urlopen("http://127.0.0.1:99/metrics").read().decode().split("\n")))')
[ "$n" -ge 12 ] || fail "drop reasons: $n series"
ok "sessions{state=up} = 2, logins ok = 2, every drop reason listed"

v=$(scrape --get "$F_IN" --get "$F_OUT" --get "$B_IN" --get "$B_OUT") || exit 1
read -r fi0 fo0 bi0 bo0 <<<"$(echo $v)"
ip netns exec "$A" ping -c 5 -i 0.2 -W 2 192.168.87.2 >/dev/null || fail "ping A -> B"
v=$(scrape --get "$F_IN" --get "$F_OUT" --get "$B_IN" --get "$B_OUT") || exit 1
read -r fi1 fo1 bi1 bo1 <<<"$(echo $v)"
# Five requests and five replies, each into the hub once and out once.
[ $((fi1 - fi0)) -ge 10 ] && [ $((fo1 - fo0)) -ge 10 ] ||
  fail "frames in $fi0 -> $fi1, out $fo0 -> $fo1 after 5 pings"
[ $((bi1 - bi0)) -ge $((10 * 98)) ] && [ $((bo1 - bo0)) -ge $((10 * 98)) ] ||
  fail "bytes in $bi0 -> $bi1, out $bo0 -> $bo1 after 5 pings"
[ "$(scrape --get 'softether_mac_table_entries hub=DEFAULT')" -ge 2 ] || fail "MAC table"
[ "$(scrape --get 'softether_ip_table_entries hub=DEFAULT,family=ipv4')" -ge 2 ] || fail "IP table"
ok "a ping raises frames ($fi0 -> $fi1 in) and bytes both ways; MAC and IP tables counted"

ip netns exec "$A" "$SOFTETHER" --nic --connect 10.87.1.1:7777 --user alice \
  --password-file "$WORK/wrong.pw" --fingerprint "$FP" --tap "${PFX}x" >"$WORK/wrongpw.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20
[ "$ST" = 2 ] || fail "wrong password: exit status $ST"
[ "$(scrape --get "$L_BAD")" = $((bad1 + 1)) ] || fail "logins failed did not rise by one"
[ "$(scrape --get "$L_OK")" = "$ok1" ] || fail "a refused login counted as ok"
ok "a wrong password raises logins{result=failed} by one"

printf 'HEAD /metrics HTTP/1.0\r\n\r\n' | raw >"$WORK/head.txt"
grep -q '^HTTP/1\.[01] 200 ' "$WORK/head.txt" || fail "HEAD: $(head -1 "$WORK/head.txt")"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/head.txt" ||
  fail "HEAD: no exposition Content-Type"
grep -q 'softether_' "$WORK/head.txt" && fail "HEAD answered a body"
printf 'GET /nope HTTP/1.0\r\n\r\n' | raw | grep -q '^HTTP/1\.[01] 404 ' || fail "unknown path: not 404"
printf 'GET /metrics/x HTTP/1.0\r\n\r\n' | raw | grep -q '^HTTP/1\.[01] 404 ' || fail "/metrics/x: not 404"
printf 'POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n' | raw >"$WORK/post.txt"
grep -q '^HTTP/1\.[01] 405 ' "$WORK/post.txt" || fail "POST: $(head -1 "$WORK/post.txt")"
grep -qi '^Allow: GET, HEAD' "$WORK/post.txt" || fail "405 without Allow"
ok "HEAD: headers only; unknown paths 404; POST 405 with Allow"

# Garbage, a header far over the limit, a body: refused; nobody is hurt.
head -c 8192 /dev/urandom | raw >"$WORK/garbage.txt" || true
grep -q ' 200 ' "$WORK/garbage.txt" && fail "garbage answered 200"
{ printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 65536 /dev/zero | tr '\0' a
  printf '\r\n\r\n'; } | raw >"$WORK/big.txt" || true
grep -q ' 200 ' "$WORK/big.txt" && fail "a 64 KiB header answered 200"
{ printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n'
  head -c 100000 /dev/zero; } | raw >"$WORK/body.txt" || true
grep -q ' 200 ' "$WORK/body.txt" && fail "a 100 kB body answered 200"
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  raw >"$WORK/pipelined.txt"
[ "$(grep -c '^HTTP/1.1 ' "$WORK/pipelined.txt")" = 2 ] || fail "two pipelined requests"
kill -0 "$PID_hub" || fail "the hub died"
[ "$(scrape --get "$S_UP")" = 2 ] || fail "sessions after garbage"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.87.2 >/dev/null || fail "ping after garbage"
ok "garbage, a 64 KiB header, a 100 kB body: refused; pipelined requests answered; the hub serves on"

# A client that never finishes its request, and 200 that say nothing: the
# page and the cards do not wait for them; the slow one is cut.
ip netns exec "$H" python3 -c 'import socket, time
s = socket.create_connection(("127.0.0.1", 99))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
t = time.monotonic()
s.settimeout(60)
try:
    d = s.recv(65536)
except ConnectionResetError:
    d = b""
print("%.1f %d" % (time.monotonic() - t, d.startswith(b"HTTP/1.1 200")))' >"$WORK/slow.txt" &
SLOW=$!
ip netns exec "$H" python3 -c 'import socket, time
socks = [socket.create_connection(("127.0.0.1", 99)) for _ in range(200)]
time.sleep(4)' &
IDLE=$!
sleep 1
t0=$(date +%s%N)
[ "$(scrape --get "$S_UP")" = 2 ] || fail "scrape beside a slow client"
ip netns exec "$A" ping -c 2 -i 0.2 -W 1 192.168.87.2 >/dev/null || fail "ping beside a slow client"
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "a scrape and a ping took $(((t1 - t0) / 1000000)) ms beside slow clients"
wait $IDLE || true
wait $SLOW || fail "the slow client's probe failed"
read -r secs got200 <"$WORK/slow.txt"
[ "$got200" = 0 ] || fail "the unfinished request was answered"
awk -v s="$secs" -v t="$METRICS_TIMEOUT" 'BEGIN { exit !(s >= t - 2 && s <= t + 3) }' ||
  fail "the slow client was cut after ${secs}s, expected about ${METRICS_TIMEOUT}s"
ok "a slow client and 200 idle ones stall nothing; the slow one is cut after ${secs}s"

# Reload: another port is bound at once; the counters go on.
with_metrics 127.0.0.1:9187
mark hub 'metrics on http://127\.0\.0\.1:9187/metrics \(moved from 127\.0\.0\.1:99\)'
kill -HUP "$PID_hub"
wait_more hub 'metrics on http://127\.0\.0\.1:9187/metrics \(moved from 127\.0\.0\.1:99\)' 10
wait_listen "$H" 127.0.0.1 9187 10 "$PID_hub" hub
[ -z "$(ip netns exec "$H" ss -Hltn 'sport = :99')" ] || fail "127.0.0.1:99 still listens"
[ "$(scrape 127.0.0.1:9187 --get "$S_UP")" = 2 ] || fail "sessions on the new port"
[ "$(scrape 127.0.0.1:9187 --get "$F_IN")" -ge "$fi1" ] || fail "frames went back after a reload"
ok "a reload moves the endpoint to 127.0.0.1:9187; counters go on"

# A port below 1024 once the hub is nobody: it says so; the old one serves on.
with_metrics 127.0.0.1:98
kill -HUP "$PID_hub"
wait_log hub 'metrics\.listen 127\.0\.0\.1:98 cannot be opened now \(a port below 1024 takes a restart: the hub has given up root\); metrics stay on 127\.0\.0\.1:9187'
[ "$(scrape 127.0.0.1:9187 --get "$S_UP")" = 2 ] || fail "old endpoint after a refused move"
ok "a reload to port 98 as nobody: logged as taking a restart; 127.0.0.1:9187 serves on"

# Without the key, nothing listens.
cp "$WORK/base.yaml" "$WORK/hub.yaml"
kill -HUP "$PID_hub"
wait_log hub 'metrics endpoint on 127\.0\.0\.1:9187 closed'
[ -z "$(ip netns exec "$H" ss -Hltn 'sport = :9187')" ] || fail "9187 still listens"
kill -TERM "$PID_hub"
wait_exit "$PID_hub" 10; [ "$ST" = 0 ] || fail "hub did not stop cleanly: $ST"
ok "metrics.listen removed: the endpoint closes; the hub stops cleanly"
