#!/usr/bin/env bash
# First start on the embedded defaults: the hub generates its certificate and one
# user, prints the exact command that connects, once per address it can be reached
# at (IPv4 and IPv6, not loopback nor link-local), and each line works as printed
# in a POSIX shell (sh, not bash). A restart keeps the identity and the user and
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
# Each listener says which congestion control its connections run: the host's.
cc=$(ip netns exec "$H" sysctl -n net.ipv4.tcp_congestion_control)
grep -q "listening on 0.0.0.0:7777 (TCP congestion control $cc, the host's)" "$WORK/hub.log" ||
  fail "the listener does not name the host's congestion control ($cc)"
lines=$(grep -E "^  echo '[^']+' \| softether --nic " "$WORK/hub.log" || true)
[ -n "$lines" ] || fail "no connect line printed"
FP=$(fingerprint hub)
while read -r l; do
  grep -q -- "--fingerprint $FP" <<<"$l" || fail "printed line lacks the fingerprint: $l"
  grep -q -- '--password-file /dev/stdin ' <<<"$l" || fail "printed line takes no password on stdin: $l"
done <<<"$lines"
grep -q -- '--connect 10\.80\.1\.1:443 ' <<<"$lines" || fail "no line for 10.80.1.1: $lines"
grep -q -- '--connect \[fd80::1\]:443 ' <<<"$lines" || fail "no line for [fd80::1]: $lines"
grep -Eq -- '--connect (127\.|\[::1\]|\[fe80:|HUB-ADDRESS)' <<<"$lines" &&
  fail "a line for a loopback or link-local address: $lines"
[ "$(wc -l <<<"$lines")" -eq 2 ] || fail "not one line per address: $lines"
grep -q '<(' <<<"$lines" && fail "a printed line needs bash: $lines"
[ "$(stat -c %a "$WORK/state/hub.key")" = 600 ] || fail "key file mode"
ok "first start: certificate, user and one connect line per address"

# printed LINE NAME EXTRA...: LINE as printed (but where the binary is) with EXTRA
# after it, run by sh in A, logged to $WORK/NAME.log; $SH its shell, $NIC the card.
printed() {
  local l=$1 name=$2 i; shift 2
  l=$(sed -E "s/^ +//; s#\| softether #| $SOFTETHER #" <<<"$l")
  printf '%s %s\n' "$l" "$*" >"$WORK/$name.sh"
  ip netns exec "$A" sh "$WORK/$name.sh" >"$WORK/$name.log" 2>&1 &
  SH=$!; PIDS+=($SH)
  for ((i = 0; i < 50; i++)); do
    NIC=$(pgrep -P "$SH" -x softether || true); [ -n "$NIC" ] && break; sleep 0.1
  done
  [ -n "$NIC" ] || fail "$name: no card under sh"
  PIDS+=($NIC)
}

# Run the IPv6 line as printed.
printed "$(grep -- '--connect \[fd80::1\]:443 ' <<<"$lines")" nic \
  --known-hubs "$WORK/kh" --ip 192.168.80.2/24
wait_log nic 'vpn0 up'
ok "the printed command connects (over IPv6, in sh)"
kill -TERM "$NIC"; wait_exit "$SH" 10; [ "$ST" = 0 ] || fail "the printed card stopped with $ST"

kill -TERM "$PID_hub"; wait_exit "$PID_hub" 10
start hub2 "$H" "$SOFTETHER" --hub --state-dir "$WORK/state"
wait_log hub2 'hub running'
grep -q "fingerprint SHA256 $FP" "$WORK/hub2.log" || fail "fingerprint changed across restart"
grep -q 'softether --nic' "$WORK/hub2.log" && fail "password printed again on restart"
printed "$(grep -- '--connect 10\.80\.1\.1:443 ' <<<"$lines")" nic2 \
  --known-hubs "$WORK/kh" --tap vpn1
wait_log nic2 'vpn1 up'
ok "restart keeps certificate and generated user (the IPv4 line connects)"
