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

start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" --resume-window 3
wait_log hub 'listening on 0.0.0.0:7777'
wait_log hub 'running as nobody'
runs_as "$PID_hub" nobody 0000000000000000
ok "the hub has given up root: it runs as nobody with no capabilities"
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
