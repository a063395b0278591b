#!/usr/bin/env bash
# Public-key login: a card signs in with an Ed25519 key instead of a password.
#
#   ns A (card A: carol by key)     ns H (hub, no IP forwarding)     ns B (card B: erin by password)
#   vpn0 192.168.88.1/24                                             vpn0 192.168.88.2/24
#   va 10.88.1.2/24 ----------- ha 10.88.1.1   hb 10.88.2.1 ----------- vb 10.88.2.2/24
#
# Users: carol has only a public_key, dave a password and a public_key, erin
# only a password.
#
# Checked: --gen-key writes a one-line base64 32-byte seed with mode 600, prints
# the public key (the one openssl derives from that seed), and will not
# overwrite a file; --public-key prints the same line, and refuses a file that
# is not a key; --check-config refuses a user with neither password nor
# public_key, and a public_key that is not 32 bytes of base64 (FILE:LINE:COL).
# Card A (carol, key) and card B (erin, password) come up, the hub logging
# auth=key and auth=password for their sessions; 10 of 10 pings each way
# across the virtual LAN. A key the hub does not hold for carol, and a key for
# erin (password only), are refused with "wrong user or key" on both sides and
# the card exits 2 without retrying. dave logs in by password and then by key;
# the metrics page counts the logins by key (softether_logins_by_key_total).
# --key-file with --password-file is refused at start. After carol's key is
# changed and the hub gets SIGHUP, her old key is refused and the new one works.
# Re-login tickets: a key card comes back after the hub is killed and started
# again by its ticket (auth=ticket, no signature); a ticket made before the
# user's key changed is refused, and the card falls back to its key.
. "$(dirname "$0")/lib.sh"

N=88
star $N

# ---- keys -------------------------------------------------------------------

# gen_key NAME: $WORK/NAME.key made, its public key (the base64) in PUB_NAME.
gen_key() {
  local out
  out=$("$SOFTETHER" --gen-key "$WORK/$1.key" 2>"$WORK/gen-$1.err") ||
    fail "--gen-key $1: exit status $?: $(cat "$WORK/gen-$1.err")"
  [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "--gen-key $1 printed more than a line: $out"
  [[ "$out" =~ ^public_key:\ \"([A-Za-z0-9+/]{43}=)\"$ ]] ||
    fail "--gen-key $1 printed '$out', expected public_key: \"<44 base64 characters>\""
  printf -v "PUB_$1" '%s' "${BASH_REMATCH[1]}"
}
for k in carol dave other carol2; do gen_key $k; done

# The file: mode 600, one line, base64 of 32 bytes; the public key printed is
# the one that seed gives (derived here by openssl from a PKCS#8 wrapping).
for k in carol dave other carol2; do
  f=$WORK/$k.key
  [ "$(stat -c %a "$f")" = 600 ] || fail "$k.key has mode $(stat -c %a "$f"), expected 600"
  [ "$(wc -l <"$f")" = 1 ] || fail "$k.key is not one line: $(wc -l <"$f") lines"
  n=$(base64 -d <"$f" 2>/dev/null | wc -c) || fail "$k.key is not base64: $(cat "$f")"
  [ "$n" = 32 ] || fail "$k.key decodes to $n bytes, expected 32"
  want=$({ printf '\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20'
           base64 -d <"$f"; } | openssl pkey -inform DER -pubout -outform DER | tail -c 32 | base64)
  v=PUB_$k got=${!v}
  [ "$got" = "$want" ] || fail "$k: --gen-key printed public key $got, the seed gives $want"
done
[ "$PUB_carol" != "$PUB_other" ] || fail "two --gen-key runs gave the same key"
ok "--gen-key: one-line base64 32-byte seed, mode 600, prints its Ed25519 public key"

before=$(sha256sum <"$WORK/carol.key")
if "$SOFTETHER" --gen-key "$WORK/carol.key" >"$WORK/regen.out" 2>&1; then
  fail "--gen-key overwrote an existing key file: $(cat "$WORK/regen.out")"
fi
[ "$(sha256sum <"$WORK/carol.key")" = "$before" ] || fail "a refused --gen-key changed the file"
[ "$(stat -c %a "$WORK/carol.key")" = 600 ] || fail "a refused --gen-key changed the mode"
ok "--gen-key refuses an existing file, leaving it as it was"

for k in carol dave; do
  out=$("$SOFTETHER" --public-key "$WORK/$k.key") || fail "--public-key $k.key: exit status $?"
  v=PUB_$k want=${!v}
  [ "$out" = "public_key: \"$want\"" ] || fail "--public-key $k.key printed '$out', expected public_key: \"$want\""
done
printf 'erin-secret\n' >"$WORK/erin.pw"
for f in "$WORK/erin.pw" "$WORK/no-such.key"; do
  if "$SOFTETHER" --public-key "$f" >"$WORK/pk.out" 2>"$WORK/pk.err"; then
    fail "--public-key accepted $f: $(cat "$WORK/pk.out")"
  fi
  [ -s "$WORK/pk.err" ] || fail "--public-key $f failed without a word on stderr"
  [ -s "$WORK/pk.out" ] && fail "--public-key $f failed but printed: $(cat "$WORK/pk.out")"
done
ok "--public-key prints the same line; a file that is not a key is refused on stderr"

# ---- hub configuration ------------------------------------------------------

printf 'dave-secret\n' >"$WORK/dave.pw"
HASH_dave=$("$SOFTETHER" --hash-password <"$WORK/dave.pw")
HASH_erin=$("$SOFTETHER" --hash-password <"$WORK/erin.pw")

# hub_yaml FILE CAROL_PUBLIC_KEY: the hub's file; carol on line 8.
hub_yaml() {
  cat >"$1" <<YAML
listen: ["0.0.0.0:7777"]
state_dir: $WORK/state
metrics:
  listen: "127.0.0.1:9188"
hubs:
  - name: DEFAULT
    users:
      - name: carol
        public_key: "$2"
      - name: dave
        password: "$HASH_dave"
        public_key: "$PUB_dave"
      - name: erin
        password: "$HASH_erin"
YAML
}
hub_yaml "$WORK/hub.yaml" "$PUB_carol"
"$SOFTETHER" --hub --check-config -c "$WORK/hub.yaml" >"$WORK/check.out" 2>&1 ||
  fail "--check-config refused the key users: $(cat "$WORK/check.out")"

# check_refused FILE WANT...: --check-config refuses FILE, its output holding each WANT (ERE).
check_refused() {
  local f=$1 out w; shift
  local rc=0
  out=$(timeout 10 "$SOFTETHER" --hub --check-config -c "$f" 2>&1) || rc=$?
  [ $rc = 0 ] && fail "--check-config accepted $(basename "$f"): $out"
  [ $rc = 124 ] && fail "--check-config $(basename "$f") still running after 10 s"
  for w in "$@"; do
    grep -Eq -- "$w" <<<"$out" || fail "--check-config $(basename "$f"): '$out', expected '$w'"
  done
}
# frank (line 15) has neither password nor public_key.
hub_yaml "$WORK/neither.yaml" "$PUB_carol"
printf '      - name: frank\n' >>"$WORK/neither.yaml"
check_refused "$WORK/neither.yaml" "needs password or public_key"
# carol's public_key (line 9): 31 bytes, then not base64 at all.
hub_yaml "$WORK/short.yaml" "$(head -c 31 /dev/urandom | base64)"
check_refused "$WORK/short.yaml" "$WORK/short.yaml:9:[0-9]+:" "public_key"
hub_yaml "$WORK/junk.yaml" "not*base64*at*all*not*base64*at*all*not*bas"
check_refused "$WORK/junk.yaml" "$WORK/junk.yaml:9:[0-9]+:" "public_key"
ok "--check-config refuses a user with neither password nor public_key, and a bad public_key at FILE:LINE:COL"

start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_listen "$H" 0.0.0.0 7777 10 "$PID_hub" hub
FP=$(fingerprint hub)
[ ${#FP} -eq 64 ] || fail "hub did not log its fingerprint"

# ---- logins -----------------------------------------------------------------

# up_session NAME IFNAME USER FROM AUTH: card NAME's IFNAME came up, and the hub
# logged that same session for USER from FROM with auth=AUTH.
up_session() {
  local sid
  wait_log "$1" "$2 up: connected to " 20
  sid=$(sed -n "s/.*$2 up: connected to .* session=\([0-9][0-9]*\) .*/\1/p" "$WORK/$1.log" | tail -n 1)
  [ -n "$sid" ] || fail "$1: no session number in: $(grep 'up: connected' "$WORK/$1.log")"
  grep -q 'login=ticket' <(grep "$2 up: connected" "$WORK/$1.log") && fail "$1 logged in by ticket"
  wait_log hub "session $sid up: user=$3 from=${4//./\\.}:[0-9]+ hub=DEFAULT tls=[^ ]+ cipher=[^ ]+ auth=$5\$" 10
}

MAC_A=5e:00:00:00:88:0a MAC_B=5e:00:00:00:88:0b
start nicA "$A" "$SOFTETHER" --nic --connect 10.$N.1.1:7777 --user carol \
  --key-file "$WORK/carol.key" --fingerprint "$FP" --mac $MAC_A --ip 192.168.$N.1/24
up_session nicA vpn0 carol 10.$N.1.2 key
ok "card A logs in as carol by key: up, the hub logs auth=key"

start nicB "$B" "$SOFTETHER" --nic --connect 10.$N.2.1:7777 --user erin \
  --password-file "$WORK/erin.pw" --fingerprint "$FP" --mac $MAC_B --ip 192.168.$N.2/24
up_session nicB vpn0 erin 10.$N.2.2 password
ok "card B logs in as erin by password: up, the hub logs auth=password"

ip netns exec "$A" ping -c 10 -i 0.2 -W 2 192.168.$N.2 >"$WORK/ping.out" 2>&1 || true
grep -q '^10 packets transmitted, 10 received' "$WORK/ping.out" ||
  fail "ping A -> B: $(grep -E 'transmitted|unreachable' "$WORK/ping.out" | head -n 2)"
ip netns exec "$B" ping -c 10 -i 0.2 -W 2 192.168.$N.1 >"$WORK/ping.out" 2>&1 || true
grep -q '^10 packets transmitted, 10 received' "$WORK/ping.out" ||
  fail "ping B -> A: $(grep -E 'transmitted|unreachable' "$WORK/ping.out" | head -n 2)"
ok "10 of 10 pings each way between the key card and the password card"

# refused_key NAME USER KEY: a card in A logging in as USER with KEY is
# refused "wrong user or key" (its log and the hub's) and exits 2 on its own.
refused_key() {
  local re="login refused: user=$2 from=10\.$N\.1\.2:[0-9]+ hub=DEFAULT: wrong user or key"
  mark hub "$re"
  ip netns exec "$A" "$SOFTETHER" --nic --connect 10.$N.1.1:7777 --user "$2" \
    --key-file "$WORK/$3.key" --fingerprint "$FP" --tap vpnx >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  wait_exit $! 20
  [ "$ST" = 2 ] || fail "$1: exit status $ST, expected 2: $(tail -n 3 "$WORK/$1.log")"
  grep -q 'login refused by hub: wrong user or key' "$WORK/$1.log" ||
    fail "$1: no 'login refused by hub: wrong user or key' in: $(tail -n 3 "$WORK/$1.log")"
  grep -Eq 'reconnecting|up: connected' "$WORK/$1.log" &&
    fail "$1: tried again or came up: $(grep -E 'reconnecting|up: connected' "$WORK/$1.log" | head -n 2)"
  wait_more hub "$re" 5
}
refused_key wrongkey carol other
ok "carol with a key the hub does not hold: refused (wrong user or key), the card exits 2"
refused_key erinkey erin other
ok "erin (password only) by key: refused (wrong user or key), the card exits 2"

# one_login NAME USER AUTH OPTS...: a card in A as USER comes up on vpn1 (the
# hub logging auth=AUTH), then stops cleanly.
one_login() {
  local name=$1 user=$2 auth=$3; shift 3
  start "$name" "$A" "$SOFTETHER" --nic --connect 10.$N.1.1:7777 --user "$user" \
    --fingerprint "$FP" --tap vpn1 "$@"
  up_session "$name" vpn1 "$user" 10.$N.1.2 "$auth"
  local v=PID_$name pid
  pid=${!v}
  kill -TERM "$pid"
  wait_exit "$pid" 10
  [ "$ST" = 0 ] || fail "$name did not stop cleanly on SIGTERM: $ST"
}
one_login davepw dave password --password-file "$WORK/dave.pw"
one_login davekey dave key --key-file "$WORK/dave.key"
ok "dave (password and key) logs in either way: auth=password, then auth=key"

# The metrics page counts them: four sessions started (carol and dave by
# key, erin and dave by password), the refused ones among the failed.
read -r lok lkey lfail <<<"$(ip netns exec "$H" python3 "$(dirname "$0")/promcheck.py" \
  --url http://127.0.0.1:9188/metrics --get 'softether_logins_total hub=DEFAULT,result=ok' \
  --get 'softether_logins_by_key_total hub=DEFAULT' \
  --get 'softether_logins_total hub=DEFAULT,result=failed' | tr '\n' ' ')"
[ "$lok" = 4 ] && [ "$lkey" = 2 ] && [ "$lfail" = 2 ] ||
  fail "metrics: logins ok $lok, by key $lkey, failed $lfail; expected 4, 2 and 2"
ok "the metrics page counts 2 logins by key of 4, and the 2 refused keys as failed"

rc=0
out=$(ip netns exec "$A" timeout 10 "$SOFTETHER" --nic --connect 10.$N.1.1:7777 --user dave \
  --key-file "$WORK/dave.key" --password-file "$WORK/dave.pw" --fingerprint "$FP" \
  --tap vpnx 2>&1) || rc=$?
[ $rc = 0 ] && fail "--key-file with --password-file accepted: $out"
[ $rc = 124 ] && fail "--key-file with --password-file: still running after 10 s: $out"
# (named as options or as the client file's keys: key_file, password_file)
grep -q -- 'key[-_]file' <<<"$out" && grep -q -- 'password[-_]file' <<<"$out" ||
  fail "--key-file with --password-file: '$out', expected both named"
grep -q 'up: connected' <<<"$out" && fail "--key-file with --password-file connected: $out"
ip -n "$A" link show vpnx >/dev/null 2>&1 && fail "a refused start left vpnx behind"
ok "--key-file with --password-file is refused at start, naming both"

# ---- reload -----------------------------------------------------------------

hub_yaml "$WORK/hub.yaml" "$PUB_carol2"
mark hub 'configuration reloaded'
kill -HUP "$PID_hub"
wait_more hub 'configuration reloaded' 10
refused_key oldkey carol carol
ok "after carol's key is changed and SIGHUP, her old key is refused"
one_login newkey carol key --key-file "$WORK/carol2.key"
ok "... and her new key logs in (auth=key)"

# ---- re-login tickets -------------------------------------------------------

# hub_restart NAME: the hub killed (no goodbye) and started again as NAME on
# the same file and state directory (its certificate and ticket key).
hub_restart() {
  kill -9 "$PID_hub"
  wait "$PID_hub" 2>/dev/null || true
  start "$1" "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
  PID_hub=$(eval echo "\$PID_$1")
  wait_listen "$H" 0.0.0.0 7777 10 "$PID_hub" "$1"
}
start keyt "$A" "$SOFTETHER" --nic --connect 10.$N.1.1:7777 --user carol \
  --key-file "$WORK/carol2.key" --fingerprint "$FP" --tap vpn2 --ip none
up_session keyt vpn2 carol 10.$N.1.2 key
hub_restart hub2
wait_log keyt 'vpn2 up: .*login=ticket' 30
wait_log hub2 'session [0-9]+ up: user=carol from=10\.'$N'\.1\.2:[0-9]+ .* auth=ticket$' 10
ok "after the hub is killed and started again, the key card is back by its ticket (auth=ticket)"

# carol's key changes while the hub is down: the ticket (bound to the old
# key) is refused, and the card's key, now not hers, too.
hub_yaml "$WORK/hub.yaml" "$PUB_other"
hub_restart hub3
wait_log hub3 're-login ticket refused: user=carol .*: the user.s password or key changed since' 30
wait_log keyt 'hub refused the re-login ticket .*; logging in with the key' 10
wait_log hub3 'login refused: user=carol from=10\.'$N'\.1\.2:[0-9]+ hub=DEFAULT: wrong user or key' 10
wait_exit "$PID_keyt" 20
[ "$ST" = 2 ] || fail "keyt: exit status $ST after its key was refused, expected 2"
ok "a ticket made before carol's key changed is refused; the card tries its key, refused too, and stops"
