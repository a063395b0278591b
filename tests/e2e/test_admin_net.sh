#!/usr/bin/env bash
# softether --admin HOST: administration inside the hub's TLS port.
#
#   ns A: softether --admin 10.84.1.1:7777 --veth-- ns H: hub
#
# The hub is verified as a card verifies it (known_hubs, --fingerprint);
# the admin password travels only inside TLS; answers of any size arrive
# whole; the administrator logs in with a key (admin.public_key,
# --admin-key-file) as well, a wrong key refused and never both secrets at
# once; a wrong password is refused, then throttled; a hub without
# admin.password refuses administration over the network, and one without
# admin.public_key by key; one with the key only says so to a password.
. "$(dirname "$0")/lib.sh"

H=${PFX}h A=${PFX}a
mkns "$H"; mkns "$A"
link "$A" va 10.84.1.2/24 "$H" ha 10.84.1.1/24
printf 'pw\n' >"$WORK/pw"; printf 'admin-secret\n' >"$WORK/admin.pw"; printf 'nope\n' >"$WORK/bad.pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
cp "$WORK/hub.yaml" "$WORK/closed.yaml"
"$SOFTETHER" --gen-key "$WORK/admin.key" >"$WORK/admin.pub" || fail "--gen-key"
"$SOFTETHER" --gen-key "$WORK/other.key" >/dev/null || fail "--gen-key"
printf 'admin:\n  password: "%s"\n  %s\n' "$("$SOFTETHER" --hash-password <"$WORK/admin.pw")" \
  "$(cat "$WORK/admin.pub")" >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on'
FP=$(fingerprint hub)

net() { ip netns exec "$A" "$SOFTETHER" --admin 10.84.1.1:7777 --known-hubs "$WORK/kh" "$@"; }

out=$(net --admin-password-file "$WORK/admin.pw" -e 'hub list') || fail "hub list over TLS: $?"
grep -Eq '^DEFAULT +yes ' <<<"$out" || fail "hub list: $out"
grep -q "10.84.1.1:7777 $FP" "$WORK/kh" || fail "known_hubs not recorded"
wait_log hub 'admin login: from=10.84.1.2:'
ok "a command over the hub's TLS port; the hub recorded in known_hubs"

mark hub 'admin login: from=10.84.1.2:'
out=$(net --admin-key-file "$WORK/admin.key" -e 'hub list') || fail "hub list by key: $?"
grep -Eq '^DEFAULT +yes ' <<<"$out" || fail "hub list by key: $out"
wait_more hub 'admin login: from=10.84.1.2:' 5
net --admin-key-file "$WORK/other.key" -e status 2>"$WORK/err" && fail "another key was accepted"
grep -q 'wrong admin key' "$WORK/err" || fail "wrong key message: $(cat "$WORK/err")"
wait_log hub 'admin login refused: from=10.84.1.2:[0-9]+: wrong key'
net --admin-key-file "$WORK/admin.key" --admin-password-file "$WORK/admin.pw" -e status 2>"$WORK/err" &&
  fail "both a key and a password were accepted"
grep -q 'not both' "$WORK/err" || fail "both secrets message: $(cat "$WORK/err")"
ok "the administrator logs in with the key of admin.public_key; another key is refused"

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
net --admin-key-file "$WORK/admin.key" -e status 2>"$WORK/err" && fail "administration by key without admin.public_key"
grep -q 'administration by key is closed on this hub' "$WORK/err" || fail "closed message: $(cat "$WORK/err")"
ok "without admin.password the hub refuses administration over the network, without admin.public_key by key"

kill -TERM "$PID_hub2"; wait_exit "$PID_hub2" 10
cp "$WORK/closed.yaml" "$WORK/keyonly.yaml"
printf 'admin:\n  %s\n' "$(cat "$WORK/admin.pub")" >>"$WORK/keyonly.yaml"
start hub3 "$H" "$SOFTETHER" --hub -c "$WORK/keyonly.yaml"
wait_log hub3 'listening on'
net --admin-password-file "$WORK/admin.pw" -e status 2>"$WORK/err" && fail "a password where only a key is taken"
grep -q 'logs in with a key (--admin-key-file), not a password' "$WORK/err" || fail "key-only message: $(cat "$WORK/err")"
net --admin-key-file "$WORK/admin.key" -e status >/dev/null || fail "the key on a key-only hub: $?"
ok "a hub with admin.public_key only takes the key, and says so to a password"
