#!/usr/bin/env bash
# Hostile peers affect only themselves.
#
#   ns A (card, 192.168.79.1) -- veth -- ns H (hub) -- veth -- ns B (card, 192.168.79.2)
#                                          |
#                            loopback attackers inside ns H
#
# While A pings B through the hub: garbage instead of TLS, a peer that opens and
# says nothing (handshake timeout), a burst of hundreds of connections, and a
# truncated TLS hello. A and B never notice; the hub logs each and stays up.
. "$(dirname "$0")/lib.sh"

star 79
printf 'pw\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
sed -i 's/0.0.0.0:7777/0.0.0.0:7777", "127.0.0.1:7778/' "$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -v
wait_log hub 'listening on 127.0.0.1:7778'
FP=$(fingerprint hub)
start nicA "$A" "$SOFTETHER" --nic --connect 10.79.1.1:7777 --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --ip 192.168.79.1/24
start nicB "$B" "$SOFTETHER" --nic --connect 10.79.2.1:7777 --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --ip 192.168.79.2/24
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'

# A steady ping across the whole ordeal: 5/s for 14 s.
ip netns exec "$A" ping -c 70 -i 0.2 -W 2 192.168.79.2 >"$WORK/ping.log" 2>&1 &
pinger=$!

# 1. garbage instead of a TLS hello
head -c 4096 /dev/urandom | ip netns exec "$H" timeout 5 nc -q 1 127.0.0.1 7778 >/dev/null || true
wait_log hub 'closed before login: TLS handshake'
ok "garbage refused"

# 2. silence: the first-byte deadline (limits.first_byte, 3 s) closes it;
#    a peer that starts a TLS record and stalls meets the handshake timer
#    (PROTO_HANDSHAKE_TIMEOUT_MS, 10 s)
ip netns exec "$H" timeout 14 nc 127.0.0.1 7778 </dev/null >/dev/null &
silent=$!
(printf '\x16\x03\x01'; sleep 13) | ip netns exec "$H" timeout 14 nc 127.0.0.1 7778 >/dev/null &
stalled=$!

# 3. a burst of 300 connections that send a few bytes and hang up
for i in $(seq 1 300); do
  printf '\x16\x03\x01\x00' | ip netns exec "$H" timeout 3 nc -q 0 127.0.0.1 7778 >/dev/null 2>&1 &
done
wait_log hub 'closed before login: connection closed by peer' 10

# 4. an oversized TLS record header
printf '\x16\x03\x03\xff\xff' | ip netns exec "$H" timeout 3 nc -q 1 127.0.0.1 7778 >/dev/null || true

wait_log hub 'closed before login: sent nothing \(first-byte timeout\)' 6
wait_log hub 'closed before login: TLS handshake timed out' 16
ok "silent peer closed after 3 s, stalled handshake after 10 s"
wait $pinger || true
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$WORK/ping.log")
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/ping.log")
[ -n "$sent" ] && [ "$sent" = "$recv" ] || fail "ping through the attacks: $recv of $sent answered"
ok "A and B unaffected: $recv/$sent pings answered"
kill -0 "$PID_hub" || fail "hub died"
grep -q 'session [0-9]* down' "$WORK/hub.log" && fail "a real session was dropped"
ok "hub up, no real session touched"
