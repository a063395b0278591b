#!/usr/bin/env bash
# First start on the embedded defaults: the hub generates its certificate and one
# user, prints the exact command that connects, and that command works as printed
# (with the hub's address filled in). A restart keeps the identity and the user and
# does not print the password again.
#
#   ns A (card, runs the printed command) -- veth -- ns H (softether --hub, no -c)
. "$(dirname "$0")/lib.sh"

H=${PFX}h A=${PFX}a
mkns "$H"; mkns "$A"
link "$A" va 10.80.1.2/24 "$H" ha 10.80.1.1/24
ip -n "$H" addr add fd80::1/64 dev ha nodad
ip -n "$A" addr add fd80::2/64 dev va nodad

start hub "$H" "$SOFTETHER" --hub --state-dir "$WORK/state"
wait_log hub 'listening on \[::\]:7777'
for l in '0.0.0.0:443' '\[::\]:443' '0.0.0.0:7777'; do
  grep -q "listening on $l" "$WORK/hub.log" || fail "default listener $l"
done
cmd=$(grep -o 'softether --nic .*' "$WORK/hub.log" | head -n 1)
[ -n "$cmd" ] || fail "no connect line printed"
FP=$(fingerprint hub)
grep -q -- "--fingerprint $FP" <<<"$cmd" || fail "printed line lacks the fingerprint"
[ "$(stat -c %a "$WORK/state/hub.key")" = 600 ] || fail "key file mode"
ok "first start: certificate, user and connect line"

# Run the printed line as is, but for the hub's address (IPv6 this time, port 443).
cmd=$(sed -E "s/--connect [^ ]+/--connect [fd80::1]:443/; s#^softether#$SOFTETHER#" <<<"$cmd")
ip netns exec "$A" bash -c "exec $cmd --known-hubs $WORK/kh --ip 192.168.80.2/24" >"$WORK/nic.log" 2>&1 &
PIDS+=($!); nic=$!
wait_log nic 'vpn0 up'
ok "the printed command connects (over IPv6)"
kill -TERM $nic; wait_exit $nic 10

kill -TERM "$PID_hub"; wait_exit "$PID_hub" 10
start hub2 "$H" "$SOFTETHER" --hub --state-dir "$WORK/state"
wait_log hub2 'hub running'
grep -q "fingerprint SHA256 $FP" "$WORK/hub2.log" || fail "fingerprint changed across restart"
grep -q 'softether --nic' "$WORK/hub2.log" && fail "password printed again on restart"
ip netns exec "$A" bash -c "exec $cmd --known-hubs $WORK/kh --tap vpn1" >"$WORK/nic2.log" 2>&1 &
PIDS+=($!)
wait_log nic2 'vpn1 up'
ok "restart keeps certificate and generated user"
