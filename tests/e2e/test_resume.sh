#!/usr/bin/env bash
# Never drop the line: cuts of the underlay are hidden from applications.
#
#   ns A (card vpn0 192.168.77.1, card vpn1 192.168.88.1)
#     va 10.81.1.2 ---- ha 10.81.1.1  ns H: hub HUB (:7777, default timers)
#                                           hub HUB2 (:7778, 4 s dead peer, 5 s window)
#     vb 10.81.2.2 ---- hb 10.81.2.1
#   ns B (card vpn0 192.168.77.2, card vpn1 192.168.88.2)
#
# 1. a transfer and a 5/s ping across a 10 s nftables cut in A: checksum
#    matches, every echo answered;
# 2. a 5/s ping across a 10 s cut by taking A's veth down: every echo answered;
# 3. a transfer across a 45 s cut (beyond the 30 s dead-peer time, inside the
#    60 s window): the hub logs a resume, the checksum matches, nothing lost;
# 4. a cut longer than HUB2's window: HUB2 frees the session, the card logs in
#    afresh and traffic flows;
# 5. HUB killed with -9 and restarted: both cards come back by themselves.
. "$(dirname "$0")/lib.sh"
star 81
printf 'pw\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
sed 's/7777/7778/; s#state_dir: .*#state_dir: '"$WORK"'/state2#' "$WORK/hub.yaml" >"$WORK/hub2.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
start hub2 "$H" "$SOFTETHER" --hub -c "$WORK/hub2.yaml" --dead-peer 4 --resume-window 5 \
  --keepalive 3 --resume-budget 16
wait_log hub 'listening on'; wait_log hub2 'listening on'
FP=$(fingerprint hub) FP2=$(fingerprint hub2)
card() { # NAME NS HUBIP PORT FP IP TAP [extra...]
  local name=$1 ns=$2 hip=$3 port=$4 fp=$5 ip=$6 tap=$7; shift 7
  start "$name" "$ns" "$SOFTETHER" --nic --connect "$hip:$port" --user u --password-file "$WORK/pw" \
    --fingerprint "$fp" --ip "$ip/24" --tap "$tap" "$@"
}
card nicA "$A" 10.81.1.1 7777 "$FP" 192.168.77.1 vpn0
card nicB "$B" 10.81.2.1 7777 "$FP" 192.168.77.2 vpn0
card nicA2 "$A" 10.81.1.1 7778 "$FP2" 192.168.88.1 vpn1 --dead-peer 4 --resume-window 5
card nicB2 "$B" 10.81.2.1 7778 "$FP2" 192.168.88.2 vpn1 --dead-peer 4 --resume-window 5
for n in nicA nicB nicA2 nicB2; do wait_log $n 'up: connected'; done
# The cards' neighbours pinned: in a 10 s blackout the kernel's own ARP
# probes can fail (and report pings unreachable) whatever the tunnel does;
# what is measured here is the tunnel.
mac_of() { ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
ip -n "$A" neigh replace 192.168.77.2 lladdr "$(mac_of "$B" vpn0)" nud permanent dev vpn0
ip -n "$B" neigh replace 192.168.77.1 lladdr "$(mac_of "$A" vpn0)" nud permanent dev vpn0
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.77.2 >/dev/null || fail "no traffic before the cuts"

# slow_send FILE PORT CHUNKS: A -> B over the virtual LAN, paced so it spans a cut.
head -c 40000000 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
slow_send() {
  rm -f "$WORK/blob.out"
  ip netns exec "$B" timeout 150 nc -l 192.168.77.2 "$2" >"$WORK/blob.out" &
  RX=$!
  wait_listen "$B" 192.168.77.2 "$2"
  (for ((i = 0; i < $3; i++)); do
     dd if="$1" bs=$((40000000 / $3)) skip=$i count=1 status=none; sleep 0.25
   done) | ip netns exec "$A" timeout 150 nc -N 192.168.77.2 "$2" &
  TX=$!
}
check_blob() {
  wait "$TX" || fail "$1: sender failed"
  wait "$RX" || true
  [ "$(sha256sum <"$WORK/blob.out" | cut -d' ' -f1)" = "$want" ] ||
    fail "$1: checksum mismatch ($(stat -c %s "$WORK/blob.out") of 40000000 bytes)"
}
pings() { # answered/sent of a finished ping log
  local s r
  s=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1")
  r=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1")
  [ -n "$s" ] && [ "$s" = "$r" ] || fail "$2: $r of $s echo requests answered"
  R="$r/$s"
}

# 1. nftables cuts of 10 s: under a transfer, then under a 5/s ping
slow_send "$WORK/blob" 5001 64
sleep 2; cut_link "$A" va; sleep 10; mend_link "$A"
check_blob "10 s cut"
ok "10 s cut: 40 MB transfer across it, checksum matches"
ip netns exec "$A" ping -c 75 -i 0.2 -W 30 192.168.77.2 >"$WORK/ping1.log" 2>&1 &
P=$!
sleep 2; cut_link "$A" va; sleep 10; mend_link "$A"
wait $P || true
pings "$WORK/ping1.log" "10 s cut"
ok "10 s cut: $R pings answered"

# 2. the veth taken down for 10 s
ip netns exec "$A" ping -c 75 -i 0.2 -W 30 192.168.77.2 >"$WORK/ping2.log" 2>&1 &
P=$!
sleep 2; ip -n "$A" link set va down; sleep 10; ip -n "$A" link set va up
wait $P || true
pings "$WORK/ping2.log" "veth down"
ok "veth down 10 s: $R pings answered"

# 3. a 45 s cut: past the dead-peer time, so the hub sees the connection die
#    and the session is resumed on a new one.
slow_send "$WORK/blob" 5002 128
sleep 2; cut_link "$A" va; sleep 45; t0=$(date +%s.%N); mend_link "$A"
until ip netns exec "$A" ping -c 1 -W 1 192.168.77.2 >/dev/null 2>&1; do
  [ "$(echo "$(date +%s.%N) - $t0 > 40" | bc)" = 1 ] && fail "45 s cut: no traffic 40 s after restore"
done
echo "figure: 45 s cut: first echo answered $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5) s after restore"
wait_log hub 'session [0-9]+ resumed: user=u' 30
check_blob "45 s cut"
ok "45 s cut: session resumed, 40 MB checksum matches"
kill -USR1 "$PID_hub"
wait_log hub 'status session=.* lost=' 5
grep -E 'status session=.*resumes=[1-9]' "$WORK/hub.log" >/dev/null || fail "hub counters show no resume"
grep -E 'status session=.* lost=[1-9]' "$WORK/hub.log" && fail "hub counted lost frames"
ok "hub counters: resumed, no frame lost"

# 4. longer than HUB2's 5 s window (it sees the cut after 4 s of silence)
mark nicA2 'vpn1 up: connected'; up=$MARK
mark hub2 'reason=not resumed within the resume window'; freed=$MARK
cut_link "$A" va; sleep 12; mend_link "$A"
MARK=$freed wait_more hub2 'reason=not resumed within the resume window' 5
MARK=$up wait_more nicA2 'vpn1 up: connected' 40
ip netns exec "$A" ping -c 2 -i 0.2 -W 3 192.168.88.2 >/dev/null || fail "no traffic after a new session"
ok "cut longer than the window: session freed, a new one carries traffic"

# 5. the hub killed and restarted
kill -9 "$PID_hub"
sleep 2
start hub3 "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log nicA 'cannot resume session' 40
wait_log hub3 'session [0-9]+ up: user=u from=10.81.1.2' 40
wait_log hub3 'session [0-9]+ up: user=u from=10.81.2.2' 40
ip netns exec "$A" ping -c 2 -i 0.2 -W 3 192.168.77.2 >/dev/null || fail "no traffic after hub restart"
ok "hub restarted: both cards back by themselves"
