#!/usr/bin/env bash
# The hub and two virtual LAN cards, end to end over TLS.
#
#   ns A (client)                ns H (hub, no IP forwarding)            ns B (client)
#   vpn0 192.168.77.1/24                                           vpn0 192.168.77.2/24
#   va 10.77.1.2/24 ----------- ha 10.77.1.1   hb 10.77.2.1 ----------- vb 10.77.2.2/24
#
# Checks: ping both ways, a 20 MB transfer with a matching checksum, a broadcast
# (arping) reaching the other card, carrier following the session, a wrong password and
# a wrong fingerprint refused with their messages, a killed client's MACs forgotten.
# Each card keeps only CAP_NET_ADMIN once its TAP is up; B is started as if through
# sudo by nobody, and becomes nobody.
. "$(dirname "$0")/lib.sh"

star 77

printf 'alice-secret\n' >"$WORK/alice.pw"
printf 'bob-secret\n' >"$WORK/bob.pw"
printf 'not-the-password\n' >"$WORK/wrong.pw"
hub_config "$WORK/hub.yaml" DEFAULT:alice:"$WORK/alice.pw" DEFAULT:bob:"$WORK/bob.pw"

# Every option goes with its roles, a transport's options with that transport: any
# other is refused, named as it was typed, by a start and by --check-config alike
# (run in A, bounded, in case one were not).
refused() { # WANT ARGS...: softether ARGS fails, saying WANT
  local want=$1 out; shift
  out=$(ip netns exec "$A" timeout 10 "$SOFTETHER" "$@" 2>&1) && fail "accepted: $*"
  grep -qF -- "$want" <<<"$out" || fail "softether $*: '$out', expected '$want'"
}
NIC=(--connect 10.77.1.1:7777 --user alice --password-file "$WORK/alice.pw" --tap vpnx)
HUB=(--hub --state-dir "$WORK/nostate")
: >"$WORK/empty.yaml"
for check in "" --check-config; do
  refused "--user goes with --nic, not --hub" $check "${HUB[@]}" --user x
  refused "--no-offload goes with --nic, not --hub" $check "${HUB[@]}" --no-offload
  refused "--offload goes with --nic, not --hub" $check "${HUB[@]}" --offload false
  refused "--up goes with --nic, not --hub" $check "${HUB[@]}" --up true
  refused "--ssh-option goes with --nic, not --hub" $check "${HUB[@]}" --ssh-option A=b
  refused "--admin-password-file goes with --admin HOST, not --hub" $check "${HUB[@]}" \
    --admin-password-file "$WORK/alice.pw"
  refused "--state-dir goes with --hub or --admin, not --nic" $check --nic "${NIC[@]}" \
    --state-dir "$WORK/nostate"
  refused "--admin-password-file goes with --admin HOST, not --nic" $check --nic "${NIC[@]}" \
    --admin-password-file "$WORK/alice.pw"
  refused "--ssh-option: goes with --via ssh, not direct" $check --nic "${NIC[@]}" \
    --ssh-option ServerAliveInterval=5
  refused "--proxy: goes with --via http-proxy, socks4 or socks5, not ssh" $check --nic \
    "${NIC[@]}" --via ssh --ssh gw.example.net --proxy proxy.example.net:3128
  refused "--ssh: goes with --via ssh, not socks5" $check --nic "${NIC[@]}" --via socks5 \
    --proxy proxy.example.net:1080 --ssh gw.example.net
  refused "--password-file $WORK/no.pw: No such file or directory" $check --nic \
    "${NIC[@]}" --password-file "$WORK/no.pw"
  refused "a card needs connect, user and password_file or key_file (or --connect, --user and --password-file or --key-file)" \
    $check --nic -c "$WORK/empty.yaml"
done
refused "--admin-password-file goes with --admin HOST, not --admin" --admin \
  --state-dir "$WORK/nostate" --admin-password-file "$WORK/alice.pw"
refused "--no-offload goes with --nic, not --admin" --admin --state-dir "$WORK/nostate" --no-offload
refused "no role given: --hub, --nic or --admin" -v
refused "no role given: --hub, --nic or --admin"
[ -e "$WORK/nostate" ] && fail "a refused hub made its state directory"
ok "options of another role or transport are refused by name, checked or started"

start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" --resume-window 3
wait_log hub 'listening on 0.0.0.0:7777'
wait_log hub "running as $HUB_USER"
runs_as "$PID_hub" "$HUB_USER" 0000000000000000
ok "the hub has given up root: it runs as $HUB_USER with no capabilities"
FP=$(fingerprint hub)
[ ${#FP} -eq 64 ] || fail "hub did not log its fingerprint"

MAC_A=5e:00:00:00:00:0a MAC_B=5e:00:00:00:00:0b
start nicA "$A" "$SOFTETHER" --nic --connect 10.77.1.1:7777 --user alice \
  --password-file "$WORK/alice.pw" --fingerprint "$FP" --mac $MAC_A --ip 192.168.77.1/24
# Before B exists, A's card has no peer but is up; B's card starts unplugged.
# B's card takes its options from a client config file.
mkdir "$WORK/nobody" && chown nobody "$WORK/nobody"
KH=$WORK/nobody/known_hubs
cat >"$WORK/bob.yaml" <<CONF
connect: 10.77.2.1:7777
user: bob
password_file: $WORK/bob.pw
known_hubs: $KH
mac: "$MAC_B"
ip: 192.168.77.2/24
CONF
start nicB "$B" env SUDO_UID="$(id -u nobody)" SUDO_GID="$(id -g nobody)" \
  "$SOFTETHER" --nic -c "$WORK/bob.yaml"
wait_log nicA 'vpn0 up'
wait_log nicB 'vpn0 up'
runs_as "$PID_nicA" root 0000000000001000
runs_as "$PID_nicB" nobody 0000000000001000
wait_log nicB 'running as nobody \(uid [0-9]+, sudo.s user\), keeping only CAP_NET_ADMIN'
ok "the cards keep only CAP_NET_ADMIN; through sudo, B runs as the invoking user"
grep -q "recorded its certificate fingerprint $FP" "$WORK/nicB.log" || fail "known_hubs not recorded"
ip -n "$A" link show vpn0 | grep -q 'NO-CARRIER' && fail "vpn0 reports no carrier while connected"
ok "two cards connected (pinned fingerprint, trust on first use)"

ip netns exec "$A" ping -c 3 -i 0.2 -W 2 192.168.77.2 >/dev/null || fail "ping A -> B"
ip netns exec "$B" ping -c 3 -i 0.2 -W 2 192.168.77.1 >/dev/null || fail "ping B -> A"
ip netns exec "$A" ping -6 -c 2 -i 0.2 -w 8 "fe80::5c00:ff:fe00:b%vpn0" >/dev/null ||
  fail "IPv6 link-local ping A -> B"
ok "ping both ways (IPv4 and IPv6)"

ip netns exec "$A" arping -c 2 -w 5 -I vpn0 192.168.77.2 >/dev/null || fail "arping A -> B"
ok "broadcast ARP reaches the other card"

head -c 20000000 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
ip netns exec "$B" timeout 60 nc -l -N 192.168.77.2 5001 >"$WORK/blob.out" &
rx=$!
wait_listen "$B" 192.168.77.2 5001
ip netns exec "$A" timeout 60 nc -N 192.168.77.2 5001 <"$WORK/blob" || fail "send 20 MB"
wait $rx || true
got=$(sha256sum <"$WORK/blob.out" | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "20 MB transfer checksum mismatch ($(stat -c %s "$WORK/blob.out") bytes)"
ok "20 MB transfer, checksum matches"

# A wrong password: refused with the message, exit status 2, logged on the hub.
ip netns exec "$A" "$SOFTETHER" --nic --connect 10.77.1.1:7777 --user alice \
  --password-file "$WORK/wrong.pw" --fingerprint "$FP" --tap vpnx >"$WORK/wrongpw.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20; st=$ST
[ "$st" = 2 ] || fail "wrong password: exit status $st, expected 2"
grep -q 'login refused by hub: wrong user or password' "$WORK/wrongpw.log" || fail "wrong password message"
wait_log hub 'login refused: user=alice from=10.77.1.2:[0-9]+ hub=DEFAULT: wrong user or password'
ok "wrong password refused"

# An unknown user gets the same message as a wrong password.
ip netns exec "$A" "$SOFTETHER" --nic --connect 10.77.1.1:7777 --user mallory \
  --password-file "$WORK/wrong.pw" --fingerprint "$FP" --tap vpnx >"$WORK/nouser.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20; st=$ST
[ "$st" = 2 ] && grep -q 'wrong user or password' "$WORK/nouser.log" || fail "unknown user: $st"
ok "unknown user refused with the same message"

# A wrong fingerprint: refused before any credentials are sent.
ip netns exec "$A" "$SOFTETHER" --nic --connect 10.77.1.1:7777 --user alice \
  --password-file "$WORK/alice.pw" --fingerprint "$(printf '0%.0s' {1..64})" --tap vpnx \
  >"$WORK/wrongfp.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20; st=$ST
[ "$st" = 2 ] || fail "wrong fingerprint: exit status $st, expected 2"
grep -q 'fingerprint mismatch' "$WORK/wrongfp.log" || fail "wrong fingerprint message"
ok "wrong fingerprint refused"

# A --ca that did not sign the hub's certificate: refused at once (exit 2), not retried.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=another-ca -keyout "$WORK/other-ca.key" -out "$WORK/other-ca.pem" 2>/dev/null ||
  fail "openssl made no CA"
ip netns exec "$A" "$SOFTETHER" --nic --connect 10.77.1.1:7777 --user alice \
  --password-file "$WORK/alice.pw" --ca "$WORK/other-ca.pem" --tap vpnx \
  >"$WORK/wrongca.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20; st=$ST
[ "$st" = 2 ] || fail "a chain --ca does not trust: exit status $st, expected 2"
grep -q 'hub certificate not trusted: .*refusing to connect' "$WORK/wrongca.log" ||
  fail "untrusted chain message: $(cat "$WORK/wrongca.log")"
grep -q 'reconnecting' "$WORK/wrongca.log" && fail "an untrusted chain was tried again"
ok "a chain --ca does not trust refused, not retried"

# A changed certificate against known_hubs: refused like ssh.
sed -i "s/ $FP/ $(printf 'f%.0s' {1..64})/" "$KH"
ip netns exec "$B" "$SOFTETHER" --nic --connect 10.77.2.1:7777 --user bob \
  --password-file "$WORK/bob.pw" --known-hubs "$KH" --tap vpnx \
  >"$WORK/tofu.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20; st=$ST
[ "$st" = 2 ] && grep -q 'known_hubs line 1' "$WORK/tofu.log" || fail "known_hubs mismatch: $st"
ok "known_hubs mismatch refused"

# Kill B: the hub ends its session and forgets its MAC; A's card stays up.
kill -9 "$PID_nicB"
wait_log hub 'session [0-9]+ down: user=bob .*macs_forgotten=[1-9]'
kill -USR1 "$PID_hub"
wait_log hub "status hub=DEFAULT sessions=1"
sleep 0.2
grep -q "mac=$MAC_B" "$WORK/hub.log" && fail "hub still knows B's MAC after B died"
grep -q "mac hub=DEFAULT mac=$MAC_A" "$WORK/hub.log" || fail "hub forgot A's MAC"
ok "killed client's MACs forgotten"

# A card asked how it is answers in its log, and SIGHUP does not kill it.
kill -USR1 "$PID_nicA"
wait_log nicA 'status vpn0: up, hub 10\.77\.1\.1:7777 via direct, session [0-9]+, in=[0-9]+B/[0-9]+fr out=[0-9]+B/[0-9]+fr resumes=0'
kill -HUP "$PID_nicA"
wait_log nicA 'a card reads its options only at start'
kill -0 "$PID_nicA" || fail "SIGHUP killed the card"
ok "SIGUSR1 logs the card's state and counters; SIGHUP leaves it running"

# Clean stop: A says goodbye, its TAP is removed; the hub stops cleanly.
kill -TERM "$PID_nicA"
wait_exit "$PID_nicA" 10; [ "$ST" = 0 ] || fail "client did not stop cleanly on SIGTERM"
ip -n "$A" link show vpn0 >/dev/null 2>&1 && fail "vpn0 still exists after the client stopped"
grep -Eq 'session [0-9]+ ended: ' "$WORK/nicA.log" || fail "a clean stop was not logged as ended"
grep -q 'warn' "$WORK/nicA.log" && fail "a clean run warned: $(grep warn "$WORK/nicA.log" | head -2)"
wait_log hub 'session [0-9]+ down: user=alice .*reason=peer said goodbye'
kill -TERM "$PID_hub"
wait_exit "$PID_hub" 10; [ "$ST" = 0 ] || fail "hub did not stop cleanly on SIGTERM"
ok "clean stop"
