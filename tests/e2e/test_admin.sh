#!/usr/bin/env bash
# Administering a running hub through its local control socket.
#
#   ns A: card 192.168.79.1 --veth-- ns H (hub; softether --admin runs here)
#   ns B: card 192.168.79.2 --veth--+
#
# softether --admin -e shows the sessions with their source addresses and
# transports, the MAC and IP tables, and kicks a session: the card logs the
# administrator's words and logs in afresh rather than resuming. --json
# answers parse as JSON; a refused command exits 1 with its message.
. "$(dirname "$0")/lib.sh"

star 79
printf 'pw\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on'
FP=$(fingerprint hub)
SOCK="$WORK/state/control.sock"
wait_log hub "control socket $SOCK"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "control socket mode $(stat -c %a "$SOCK")"
ok "control socket $SOCK, mode 0600"

admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" "$@"; }

start nicA "$A" "$SOFTETHER" --nic --connect 10.79.1.1:7777 --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --ip 192.168.79.1/24
start nicB "$B" "$SOFTETHER" --nic --connect 10.79.2.1:7777 --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --ip 192.168.79.2/24
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.79.2 >/dev/null || fail "ping A -> B"

out=$(admin -e 'session list') || fail "session list: $?"
grep -Eq '^[0-9]+ +DEFAULT +u +10\.79\.1\.2:[0-9]+ +direct .* up ' <<<"$out" ||
  fail "session list lacks card A: $out"
grep -q '10.79.2.2:' <<<"$out" || fail "session list lacks card B: $out"
ok "session list shows both cards with their source addresses"

admin --json -e 'session list' | python3 -m json.tool >/dev/null || fail "--json is not JSON"
for cmd in status 'hub list' 'mac list DEFAULT' 'ip list DEFAULT' 'help' 'config show'; do
  admin --json -e "$cmd" | python3 -m json.tool >/dev/null || fail "--json $cmd is not JSON"
done
ok "--json answers parse"

MAC_A=$(ip -n "$A" link show vpn0 | awk '/link\/ether/ {print $2}')
SID_A=$(admin --json -e 'session list' | python3 -c '
import json,sys
print([s["id"] for s in json.load(sys.stdin)["sessions"] if s["from"].startswith("10.79.1.2:")][0])')
admin -e 'mac list DEFAULT' | grep -Eq "^$MAC_A +$SID_A " || fail "mac list lacks A's MAC $MAC_A"
admin -e 'ip list DEFAULT' | grep -Eq "^192\.168\.79\.1 +$SID_A " || fail "ip list lacks A's address"
ok "mac list and ip list show card A's entries (session $SID_A)"

admin -e 'session kick 999' 2>"$WORK/err" && fail "kicking a missing session succeeded"
grep -q 'no session 999' "$WORK/err" || fail "refusal message: $(cat "$WORK/err")"
admin -e 'frobnicate' 2>"$WORK/err" && fail "an unknown command succeeded"
grep -q "unknown command 'frobnicate' (try: help)" "$WORK/err" || fail "unknown command message"
ok "refused commands exit 1 with their message on stderr"

mark nicA 'vpn0 up: connected'
admin -e "session kick $SID_A" >/dev/null || fail "session kick"
wait_log nicA "session $SID_A lost: peer said goodbye: disconnected by the hub's administrator"
wait_log hub "session $SID_A down: .*reason=disconnected by the hub's administrator"
wait_more nicA 'vpn0 up: connected' 15
grep -q "resumed session $SID_A" "$WORK/nicA.log" && fail "the kicked session was resumed"
admin -e "session show $SID_A" 2>/dev/null && fail "the kicked session still exists"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.79.2 >/dev/null || fail "ping after the new login"
ok "kicked: the card logged why and came back as a new session"

# At a terminal (script gives it one): a prompt with line editing, and the
# history kept in ~/.softether/admin_history.
mkdir -p "$WORK/home"
out=$(printf 'hub list\rquit\r' | HOME="$WORK/home" ip netns exec "$H" \
  script -qfec "$SOFTETHER --admin -c $WORK/hub.yaml" /dev/null | tr -d '\r') || true
grep -q '^softether> hub list' <<<"$out" || fail "no prompt at a terminal: $out"
grep -Eq '^DEFAULT +yes ' <<<"$out" || fail "hub list at a terminal: $out"
grep -q 'hub\\040list' "$WORK/home/.softether/admin_history" || fail "history not kept"
ok "at a terminal: a prompt with line editing, history kept"

# A user added from the console logs in at once and survives a restart; the
# hand-written file is left alone.
cp "$WORK/hub.yaml" "$WORK/hub.yaml.orig"
printf 'pw-carol\n' >"$WORK/carol.pw"
admin -e 'user add DEFAULT carol' --password-file "$WORK/carol.pw" | grep -q saved || fail "user add"
grep -q 'name: "carol"' "$WORK/state/managed.yaml" || fail "carol not saved in managed.yaml"
cmp -s "$WORK/hub.yaml" "$WORK/hub.yaml.orig" || fail "the hand-written configuration was changed"
start nicC "$A" "$SOFTETHER" --nic --connect 10.79.1.1:7777 --user carol --password-file "$WORK/carol.pw" \
  --fingerprint "$FP" --tap vpn1
wait_log nicC 'vpn1 up: connected'
ok "user add: carol logs in at once; saved apart from the hand-written file"

kill -TERM "$PID_hub"; wait_exit "$PID_hub" 10
[ -e "$SOCK" ] && fail "control socket left behind"
ok "control socket removed on exit"
mark nicC 'vpn1 up: connected'
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_more nicC 'vpn1 up: connected' 40
admin -e 'user list DEFAULT' | grep -Eq '^carol +console +1 ' || fail "carol after the restart"
ok "after a restart carol is still there and her card is back"

admin -e 'user delete DEFAULT carol' >/dev/null || fail "user delete"
wait_log nicC 'peer said goodbye: your account was removed from the hub'
wait_exit "$PID_nicC" 20
[ "$ST" = 2 ] || fail "carol's card: exit $ST after her user was deleted, expected 2"
ok "user delete: her session ended with the reason; her card is refused after"
