#!/usr/bin/env bash
# hub capture: what a virtual hub switches, as a pcap stream for tcpdump.
#
#   ns A: card 192.168.93.1 --veth-- ns H (hub; softether --admin -e 'hub capture'
#   ns B: card 192.168.93.2 --veth--+       runs here, piped into tcpdump -r -)
#
# While A pings B, a capture bounded by --count shows both the echo requests
# and the replies between the two card addresses; the FILE form writes a file
# (mode 0600) that tcpdump reads; --seconds ends an idle capture with its
# summary; Ctrl-C ends one with its summary and a readable stream. A client
# killed mid-capture leaves the hub healthy (status, ping) with the capture's
# slot free: four captures of one hub run at once, a fifth is refused, and
# once they are killed a new one starts. A reader that stops reading costs
# the hub at most its queue: frames are dropped from the capture and counted,
# never from the hub. The console and the network admin
# channel (softether --admin HOST, from A) say capture is local only.
. "$(dirname "$0")/lib.sh"

command -v tcpdump >/dev/null ||
  fail "tcpdump is not installed (scripts/deps.sh installs it: apt-get install tcpdump)"

star 93
printf 'pw\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
printf 'admin:\n  password: "%s"\n' "$("$SOFTETHER" --hash-password <"$WORK/pw")" >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on'
wait_log hub 'admin console on 127.0.0.1:8023'
FP=$(fingerprint hub)
wait_log hub "control socket $WORK/state/control.sock"

admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" "$@"; }

start nicA "$A" "$SOFTETHER" --nic --connect 10.93.1.1:7777 --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --ip 192.168.93.1/24
start nicB "$B" "$SOFTETHER" --nic --connect 10.93.2.1:7777 --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --ip 192.168.93.2/24
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.93.2 >/dev/null || fail "ping A -> B"

# pinger: A pings B in the background until killed.
pinger() {
  ip netns exec "$A" ping -i 0.1 -W 1 192.168.93.2 >/dev/null 2>&1 &
  PIDS+=($!)
  PING=$!
}

# (a) --count, piped into tcpdump.
pinger
admin -e 'hub capture DEFAULT --count 20' 2>"$WORK/cap.err" |
  timeout 30 tcpdump -r - -nn >"$WORK/cap.txt" 2>"$WORK/tcpdump.err" ||
  fail "capture | tcpdump: $(cat "$WORK/cap.err" "$WORK/tcpdump.err")"
kill "$PING"
[ "$(wc -l <"$WORK/cap.txt")" = 20 ] || fail "tcpdump read $(wc -l <"$WORK/cap.txt") packets, not 20"
grep -q '192\.168\.93\.1 > 192\.168\.93\.2: ICMP echo request' "$WORK/cap.txt" ||
  fail "no echo request A -> B in: $(cat "$WORK/cap.txt")"
grep -q '192\.168\.93\.2 > 192\.168\.93\.1: ICMP echo reply' "$WORK/cap.txt" ||
  fail "no echo reply B -> A in: $(cat "$WORK/cap.txt")"
grep -q 'capturing on hub DEFAULT, link-type EN10MB' "$WORK/cap.err" || fail "no start line: $(cat "$WORK/cap.err")"
grep -q 'hub DEFAULT: 20 frames (.* bytes) captured in .* s; the count was reached; dropped while the reader was behind: 0' "$WORK/cap.err" ||
  fail "no summary line: $(cat "$WORK/cap.err")"
grep -q 'link-type EN10MB' "$WORK/tcpdump.err" || fail "tcpdump: $(cat "$WORK/tcpdump.err")"
wait_log hub 'capture on hub DEFAULT ended \(the count was reached\): 20 frames'
ok "hub capture --count 20 | tcpdump -r -: echo requests and replies between the cards"

# (b) FILE: the client writes it; tcpdump reads it.
pinger
admin -e "hub capture DEFAULT -c 6 $WORK/cap.pcap" 2>"$WORK/file.err" || fail "capture to a file: $(cat "$WORK/file.err")"
kill "$PING"
[ "$(stat -c %a "$WORK/cap.pcap")" = 600 ] || fail "capture file mode $(stat -c %a "$WORK/cap.pcap")"
tcpdump -r "$WORK/cap.pcap" -nn >"$WORK/file.txt" 2>/dev/null || fail "tcpdump -r FILE failed"
[ "$(wc -l <"$WORK/file.txt")" = 6 ] || fail "tcpdump -r FILE: $(wc -l <"$WORK/file.txt") packets, not 6"
grep -q 'ICMP echo' "$WORK/file.txt" || fail "tcpdump -r FILE: no ICMP in: $(cat "$WORK/file.txt")"
admin -e "hub capture NOPE $WORK/nope.pcap" 2>"$WORK/err" && fail "capture of a missing hub"
grep -q "no hub named 'NOPE'" "$WORK/err" || fail "missing hub: $(cat "$WORK/err")"
[ -e "$WORK/nope.pcap" ] && fail "a refused capture left a file"
admin -e 'hub capture DEFAULT --count x' 2>"$WORK/err" </dev/null >/dev/null && fail "--count x accepted"
grep -q 'hub capture: --count: expected a number of frames' "$WORK/err" || fail "bad count: $(cat "$WORK/err")"
ok "hub capture DEFAULT FILE: a 0600 file that tcpdump reads; bad arguments refused"

# (c) --seconds ends a capture with nothing to see; --json sums up in JSON.
out=$(admin --json -e 'hub capture DEFAULT --seconds 1' 2>&1 >/dev/null) || fail "--seconds: $out"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ok"] and d["ended"]=="seconds", d' "$out" ||
  fail "--json summary: $out"
ok "--seconds 1 ends it; --json's summary is JSON"

# (d) Ctrl-C: the summary comes, and what came before it is a whole pcap.
pinger
ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" -e 'hub capture DEFAULT' \
  >"$WORK/int.pcap" 2>"$WORK/int.err" &
CAP=$!; PIDS+=($CAP)
wait_log hub 'capture on hub DEFAULT started'
sleep 1
kill -INT "$CAP"; wait_exit "$CAP" 10
kill "$PING"
[ "$ST" = 0 ] || fail "capture after SIGINT: exit $ST: $(cat "$WORK/int.err")"
grep -q 'captured in .* s; stopped by the client;' "$WORK/int.err" || fail "no summary after SIGINT: $(cat "$WORK/int.err")"
n=$(tcpdump -r "$WORK/int.pcap" -nn 2>/dev/null | grep -c 'ICMP echo') || true
[ "$n" -ge 4 ] || fail "after SIGINT, tcpdump read $n ICMP packets"
ok "SIGINT: stopped with its summary, the stream whole ($n packets)"

# (e) Clients killed mid-capture: at most four at once; slots come back.
started() { grep -c 'capture on hub DEFAULT started' "$WORK/hub.log" || true; }
before=$(started)
CAPS=()
for i in 1 2 3 4; do
  ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" -e "hub capture DEFAULT $WORK/k$i.pcap" \
    2>"$WORK/k$i.err" &
  CAPS+=($!); PIDS+=($!)
done
for ((i = 0; i < 100; i++)); do
  [ "$(started)" -ge $((before + 4)) ] && break
  sleep 0.1
done
[ "$(started)" -ge $((before + 4)) ] || fail "four captures did not start: $(cat "$WORK"/k?.err)"
admin -e "hub capture DEFAULT --seconds 5 $WORK/k5.pcap" 2>"$WORK/err" && fail "a fifth capture was accepted"
grep -q 'hub DEFAULT has 4 captures running already (at most 4); end one first' "$WORK/err" ||
  fail "fifth capture: $(cat "$WORK/err")"
mark hub 'capture on hub DEFAULT ended \(the client went away\)'
for p in "${CAPS[@]}"; do kill -9 "$p"; { wait "$p"; } 2>/dev/null || true; done
for ((i = 0; i < 50; i++)); do
  [ "$(grep -c 'capture on hub DEFAULT ended (the client went away)' "$WORK/hub.log")" -ge 4 ] && break
  sleep 0.1
done
[ "$(grep -c 'capture on hub DEFAULT ended (the client went away)' "$WORK/hub.log")" -ge 4 ] ||
  fail "the hub did not see the killed clients go: $(grep capture "$WORK/hub.log")"
admin -e status >/dev/null || fail "status after killed captures"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.93.2 >/dev/null || fail "ping after killed captures"
pinger
admin -e "hub capture DEFAULT --count 2 $WORK/after.pcap" 2>"$WORK/err" ||
  fail "a capture after the killed ones: $(cat "$WORK/err")"
kill "$PING"
ok "killed clients: the hub is healthy, their slots free (a fifth was refused meanwhile)"

# (f) A reader that stops reading: the hub queues at most 4 MiB for it and
# drops (and counts) the rest; the cards' traffic goes on; the stream stays
# whole records.
mark hub 'capture on hub DEFAULT started'
ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" -e "hub capture DEFAULT $WORK/slow.pcap" \
  2>"$WORK/slow.err" &
CAP=$!; PIDS+=($CAP)
wait_more hub 'capture on hub DEFAULT started' 10
kill -STOP "$CAP"
loss=$(ip netns exec "$A" ping -f -c 5000 -s 1400 -W 1 192.168.93.2 | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
[ -n "$loss" ] && awk -v l="$loss" 'BEGIN { exit !(l < 5) }' || fail "flood ping past a stopped reader: ${loss:-?}% lost"
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID_hub/status")
# Under ASan its quarantine keeps what is freed: memory figures mean nothing.
if [ "${SANITIZED:-0}" != 1 ]; then
  [ "$rss" -lt 65536 ] || fail "the hub holds $rss KiB with a stopped reader"
fi
kill -CONT "$CAP"; kill -INT "$CAP"; wait_exit "$CAP" 20
[ "$ST" = 0 ] || fail "slow capture: exit $ST: $(cat "$WORK/slow.err")"
grep -q 'dropped while the reader was behind: [1-9]' "$WORK/slow.err" || fail "no drops counted: $(cat "$WORK/slow.err")"
n=$(tcpdump -r "$WORK/slow.pcap" -nn 2>"$WORK/tcpdump.err" | wc -l)
grep -qi 'truncated' "$WORK/tcpdump.err" && fail "tcpdump: $(cat "$WORK/tcpdump.err")"
[ "$n" -gt 1000 ] || fail "only $n packets from the stopped reader's capture"
ok "a stopped reader: ${loss}% ping loss, hub RSS ${rss} KiB, $(sed -n 's/.*behind: //p' "$WORK/slow.err") frames dropped and counted, $n whole records"

# (g) Only the local control socket captures.
out=$(printf 'pw\r\nhub capture DEFAULT\r\nquit\r\n' | ip netns exec "$H" timeout 20 nc -N 127.0.0.1 8023 | tr -d '\r') || true
grep -q "hub capture is local only" <<<"$out" || fail "console: $out"
ip netns exec "$A" timeout 20 "$SOFTETHER" --admin 10.93.1.1:7777 --fingerprint "$FP" \
  --admin-password-file "$WORK/pw" -e 'hub capture DEFAULT' >/dev/null 2>"$WORK/err" &&
  fail "a capture over the network admin channel was accepted"
grep -q "hub capture is local only" "$WORK/err" || fail "network admin: $(cat "$WORK/err")"
out=$(admin -e 'help hub capture') || fail "help hub capture"
grep -q 'local control socket only' <<<"$out" || fail "help: $out"
ok "the console and softether --admin HOST answer that capture is local only; help says so"
