#!/usr/bin/env bash
# Asking a running card how it is; a card that detaches only once its first
# login is decided; logging with no syslog daemon.
#
#   ns A (cards vpn5, vpn6, ...)               ns H (hub :7777)         ns B (card vpn5)
#   vpn5 192.168.91.1/24                                           vpn5 192.168.91.2/24
#   va 10.91.1.2/24 ----------- ha 10.91.1.1   hb 10.91.2.1 ----------- vb 10.91.2.2/24
#
# softether --admin --nic IFNAME in the card's namespace: state up, the hub,
# frame counters that grow with a ping; --json with the same facts; cut-resuming
# while nftables cuts A's link, then up again with a resume counted; SIGUSR1 logs
# the same facts; a second card on the same interface is refused; the same
# interface name in two namespaces is no clash; the socket goes when the card
# stops, a stale one is replaced. --daemon: a wrong password exits 2 with the
# refusal on stderr, the right one exits 0 with the card running (its pid in
# --pidfile) and answering; an unreachable hub: 0 after 30 s with a warning.
# --syslog with no syslog daemon: one warning, the log on stderr. With a syslog
# daemon (a stand-in, inside a mount namespace), --daemon passes the refusal up.
# A hub and a card sharing a run directory (as /run/softether is by default)
# each remove their own socket when they stop: the hub, no longer root, and the
# card, uid 0 without root's powers.
. "$(dirname "$0")/lib.sh"

star 91
printf 'pw\n' >"$WORK/pw"
printf 'not-the-password\n' >"$WORK/wrong.pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
# The hub's control socket in a run directory of root's (as /run/softether),
# shared with a card at the end.
SHARED=$WORK/run
mkdir -m 0755 "$SHARED"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" --run-dir "$SHARED"
wait_log hub 'listening on'
FP=$(fingerprint hub)

RUN=/run/softether
SOCK_A=$RUN/nic-vpn5@$A.sock SOCK_B=$RUN/nic-vpn5@$B.sock
cleanup_sockets() { rm -f "$SOCK_A" "$SOCK_B" "$RUN/nic-vpn6@$A.sock" "$RUN/nic-vpn7@$A.sock"; }
trap 'rc=$?; cleanup_sockets; set +e; (exit $rc); cleanup' EXIT

card() { # NAME NS HUBIP TAP [extra...]
  local name=$1 ns=$2 hip=$3 tap=$4; shift 4
  start "$name" "$ns" "$SOFTETHER" --nic --connect "$hip:7777" --user u \
    --password-file "$WORK/pw" --fingerprint "$FP" --tap "$tap" "$@"
}
admin() { local ns=$1; shift; ip netns exec "$ns" "$SOFTETHER" --admin --nic "$@"; }
jget() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
wait_state() { # NS IFNAME STATE SECONDS: until the card says STATE
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    ST=$(admin "$1" $2 --json | jget state)  # $2: IFNAME [--run-dir DIR]
    [ "$ST" = "$3" ] && return 0
    sleep 0.1
  done
  fail "$2 in $1: state $ST after $4 s, expected $3"
}

MAC_A=5e:00:00:00:91:0a
card nicA "$A" 10.91.1.1 vpn5 --ip 192.168.91.1/24 --mac $MAC_A --dead-peer 5 --keepalive 1
card nicB "$B" 10.91.2.1 vpn5 --ip 192.168.91.2/24
wait_log nicA 'vpn5 up: connected'; wait_log nicB 'vpn5 up: connected'
wait_log nicA "control socket $SOCK_A"
[ -S "$SOCK_A" ] && [ -S "$SOCK_B" ] || fail "no control sockets $SOCK_A, $SOCK_B"
[ "$(stat -c %a "$SOCK_A")" = 600 ] || fail "control socket mode $(stat -c %a "$SOCK_A")"
ok "each card's control socket, mode 0600; vpn5 in two namespaces is no clash"

# 1. status, text and JSON
out=$(admin "$A" vpn5) || fail "--admin --nic vpn5: $?"
grep -Eq '^state +up since ' <<<"$out" || fail "state not up: $out"
cc=$(ip netns exec "$A" sysctl -n net.ipv4.tcp_congestion_control)
grep -Eq "^hub +10\.91\.1\.1:7777, virtual hub DEFAULT, via direct \(TCP $cc\), user u\$" \
  <<<"$out" || fail "hub line: $out"
grep -Eq "^interface +vpn5, MAC $MAC_A, offload (on|off)$" <<<"$out" || fail "interface line: $out"
grep -Eq '^last error +none$' <<<"$out" || fail "last error: $out"
in0=$(sed -n 's/^in *\([0-9]*\) frames.*/\1/p' <<<"$out")
out0=$(sed -n 's/^out *\([0-9]*\) frames.*/\1/p' <<<"$out")
ip netns exec "$A" ping -c 3 -i 0.2 -W 2 192.168.91.2 >/dev/null || fail "ping A -> B"
out=$(admin "$A" vpn5 -e status)
in1=$(sed -n 's/^in *\([0-9]*\) frames.*/\1/p' <<<"$out")
out1=$(sed -n 's/^out *\([0-9]*\) frames.*/\1/p' <<<"$out")
[ "$in1" -ge $((in0 + 3)) ] && [ "$out1" -ge $((out0 + 3)) ] ||
  fail "frame counters did not grow with 3 pings: in $in0 -> $in1, out $out0 -> $out1"
ok "--admin --nic vpn5: up, hub 10.91.1.1:7777 DEFAULT, frames grow with a ping ($out0 -> $out1 out)"

admin "$A" vpn5 --json >"$WORK/st.json" || fail "--json: $?"
python3 - "$WORK/st.json" "$MAC_A" "$out1" <<'PY' || fail "--json: $(cat "$WORK/st.json")"
import json, sys
s = json.load(open(sys.argv[1]))
want = {"ok": True, "state": "up", "hub": "10.91.1.1:7777", "hub_name": "DEFAULT",
        "transport": "direct", "user": "u", "interface": "vpn5", "mac": sys.argv[2],
        "last_error": None, "resumes": 0}
bad = {k: s.get(k) for k, v in want.items() if s.get(k) != v}
assert not bad, bad
assert s["out_frames"] >= int(sys.argv[3]) and s["in_frames"] > 0, s
assert isinstance(s["session"], int) and s["session"] > 0, s
assert isinstance(s["offload"], bool) and s["state_for_s"] >= 0, s
PY
admin "$A" vpn5 --json -e help | python3 -m json.tool >/dev/null || fail "--json -e help"
admin "$A" vpn5 -e help | grep -q '^status ' || fail "help lacks status"
admin "$A" vpn5 -e 'session list' 2>"$WORK/err" && fail "a hub command succeeded on a card"
grep -q "unknown command 'session' (try: help)" "$WORK/err" || fail "refusal: $(cat "$WORK/err")"
admin "$B" vpn5 --json | jget hub | grep -qx '10.91.2.1:7777' || fail "B's card in B's namespace"
ok "--json has the same facts; help; a hub's command is refused"

# 2. SIGUSR1 logs the same facts
kill -USR1 "$PID_nicA"
wait_log nicA "status vpn5: up, hub 10\.91\.1\.1:7777 via direct, session [0-9]+, in=[0-9]+B/[0-9]+fr out=[0-9]+B/[0-9]+fr resumes=0 lost=0 dropped=[0-9]+ offload=o[nf]+ hub_name=DEFAULT user=u mac=$MAC_A since=[0-9T:-]+Z phase=up session_since=[0-9T:-]+Z last_error=none"
sleep 0.3
kill -0 "$PID_nicA" || fail "SIGUSR1 killed the card"
ok "SIGUSR1 logs the status line; the card runs on"

# 3. a second card on the same interface
ip netns exec "$A" timeout 20 "$SOFTETHER" --nic --connect 10.91.1.1:7777 --user u \
  --password-file "$WORK/pw" --fingerprint "$FP" --tap vpn5 >"$WORK/second.log" 2>&1 && st=0 || st=$?
[ "$st" = 1 ] || fail "second card on vpn5: exit $st, expected 1"
grep -q "vpn5: another card runs on this interface: its control socket $SOCK_A answers" \
  "$WORK/second.log" || fail "second card's message: $(cat "$WORK/second.log")"
kill -0 "$PID_nicA" || fail "the first card died"
wait_state "$A" vpn5 up 15
ok "a second card on vpn5 is refused, saying why; the first runs on"

# 4. cut: cut-resuming, then up with a resume
cut_link "$A" va
wait_state "$A" vpn5 cut-resuming 15
out=$(admin "$A" vpn5)
grep -Eq '^last error +[0-9T:-]+Z: (connection lost: |connect to |resume attempt failed: )' <<<"$out" ||
  fail "last error during the cut: $out"
mend_link "$A"
wait_state "$A" vpn5 up 15
[ "$(admin "$A" vpn5 --json | jget resumes)" -ge 1 ] || fail "no resume counted"
ok "cut by nftables: cut-resuming with the last error, then up, one resume"

# 5. stopped: the socket goes; killed: a stale socket is replaced
kill -TERM "$PID_nicB"; wait_exit "$PID_nicB" 10
[ -e "$SOCK_B" ] && fail "control socket left behind by a card that stopped"
card nicB "$B" 10.91.2.1 vpn5 --ip 192.168.91.2/24
wait_log nicB 'vpn5 up: connected'
kill -9 "$PID_nicB"; wait_exit "$PID_nicB" 5
[ -S "$SOCK_B" ] || fail "a killed card's socket is gone (expected stale)"
admin "$B" vpn5 2>"$WORK/err" && fail "a dead card answered"
grep -q "cannot reach the card on vpn5 at $SOCK_B" "$WORK/err" || fail "message: $(cat "$WORK/err")"
card nicB2 "$B" 10.91.2.1 vpn5 --ip 192.168.91.2/24
wait_log nicB2 'vpn5 up: connected'
wait_state "$B" vpn5 up 5
ok "socket removed on stop; a killed card's stale socket replaced by the next"

# 6. --daemon
t0=$(date +%s)
ip netns exec "$A" timeout 20 "$SOFTETHER" --nic --daemon --connect 10.91.1.1:7777 --user u \
  --password-file "$WORK/wrong.pw" --fingerprint "$FP" --tap vpn6 \
  >"$WORK/d1.out" 2>"$WORK/d1.err" && st=0 || st=$?
[ "$st" = 2 ] || fail "--daemon, wrong password: exit $st, expected 2 ($(cat "$WORK/d1.err"))"
[ $(($(date +%s) - t0)) -le 8 ] || fail "--daemon, wrong password: took $(($(date +%s) - t0)) s"
grep -q 'login refused by hub: wrong user or password' "$WORK/d1.err" ||
  fail "--daemon: no refusal on stderr: $(cat "$WORK/d1.err")"
ok "--daemon with a wrong password: exit 2 with the refusal on stderr"

ip netns exec "$A" timeout 20 "$SOFTETHER" --nic --daemon --connect 10.91.1.1:7777 --user u \
  --password-file "$WORK/pw" --fingerprint "$FP" --tap vpn6 --pidfile "$WORK/d2.pid" \
  >"$WORK/d2.out" 2>"$WORK/d2.err" && st=0 || st=$?
[ "$st" = 0 ] || fail "--daemon: exit $st: $(cat "$WORK/d2.err")"
dpid=$(cat "$WORK/d2.pid"); PIDS+=("$dpid")
kill -0 "$dpid" || fail "--daemon: the card (pid $dpid) is not running"
wait_state "$A" vpn6 up 5
[ -z "$(ls -l "/proc/$dpid/fd" | grep -E ' [012] -> ' | grep -v /dev/null)" ] ||
  fail "--daemon: stdio not closed: $(ls -l "/proc/$dpid/fd")"
if [ ! -e /dev/log ]; then
  [ "$(grep -c 'no syslog daemon listens at /dev/log' "$WORK/d2.err")" = 1 ] ||
    fail "--daemon without syslog: not one warning: $(cat "$WORK/d2.err")"
fi
kill -TERM "$dpid"
for ((i = 0; i < 50; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$dpid" 2>/dev/null && fail "--daemon: the card did not stop"
[ -e "$WORK/d2.pid" ] && fail "--daemon: pidfile left behind"
ok "--daemon: exit 0 once up, the card (pid $dpid from --pidfile) runs on and answers"

t0=$(date +%s)
ip netns exec "$A" timeout 60 "$SOFTETHER" --nic --daemon --connect 10.91.1.1:7799 --user u \
  --password-file "$WORK/pw" --fingerprint "$FP" --tap vpn7 --pidfile "$WORK/d3.pid" \
  >"$WORK/d3.out" 2>"$WORK/d3.err" && st=0 || st=$?
dt=$(($(date +%s) - t0))
[ "$st" = 0 ] || fail "--daemon, hub unreachable: exit $st: $(cat "$WORK/d3.err")"
[ "$dt" -ge 29 ] && [ "$dt" -le 40 ] || fail "--daemon, hub unreachable: took $dt s, expected 30"
grep -q 'not up after 30 s.*keeps trying in the background' "$WORK/d3.err" ||
  fail "--daemon, hub unreachable: $(cat "$WORK/d3.err")"
dpid=$(cat "$WORK/d3.pid"); PIDS+=("$dpid")
out=$(admin "$A" vpn7 --json)
[ "$(jget state <<<"$out")" = backing-off ] || [ "$(jget state <<<"$out")" = connecting ] ||
  fail "unreachable hub: state $(jget state <<<"$out")"
jget last_error <<<"$out" | grep -q 'connection refused\|Connection refused' ||
  fail "unreachable hub: last error $(jget last_error <<<"$out")"
kill -TERM "$dpid"
ok "--daemon, hub unreachable: exit 0 after 30 s with a warning; the card keeps trying"

# 7. --syslog with no syslog daemon: /dev/log hidden if there is one
hide='[ -e /dev/log ] && mount --bind /dev/null /dev/log; exec "$@"'
ip netns exec "$A" unshare -m sh -c "$hide" sh "$SOFTETHER" --nic --syslog --connect 10.91.1.1:7777 \
  --user u --password-file "$WORK/pw" --fingerprint "$FP" --tap vpn7 --run-dir "$WORK/run" \
  >"$WORK/sl.log" 2>&1 &
PIDS+=($!); slpid=$!
wait_log sl 'vpn7 up: connected'
[ -S "$WORK/run/nic-vpn7@$A.sock" ] || fail "--run-dir: no socket in $WORK/run"
wait_state "$A" "vpn7 --run-dir $WORK/run" up 5
[ "$(grep -c 'no syslog daemon listens at /dev/log' "$WORK/sl.log")" = 1 ] ||
  fail "--syslog without syslog: not one warning: $(head -3 "$WORK/sl.log")"
grep -q 'logging to standard error instead' "$WORK/sl.log" || fail "--syslog: warning text"
kill -TERM $slpid; wait_exit $slpid 10
ok "--syslog with no syslog daemon: one warning, the log on stderr (and --run-dir for the socket)"

# 8. with a syslog daemon (a stand-in on /dev/log, in a mount namespace of
#    its own over an overlay of /dev), --daemon passes the refusal up.
mkdir -p "$WORK/ov/up" "$WORK/ov/w"
cat >"$WORK/syslogd.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[2], "w").close()
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
PY
cat >"$WORK/withsyslog.sh" <<SH
mount --make-rprivate / &&
mount -t overlay overlay -o lowerdir=/dev,upperdir=$WORK/ov/up,workdir=$WORK/ov/w /dev || exit 77
rm -f /dev/log
python3 $WORK/syslogd.py $WORK/syslog.txt $WORK/syslog.ready & sp=\$!
for i in \$(seq 50); do [ -e $WORK/syslog.ready ] && break; sleep 0.1; done
"\$@"; st=\$?
kill \$sp
exit \$st
SH
ip netns exec "$A" unshare -m bash "$WORK/withsyslog.sh" "$SOFTETHER" --nic --daemon \
  --connect 10.91.1.1:7777 --user u --password-file "$WORK/wrong.pw" --fingerprint "$FP" \
  --tap vpn7 >"$WORK/d4.out" 2>"$WORK/d4.err" && st=0 || st=$?
if [ "$st" = 77 ]; then
  echo "note: no overlay of /dev here; --daemon with a syslog daemon not checked"
else
  [ "$st" = 2 ] || fail "--daemon with syslog, wrong password: exit $st: $(cat "$WORK/d4.err")"
  grep -qx 'softether: login refused by hub: wrong user or password' "$WORK/d4.err" ||
    fail "--daemon with syslog: the refusal not passed up: $(cat "$WORK/d4.err")"
  grep -q 'no syslog daemon' "$WORK/d4.err" && fail "--daemon with syslog: warned of none"
  grep -q 'softether\[[0-9]*\]: login refused by hub' "$WORK/syslog.txt" ||
    fail "nothing in the stand-in syslog: $(head -3 "$WORK/syslog.txt")"
  ok "--daemon with a syslog daemon: the log goes there, the refusal is passed up (exit 2)"
fi

# 9. A run directory the hub and a card share: it stays root's, the hub's
# group may write in it, and each removes its own socket when it stops.
want="root $(id -gn "$(stat -c %U "$WORK/state")") 775"
[ "$(stat -c '%U %G %a' "$SHARED")" = "$want" ] ||
  fail "shared run directory after the hub's start: $(stat -c '%U %G %a' "$SHARED"), expected $want"
card nicS "$B" 10.91.2.1 vpn8 --run-dir "$SHARED"
wait_log nicS 'vpn8 up: connected'
[ -S "$SHARED/nic-vpn8@$B.sock" ] || fail "no card socket in $SHARED: $(ls "$SHARED")"
kill -TERM "$PID_nicS"; wait_exit "$PID_nicS" 10
[ -e "$SHARED/nic-vpn8@$B.sock" ] && fail "card's socket left behind in the hub's run directory"
[ -S "$SHARED/control.sock" ] || fail "no hub socket in $SHARED: $(ls "$SHARED")"
kill -TERM "$PID_hub"; wait_exit "$PID_hub" 10
[ -e "$SHARED/control.sock" ] && fail "hub's socket left behind in its run directory"
ok "a run directory shared by hub and card: root's, group-writable; each socket removed on stop"
