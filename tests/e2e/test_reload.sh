#!/usr/bin/env bash
# SIGHUP reloads the configuration without touching the sessions it does not
# concern.
#
#   ns A: card (user a) 192.168.80.1 --veth-- ns H: hub --veth-- ns B: card (user b) 192.168.80.2
#   ns A also runs card C (user c, vpn1) and, once added, card D (user d, vpn2)
#
# A 20 MB transfer A -> B runs across three reloads: user d added and user c
# removed (C's session ends with the reason, and its login is then refused);
# then a file that does not validate (refused with FILE:LINE:COL, nothing
# changes); the reload command of softether --admin. The transfer's checksum
# matches and cards A and B never reconnect.
. "$(dirname "$0")/lib.sh"

star 80
for u in a b c d; do printf "pw-$u\n" >"$WORK/$u.pw"; done
hub_config "$WORK/hub.yaml" DEFAULT:a:"$WORK/a.pw" DEFAULT:b:"$WORK/b.pw" DEFAULT:c:"$WORK/c.pw"
hub_config "$WORK/next.yaml" DEFAULT:a:"$WORK/a.pw" DEFAULT:b:"$WORK/b.pw" DEFAULT:d:"$WORK/d.pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on'
FP=$(fingerprint hub)
card() { # NAME NS HUBIP USER TAP IP
  start "$1" "$2" "$SOFTETHER" --nic --connect "$3:7777" --user "$4" --password-file "$WORK/$4.pw" \
    --fingerprint "$FP" --tap "$5" --ip "$6/24"
}
card nicA "$A" 10.80.1.1 a vpn0 192.168.80.1
card nicB "$B" 10.80.2.1 b vpn0 192.168.80.2
card nicC "$A" 10.80.1.1 c vpn1 192.168.81.1
for n in nicA nicB nicC; do wait_log $n 'up: connected'; done

head -c 20000000 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
ip netns exec "$B" timeout 120 nc -l 192.168.80.2 5001 >"$WORK/blob.out" &
RX=$!
wait_listen "$B" 192.168.80.2 5001
# Paced so that it spans the reloads: 40 chunks a quarter of a second apart.
(for ((i = 0; i < 40; i++)); do
   dd if="$WORK/blob" bs=500000 skip=$i count=1 status=none; sleep 0.25
 done) | ip netns exec "$A" timeout 120 nc -N 192.168.80.2 5001 &
TX=$!

sleep 1
cp "$WORK/next.yaml" "$WORK/hub.yaml"
kill -HUP "$PID_hub"
wait_log hub 'configuration reloaded: 1 virtual hub'
wait_log nicC "lost: peer said goodbye: your account was removed from the hub"
wait_exit "$PID_nicC" 20
[ "$ST" = 2 ] || fail "card C: exit status $ST after its user was removed, expected 2"
card nicD "$A" 10.80.1.1 d vpn2 192.168.82.1
wait_log nicD 'up: connected'
ok "reload: user c's session ended (the card says why), user d logs in"

printf 'hubs:\n  - name: DEFAULT\n    users:\n      - name: a\n        password: nope\n' >"$WORK/hub.yaml"
kill -HUP "$PID_hub"
wait_log hub "reload refused: $WORK/hub.yaml:5:19: hubs\[0\]\.users\[0\]\.password: expected an \\\$argon2id\\\$ hash"
cp "$WORK/next.yaml" "$WORK/hub.yaml"
ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" -e reload | grep -q 'configuration reloaded' ||
  fail "softether --admin -e reload"
ok "a broken file is refused with FILE:LINE:COL; the reload command works"

wait $TX || fail "sender failed"
wait $RX || true
[ "$(sha256sum <"$WORK/blob.out" | cut -d' ' -f1)" = "$want" ] ||
  fail "20 MB checksum mismatch across the reloads ($(stat -c %s "$WORK/blob.out") bytes)"
for n in nicA nicB; do
  [ "$(grep -c 'up: connected' "$WORK/$n.log")" = 1 ] || fail "$n reconnected"
  grep -Eq 'connection lost|resumed session' "$WORK/$n.log" && fail "$n lost its connection"
done
ok "the 20 MB transfer across three reloads is intact; cards A and B never reconnected"
