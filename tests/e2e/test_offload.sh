#!/usr/bin/env bash
# Offload super-frames end to end: cards A and B take TCP/UDP super-frames
# from their TAPs and carry each as one item through the hub; card C runs
# with --no-offload, as an old card would, and the hub cuts what it sends C.
#
#   ns A (card a)  10.78.1.2 ---- ha 10.78.1.1 \
#   ns B (card b)  10.78.2.2 ---- hb 10.78.2.1  ns H (hub, no forwarding)
#   ns C (card c)  10.78.3.2 ---- hc 10.78.3.1 /
#   virtual LAN 192.168.78.0/24 and fd78::/64: A .1, B .2, C .3
#
# Checks: A and B say offload=on, C offload=off; 20 MB with matching
# checksums A -> B over IPv4 and B -> A over IPv6 (the hub saw frames far
# bigger than 1518 bytes from A: super-frames), A -> C over IPv4 (the hub
# sent C nothing over 1518 bytes), C -> A over IPv4 and IPv6 (A coalesced
# C's segments into super-frames for its TAP); UDP datagrams sent 8 at a time
# with UDP_SEGMENT from A reach B and C whole, and 8000-byte datagrams
# (IP fragments) from C reach A; 802.1Q-tagged frames from A reach B and C.
. "$(dirname "$0")/lib.sh"

star 78
C=${PFX}c
mkns "$C"
link "$C" vc 10.78.3.2/24 "$H" hc 10.78.3.1/24

for u in a b c; do printf '%s-secret\n' "$u" >"$WORK/$u.pw"; done
hub_config "$WORK/hub.yaml" DEFAULT:a:"$WORK/a.pw" DEFAULT:b:"$WORK/b.pw" \
  DEFAULT:c:"$WORK/c.pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on 0.0.0.0:7777'
FP=$(fingerprint hub)
[ ${#FP} -eq 64 ] || fail "hub did not log its fingerprint"

card() {  # card NAME NS HUBADDR N [ARGS...]
  local name=$1 ns=$2 hub=$3 n=$4; shift 4
  start "card$name" "$ns" "$SOFTETHER" --nic --connect "$hub:7777" --user "$name" \
    --password-file "$WORK/$name.pw" --fingerprint "$FP" \
    --mac "5e:00:00:00:78:0$n" --ip "192.168.78.$n/24" "$@"
}
card a "$A" 10.78.1.1 1
card b "$B" 10.78.2.1 2
card c "$C" 10.78.3.1 3 --no-offload
wait_log carda 'vpn0 up: .* offload=on'
wait_log cardb 'vpn0 up: .* offload=on'
wait_log cardc 'vpn0 up: .* offload=off'
for ns in "$A" "$B" "$C"; do
  n=$([ "$ns" = "$A" ] && echo 1 || { [ "$ns" = "$B" ] && echo 2 || echo 3; })
  ip -n "$ns" addr add "fd78::$n/64" dev vpn0 nodad
done
ok "cards a and b carry super-frames (offload=on), c does not (--no-offload)"

head -c 20000000 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
port=5000
# xfer FROM_NS TO_NS TO_ADDR WHAT: 20 MB over TCP, checksum compared.
xfer() {
  local rx
  port=$((port + 1))
  ip netns exec "$2" timeout 60 nc -l -N "$3" $port >"$WORK/blob.out" &
  rx=$!
  wait_listen "$2" "$3" $port
  ip netns exec "$1" timeout 60 nc -N "$3" $port <"$WORK/blob" || fail "$4: send"
  wait $rx || true
  [ "$(sha256sum <"$WORK/blob.out" | cut -d' ' -f1)" = "$want" ] ||
    fail "$4: checksum mismatch ($(stat -c %s "$WORK/blob.out") bytes)"
  ok "$4: 20 MB, checksum matches"
}

# sess USER FIELD: a counter of USER's session, from the hub's console.
sess() {
  ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" --json -e "session list" |
    python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["user"] == sys.argv[1]:
        print(s[sys.argv[2]])' "$1" "$2"
}
avg() { echo $(( $(sess "$1" "$2_bytes") / ($(sess "$1" "$2_frames") + 1) )); }

xfer "$A" "$B" 192.168.78.2 "IPv4 TCP a -> b (both offload)"
a_in=$(avg a in)
[ "$a_in" -gt 3000 ] || fail "the hub got a's frames at $a_in bytes on average: no super-frames"
ok "the hub took a's stream as super-frames ($a_in bytes per frame on average)"
xfer "$B" "$A" "fd78::1" "IPv6 TCP b -> a (both offload)"
b_in=$(avg b in)
[ "$b_in" -gt 3000 ] || fail "b's IPv6 frames averaged $b_in bytes: no super-frames"
xfer "$A" "$C" 192.168.78.3 "IPv4 TCP a -> c (c without offload)"
# coalesced: frames that reached a's TAP inside super-frames it made.
coalesced() {
  ip netns exec "$A" "$SOFTETHER" --admin --nic vpn0 --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["coalesced"])'
}
co0=$(coalesced)
xfer "$C" "$A" 192.168.78.1 "IPv4 TCP c -> a (c without offload)"
co1=$(coalesced)
xfer "$C" "$A" "fd78::1" "IPv6 TCP c -> a (c without offload)"
co2=$(coalesced)
# 20 MB is ~14,000 segments each way; most must have been coalesced.
[ $((co1 - co0)) -gt 7000 ] && [ $((co2 - co1)) -gt 7000 ] ||
  fail "card a coalesced $((co1 - co0)) (IPv4) and $((co2 - co1)) (IPv6) of c's segments"
ok "card a wrote c's segments to its TAP as super-frames ($((co1 - co0)) IPv4, $((co2 - co1)) IPv6 coalesced)"
c_out=$(ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" --json -e "session list" |
  python3 -c '
import json, sys
s = [s for s in json.load(sys.stdin)["sessions"] if s["user"] == "c"][0]
print(s["out_bytes"] // max(s["out_frames"], 1), s["out_frames"])')
read -r c_avg c_frames <<<"$c_out"
[ "$c_avg" -le 1518 ] && [ "$c_frames" -gt 13000 ] ||
  fail "the hub sent c $c_frames frames of $c_avg bytes on average: not cut to wire size"
ok "the hub cut a's super-frames for c ($c_frames frames, $c_avg bytes on average)"

# UDP: 800 datagrams of 1200 bytes, eight per send() with UDP_SEGMENT.
udp() {  # udp FROM_NS TO_NS TO_ADDR COUNT SIZE SEG WHAT
  local rx got
  port=$((port + 1))
  ip netns exec "$2" python3 "$(dirname "$0")/udpcheck.py" recv "$3" $port "$4" 20 \
    >"$WORK/udp.out" &
  rx=$!
  for ((i = 0; i < 50; i++)); do
    [ -n "$(ip netns exec "$2" ss -Hlun "src $3:$port")" ] && break
    sleep 0.1
  done
  ip netns exec "$1" python3 "$(dirname "$0")/udpcheck.py" send "$3" $port "$4" "$5" "$6" \
    >"$WORK/udp.send" || fail "$7: send"
  wait $rx || fail "$7: corrupted datagrams: $(cat "$WORK/udp.out")"
  got=$(sed -n 's/^got \([0-9]*\) .*/\1/p' "$WORK/udp.out")
  # A datagram may be lost on a busy machine, never changed.
  [ "${got:-0}" -ge $(($4 * 98 / 100)) ] || fail "$7: $(cat "$WORK/udp.out") of $4"
  ok "$7: $(cat "$WORK/udp.out") of $4 ($(cat "$WORK/udp.send"))"
}
udp "$A" "$B" 192.168.78.2 800 1200 8 "UDP a -> b, 8 datagrams per send"
udp "$A" "$C" 192.168.78.3 800 1200 8 "UDP a -> c, 8 datagrams per send"
udp "$C" "$A" 192.168.78.1 200 8000 1 "UDP c -> a, 8000-byte datagrams (fragments)"

# 802.1Q-tagged frames from a reach both other cards, tag intact.
for ns in "$B" "$C"; do
  ip netns exec "$ns" python3 "$(dirname "$0")/vlanframe.py" recv vpn0 78 10 \
    >"$WORK/vlan.$ns" 2>&1 &
  eval "rx_$ns=\$!"
done
sleep 0.3
for ((i = 0; i < 20; i++)); do
  ip netns exec "$A" python3 "$(dirname "$0")/vlanframe.py" send vpn0 ff:ff:ff:ff:ff:ff 78 1
  kill -0 "$(eval echo "\$rx_$B")" 2>/dev/null || kill -0 "$(eval echo "\$rx_$C")" 2>/dev/null || break
  sleep 0.2
done
wait "$(eval echo "\$rx_$B")" || fail "no tagged frame reached b"
wait "$(eval echo "\$rx_$C")" || fail "no tagged frame reached c"
ok "802.1Q-tagged frames from a reach b and c with their tag"

bad=$(ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" --json -e status |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("bad-frame", 0))')
[ "$bad" = 0 ] || fail "the hub dropped $bad frames as bad"
ok "the hub dropped no frame as bad (status: drops has no bad-frame)"
