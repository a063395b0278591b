#!/usr/bin/env bash
# The card's --up and --down commands: run with no shell when a session comes up and
# when it ends for good, told about it in SOFTETHER_* variables, never holding the card.
#
#   ns A: card A (vpn0 192.168.78.1, alice, hooks)     ns H: hub :7777
#         card D (vpn1 192.168.79.4, dave, up fails,
#                 down cannot be run)
#   va 10.78.1.2 ------------------------------ ha 10.78.1.1
#                                               hb 10.78.2.1 ------------------ vb 10.78.2.2
#                                         ns B: card B (vpn0, bob, as nobody through sudo, hooks)
#                                               card C (vpn1 192.168.79.3, carol, up hangs)
#
# Checks: A's up hook runs once, with every variable and its words as written (no shell:
# $(id) and a;b reach it as they are), and adds a route through the card's interface
# though the card has given up root (as root, and as sudo's user for B); a cut that the
# session survives runs nothing; a kicked session runs down (with the hub's words) and
# the next session up; a stop runs down before the card exits; a user deleted on the hub
# ends the session for good: down runs, and the card exits 2; a hook that fails or
# cannot be run is a warning, one that hangs is stopped after 10 s, and the cards stay
# up and switch frames throughout.
. "$(dirname "$0")/lib.sh"

star 78
for u in alice bob carol dave; do printf '%s-secret\n' "$u" >"$WORK/$u.pw"; done
hub_config "$WORK/hub.yaml" DEFAULT:alice:"$WORK/alice.pw" DEFAULT:bob:"$WORK/bob.pw" \
  DEFAULT:carol:"$WORK/carol.pw" DEFAULT:dave:"$WORK/dave.pw"
# Keepalives every second or less both ways: A's 2 s dead peer sees no cut but ours.
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" --keepalive 1
wait_log hub 'listening on 0.0.0.0:7777'
FP=$(fingerprint hub)
admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" "$@"; }

# hook.sh OUT [ARGS...]: what a hook is told and may do, appended to OUT; a down takes
# a second, so that a card that did not wait for it would be gone before its END.
cat >"$WORK/hook.sh" <<'EOF'
#!/bin/sh
out=$1; shift
{
  echo "EVENT $SOFTETHER_EVENT"
  env | grep '^SOFTETHER_' | sort
  for a in "$@"; do echo "ARG $a"; done
  echo "UID $(id -u)"
  grep '^CapEff' /proc/self/status
  if [ "$SOFTETHER_EVENT" = up ]; then
    ip route replace 10.99.0.0/16 dev "$SOFTETHER_IFACE" && echo "ROUTE added"
  else
    sleep 1
  fi
  echo END
} >>"$out" 2>&1
EOF
chmod 755 "$WORK/hook.sh"
mkdir "$WORK/nobody" && chown nobody "$WORK/nobody"

card() { # NAME NS HUBIP USER [options...]
  local name=$1 ns=$2 hip=$3 user=$4; shift 4
  start "$name" "$ns" "$SOFTETHER" --nic --connect "$hip:7777" --user "$user" \
    --password-file "$WORK/$user.pw" --fingerprint "$FP" "$@"
}
card nicA "$A" 10.78.1.1 alice --mac 5e:00:00:00:00:0a --ip 192.168.78.1/24 \
  --dead-peer 2 --keepalive 1 \
  --up "$WORK/hook.sh $WORK/A.out 'two words' \$(id) a;b" --down "$WORK/hook.sh $WORK/A.out"
start nicB "$B" env SUDO_UID="$(id -u nobody)" SUDO_GID="$(id -g nobody)" \
  "$SOFTETHER" --nic --connect 10.78.2.1:7777 --user bob --password-file "$WORK/bob.pw" \
  --known-hubs "$WORK/nobody/kh" \
  --up "$WORK/hook.sh $WORK/nobody/B.out" --down "$WORK/hook.sh $WORK/nobody/B.out"
card nicC "$B" 10.78.2.1 carol --tap vpn1 --ip 192.168.79.3/24 --up "sleep 60" \
  --down "$WORK/hook.sh $WORK/C.out"
card nicD "$A" 10.78.1.1 dave --tap vpn1 --ip 192.168.79.4/24 --up false \
  --down /nonexistent/hook
for n in nicA nicB nicC nicD; do wait_log "$n" 'up: connected'; done

# C's up hook hangs, D's failed: both cards switch frames all the same.
wait_log nicD 'up hook false exited with status 1'
grep 'up hook false' "$WORK/nicD.log" | grep -q warn || fail "a failed hook is not a warning"
ip netns exec "$A" ping -c 3 -i 0.2 -W 2 192.168.79.3 >/dev/null || fail "ping D -> C"
kill -USR1 "$PID_nicC"
wait_log nicC 'status vpn1: up'
ok "a hook that fails, and one that has not ended, leave the cards up and switching"

# A's up hook: once, every variable, its words as written, and a route.
wait_log nicA 'up hook .* exited with status 0'
SID=$(sed -n 's/.*vpn0 up: .* session=\([0-9]*\) .*/\1/p' "$WORK/nicA.log" | tail -n 1)
[ -n "$SID" ] || fail "no session number in A's log"
want="EVENT up
SOFTETHER_EVENT=up
SOFTETHER_HUB=10.78.1.1
SOFTETHER_HUB_NAME=DEFAULT
SOFTETHER_HUB_PORT=7777
SOFTETHER_IFACE=vpn0
SOFTETHER_IP=192.168.78.1/24
SOFTETHER_MAC=5e:00:00:00:00:0a
SOFTETHER_SESSION=$SID
SOFTETHER_TRANSPORT=direct
SOFTETHER_USER=alice
ARG two words
ARG \$(id)
ARG a;b
UID 0
CapEff:	0000000000001000
ROUTE added
END"
[ "$(cat "$WORK/A.out")" = "$want" ] || fail "A's up hook saw:
$(cat "$WORK/A.out")
expected:
$want"
ip -n "$A" route show 10.99.0.0/16 | grep -q 'dev vpn0' || fail "the up hook's route is missing"
runs_as "$PID_nicA" root 0000000000001000
ok "up: once, with the session's variables, no shell, and CAP_NET_ADMIN for its route"

# B runs as nobody (sudo's user): so does its hook, with CAP_NET_ADMIN all the same.
wait_log nicB 'up hook .* exited with status 0'
runs_as "$PID_nicB" nobody 0000000000001000
grep -qx "UID $(id -u nobody)" "$WORK/nobody/B.out" || fail "B's hook: $(cat "$WORK/nobody/B.out")"
grep -qx "ROUTE added" "$WORK/nobody/B.out" || fail "B's hook: $(cat "$WORK/nobody/B.out")"
grep -qx 'SOFTETHER_USER=bob' "$WORK/nobody/B.out" || fail "B's hook: no SOFTETHER_USER"
grep -q 'SOFTETHER_MAC=' "$WORK/nobody/B.out" || fail "B's hook: no SOFTETHER_MAC"
ip -n "$B" route show 10.99.0.0/16 | grep -q 'dev vpn0' || fail "B's route is missing"
ok "as sudo's user too, the up hook may add a route"

# A cut that A's session survives (4 s, A's dead peer 2 s): no hook runs (D is cut
# too, and resumes as well).
cut_link "$A" va
wait_log nicA 'vpn0: connection lost' 10
sleep 2
mend_link "$A"
wait_log nicA "resumed session $SID" 20
sleep 0.5
[ "$(grep -c '^EVENT' "$WORK/A.out")" = 1 ] || fail "a resume ran a hook: $(grep '^EVENT' "$WORK/A.out")"
ok "a resumed cut runs no hook"

# A kicked session is over: down, with the hub's words; the next session: up.
mark nicA 'up hook .* exited with status 0'
admin -e "session kick $SID" >/dev/null || fail "session kick"
wait_log nicA 'down hook .* exited with status 0'
wait_more nicA 'up hook .* exited with status 0' 15
[ "$(grep '^EVENT' "$WORK/A.out" | tr '\n' ' ')" = "EVENT up EVENT down EVENT up " ] ||
  fail "after a kick: $(grep '^EVENT' "$WORK/A.out")"
down=$(sed -n '/^EVENT down$/,/^END$/p' "$WORK/A.out")
grep -qx "SOFTETHER_SESSION=$SID" <<<"$down" || fail "down: not session $SID: $down"
grep -qx "SOFTETHER_REASON=peer said goodbye: disconnected by the hub's administrator" <<<"$down" ||
  fail "down: the reason: $down"
ok "a kicked session runs down with the hub's words, the next one up"

# C's hanging hook is stopped after 10 s; C stays up.
wait_log nicC 'up hook sleep 60 \(pid [0-9]+\) still running after 10 s; stopping it' 20
wait_log nicC 'up hook sleep 60 killed by signal 15 \(it ran too long\)' 5
kill -0 "$PID_nicC" || fail "the card died with its hook"
mark nicC 'status vpn1: up'
kill -USR1 "$PID_nicC"
wait_more nicC 'status vpn1: up' 5
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.79.3 >/dev/null || fail "ping D -> C after the kill"
ok "a hook that hangs is stopped after 10 s; the card stays up"

# A stop runs down before the card exits (the hook takes a second).
kill -TERM "$PID_nicB"
wait_exit "$PID_nicB" 20; [ "$ST" = 0 ] || fail "B stopped with $ST"
[ "$(sed -n '/^EVENT down$/,$p' "$WORK/nobody/B.out" | tail -n 1)" = END ] ||
  fail "B exited before its down hook ended: $(cat "$WORK/nobody/B.out")"
grep -qx 'SOFTETHER_REASON=client stopping' "$WORK/nobody/B.out" ||
  fail "B's down: $(sed -n '/^EVENT down$/,$p' "$WORK/nobody/B.out")"
kill -TERM "$PID_nicC"
wait_exit "$PID_nicC" 20; [ "$ST" = 0 ] || fail "C stopped with $ST"
grep -qx 'EVENT down' "$WORK/C.out" || fail "C's down hook did not run"
kill -TERM "$PID_nicD"
wait_exit "$PID_nicD" 20; [ "$ST" = 0 ] || fail "D stopped with $ST (its down cannot run)"
grep -q 'warn  down hook: cannot run /nonexistent/hook: No such file or directory' \
  "$WORK/nicD.log" || fail "D: no warning for its down hook"
ok "a stop runs down before the card exits; a down that cannot run is a warning"

# alice deleted: her session ends for good, down runs, the card is refused and exits 2.
admin -e 'user delete DEFAULT alice' >/dev/null || fail "user delete"
wait_exit "$PID_nicA" 30; [ "$ST" = 2 ] || fail "A exited with $ST, expected 2"
[ "$(grep '^EVENT' "$WORK/A.out" | tr '\n' ' ')" = "EVENT up EVENT down EVENT up EVENT down " ] ||
  fail "after the user was deleted: $(grep '^EVENT' "$WORK/A.out")"
[ "$(tail -n 1 "$WORK/A.out")" = END ] || fail "A exited before its down hook ended"
grep -q 'login refused by hub: wrong user or password' "$WORK/nicA.log" || fail "A: no refusal"
ok "a session ended for good runs down, then the refused card exits 2"
