#!/usr/bin/env bash
# Password guessing from one address is throttled however it is dressed up.
#
#   ns A (cards: mallory guessing bob's password, alice logging in) -- ns H (hub)
#
# 1. Bad guesses interleaved with alice's good logins from the same address:
#    her successes never reset the count; the sixth failure locks the
#    address out, for alice too, with the wait in the message.
# 2. Twelve guesses at once from another address: at most four are
#    checked at a time, every one is counted when it is queued, so the
#    address is locked after six failures, not after twelve.
. "$(dirname "$0")/lib.sh"

star 83
printf 'alice-secret\n' >"$WORK/alice.pw"
printf 'bob-secret\n' >"$WORK/bob.pw"
printf 'guess\n' >"$WORK/guess.pw"
hub_config "$WORK/hub.yaml" DEFAULT:alice:"$WORK/alice.pw" DEFAULT:bob:"$WORK/bob.pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on 0.0.0.0:7777'
FP=$(fingerprint hub)

# try NS USER PWFILE: one card that logs in and stops (or is refused);
# its log in $LOG (a new file each time), its exit status in $ST.
TRIES=0
try() {
  TRIES=$((TRIES + 1)); LOG="$WORK/try$TRIES.log"
  ip netns exec "$1" "$SOFTETHER" --nic --connect 10.83.$([ "$1" = "$A" ] && echo 1 || echo 2).1:7777 \
    --user "$2" --password-file "$3" --fingerprint "$FP" --tap tryvpn >"$LOG" 2>&1 &
  local pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q 'tryvpn up' "$LOG" && { kill -TERM $pid; break; }
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  wait_exit $pid 10
}

for i in 1 2 3 4 5; do
  try "$A" bob "$WORK/guess.pw"
  [ "$ST" = 2 ] && grep -q 'wrong user or password' "$LOG" ||
    fail "guess $i: status $ST: $(tail -n 2 "$LOG")"
  try "$A" alice "$WORK/alice.pw"
  [ "$ST" = 0 ] || fail "alice's login $i: status $ST: $(tail -n 2 "$LOG")"
done
# The sixth failure locks the address for 1 s, the next for 2, then 4:
# within four more guesses one must be held (with a reset, none would be).
held=0
for i in 6 7 8 9; do
  try "$A" bob "$WORK/guess.pw"
  if grep -q 'too many failed logins from this address; try again in [0-9]* s' "$LOG"; then
    held=$i; break
  fi
  grep -q 'wrong user or password' "$LOG" || fail "guess $i: $(cat "$LOG")"
done
[ "$held" != 0 ] || fail "after five successes between the guesses, none was held back"
try "$A" alice "$WORK/alice.pw"
grep -q 'too many failed logins' "$LOG" || fail "alice is not held with her address"
wait_log hub 'login refused: user=bob from=10.83.1.2:[0-9]+: too many failed logins'
ok "five successes between the guesses reset nothing: guess $held was held back"

# 2. From B: twelve guesses at once. At most four are checked at a time and
#    each counts when queued: in the first 3 s, five free failures, the one
#    that locks, perhaps one after the first wait; the rest are held.
for i in $(seq 1 12); do
  start "g$i" "$B" "$SOFTETHER" --nic --connect 10.83.2.1:7777 --user bob \
    --password-file "$WORK/guess.pw" --fingerprint "$FP" --tap "g$i"
done
sleep 3
wrong=$(grep -Ec 'user=bob from=10.83.2.2:[0-9]+ hub=DEFAULT: wrong user or password' "$WORK/hub.log" || true)
held=$(grep -Ec 'user=bob from=10.83.2.2:[0-9]+: too many (failed logins|logins at once)' "$WORK/hub.log" || true)
[ "$wrong" -le 8 ] || fail "$wrong of 12 parallel guesses were checked within 3 s"
[ "$held" -ge 4 ] || fail "only $held of the parallel guesses were held back"
ok "12 parallel guesses: $wrong checked within 3 s, $held held back"
