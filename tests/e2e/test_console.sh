#!/usr/bin/env bash
# The telnet-compatible console on 127.0.0.1:8023, driven with nc.
#
#   ns A: card 192.168.83.1 --veth-- ns H: hub, console on 127.0.0.1:8023
#
# Nothing before the password (a command in its place is a wrong password);
# a wrong password is refused and, repeated, throttled; the right one opens
# the commands (telnet negotiation bytes are ignored); an over-long line is
# refused with a message; a hub without admin.password keeps the port closed.
. "$(dirname "$0")/lib.sh"

H=${PFX}h A=${PFX}a
mkns "$H"; mkns "$A"
link "$A" va 10.83.1.2/24 "$H" ha 10.83.1.1/24
printf 'pw\n' >"$WORK/pw"; printf 'admin-secret\n' >"$WORK/admin.pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
cp "$WORK/hub.yaml" "$WORK/closed.yaml"
printf 'admin:\n  password: "%s"\n' "$("$SOFTETHER" --hash-password <"$WORK/admin.pw")" >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'admin console on 127.0.0.1:8023'
FP=$(fingerprint hub)
start nicA "$A" "$SOFTETHER" --nic --connect 10.83.1.1:7777 --user u --password-file "$WORK/pw" \
  --fingerprint "$FP"
wait_log nicA 'vpn0 up'

console() { ip netns exec "$H" timeout 20 nc -N 127.0.0.1 8023; }

out=$(printf 'session list\r\nstatus\r\n' | console) || true
grep -q 'wrong password' <<<"$out" || fail "a command before the password: $out"
grep -q 'sessions' <<<"$out" && fail "a command ran before login: $out"
wait_log hub 'console login refused: from=127.0.0.1: wrong password'
ok "nothing runs before the password"

# Telnet's negotiation (IAC DO SUPPRESS-GO-AHEAD) before the password.
out=$( (printf '\377\375\003'; printf 'admin-secret\r\nsession list\r\nquit\r\n') | console) || true
grep -q 'console; help lists the commands' <<<"$out" || fail "login: $out"
grep -Eq '^[0-9]+ +DEFAULT +u +10\.83\.1\.2:' <<<"$(tr -d '\r' <<<"$out" | sed 's/^> //')" ||
  fail "session list on the console: $out"
ok "the right password opens the commands (telnet bytes ignored)"

out=$( (printf 'admin-secret\r\n'; head -c 2000 /dev/zero | tr '\0' a; printf '\r\nhub list\r\n') | console) || true
grep -q 'line too long (at most 1024 bytes)' <<<"$out" || fail "over-long line: $out"
grep -q 'DEFAULT' <<<"$out" || fail "the console stopped after an over-long line: $out"
ok "an over-long line is refused with a message, and the console goes on"

# The console's own commands change the hub: a user added there logs in,
# shows in its tables, is kicked, and is still there after a restart.
printf 'pw-carol\n' >"$WORK/carol.pw"
HASH=$("$SOFTETHER" --hash-password <"$WORK/carol.pw")
out=$(printf "admin-secret\r\nuser add DEFAULT carol --hash '%s'\r\n" "$HASH" | console) || true
grep -q 'done (saved)' <<<"$out" || fail "user add on the console: $out"
start nicC "$A" "$SOFTETHER" --nic --connect 10.83.1.1:7777 --user carol --password-file "$WORK/carol.pw" \
  --fingerprint "$FP" --tap vpn1
wait_log nicC 'vpn1 up'
out=$(printf 'admin-secret\r\nsession list\r\nmac list DEFAULT\r\n' | console | tr -d '\r' | sed 's/^> //') || true
SID=$(awk '$3 == "carol" && $4 ~ /^10\.83\.1\.2:/ {print $1}' <<<"$out")
[ -n "$SID" ] || fail "carol's session not in session list: $out"
MAC_C=$(ip -n "$A" link show vpn1 | awk '/link\/ether/ {print $2}')
grep -Eq "^$MAC_C +$SID " <<<"$out" || fail "carol's MAC not in mac list: $out"
out=$(printf 'admin-secret\r\nsession kick %s\r\n' "$SID" | console) || true
grep -q "session $SID kicked" <<<"$out" || fail "kick on the console: $out"
wait_log nicC "session $SID lost: peer said goodbye: disconnected by the hub's administrator"
ok "on the console: user add, her session and MAC listed, kicked"

for i in 1 2 3 4 5 6; do printf 'nope\r\n' | console >/dev/null || true; done
out=$(printf 'admin-secret\r\n' | console) || true
grep -q 'too many failed logins from this address' <<<"$out" || fail "throttle: $out"
ok "repeated wrong passwords are throttled, even the right one waits"

kill -TERM "$PID_hub"; wait_exit "$PID_hub" 10
start hub1 "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub1 'admin console on 127.0.0.1:8023'
out=$(printf 'admin-secret\r\nuser list DEFAULT\r\n' | console | tr -d '\r') || true
grep -Eq '(^|> )carol +console ' <<<"$out" || fail "carol after a restart: $out"
ok "after a restart the console's user is still there"
kill -TERM "$PID_hub1"; wait_exit "$PID_hub1" 10
start hub2 "$H" "$SOFTETHER" --hub -c "$WORK/closed.yaml"
wait_log hub2 'admin console closed: set admin.password'
ip netns exec "$H" nc -z -w 2 127.0.0.1 8023 && fail "the console port is open without a password"
ok "no admin.password: the console port stays closed, and the log says so"
