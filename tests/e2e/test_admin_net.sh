#!/usr/bin/env bash
# softether --admin HOST: administration inside the hub's TLS port.
#
#   ns A: softether --admin 10.84.1.1:7777 --veth-- ns H: hub
#
# The hub is verified as a card verifies it (known_hubs, --fingerprint);
# the admin password travels only inside TLS; answers of any size arrive
# whole; a wrong password is refused, then throttled; a hub without
# admin.password refuses administration over the network.
. "$(dirname "$0")/lib.sh"

H=${PFX}h A=${PFX}a
mkns "$H"; mkns "$A"
link "$A" va 10.84.1.2/24 "$H" ha 10.84.1.1/24
printf 'pw\n' >"$WORK/pw"; printf 'admin-secret\n' >"$WORK/admin.pw"; printf 'nope\n' >"$WORK/bad.pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
cp "$WORK/hub.yaml" "$WORK/closed.yaml"
printf 'admin:\n  password: "%s"\n' "$("$SOFTETHER" --hash-password <"$WORK/admin.pw")" >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on'
FP=$(fingerprint hub)

net() { ip netns exec "$A" "$SOFTETHER" --admin 10.84.1.1:7777 --known-hubs "$WORK/kh" "$@"; }

out=$(net --admin-password-file "$WORK/admin.pw" -e 'hub list') || fail "hub list over TLS: $?"
grep -Eq '^DEFAULT +yes ' <<<"$out" || fail "hub list: $out"
grep -q "10.84.1.1:7777 $FP" "$WORK/kh" || fail "known_hubs not recorded"
wait_log hub 'admin login: from=10.84.1.2:'
ok "a command over the hub's TLS port; the hub recorded in known_hubs"

# Sixty users make config show longer than one message: it arrives whole.
HASH=$("$SOFTETHER" --hash-password <"$WORK/pw")
for i in $(seq -w 1 60); do
  net --admin-password-file "$WORK/admin.pw" -e "user add DEFAULT user$i --hash '$HASH'" >/dev/null ||
    fail "user add user$i"
done
remote=$(net --admin-password-file "$WORK/admin.pw" -e 'config show')
local=$(ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" -e 'config show')
[ "${#remote}" -gt 4096 ] || fail "config show is only ${#remote} bytes"
[ "$remote" = "$local" ] || fail "config show over TLS differs from the local one"
net --admin-password-file "$WORK/admin.pw" --json -e 'user list DEFAULT' | python3 -m json.tool >/dev/null ||
  fail "--json over TLS is not JSON"
ok "answers longer than one message arrive whole (${#remote} bytes); --json parses"

net --admin-password-file "$WORK/admin.pw" -e 'frobnicate' 2>"$WORK/err" && fail "unknown command succeeded"
grep -q "unknown command 'frobnicate'" "$WORK/err" || fail "refusal message"
net --admin-password-file "$WORK/admin.pw" --fingerprint "$(printf '0%.0s' $(seq 64))" -e status 2>"$WORK/err" &&
  fail "a wrong fingerprint was accepted"
grep -q 'not the one expected' "$WORK/err" || fail "fingerprint refusal: $(cat "$WORK/err")"
ok "refused commands and an unexpected certificate exit 1 with the reason"

net --admin-password-file "$WORK/bad.pw" -e status 2>"$WORK/err" && fail "a wrong admin password was accepted"
grep -q 'wrong admin password' "$WORK/err" || fail "wrong password message: $(cat "$WORK/err")"
for i in 1 2 3 4 5; do net --admin-password-file "$WORK/bad.pw" -e status 2>/dev/null || true; done
net --admin-password-file "$WORK/admin.pw" -e status 2>"$WORK/err" && fail "not throttled"
grep -q 'too many failed logins' "$WORK/err" || fail "throttle message: $(cat "$WORK/err")"
ok "a wrong admin password is refused, and repeated ones are throttled"

kill -TERM "$PID_hub"; wait_exit "$PID_hub" 10
start hub2 "$H" "$SOFTETHER" --hub -c "$WORK/closed.yaml"
wait_log hub2 'listening on'
net --admin-password-file "$WORK/admin.pw" -e status 2>"$WORK/err" && fail "administration without admin.password"
grep -q 'administration over the network is closed on this hub' "$WORK/err" || fail "closed message: $(cat "$WORK/err")"
ok "without admin.password the hub refuses administration over the network"
