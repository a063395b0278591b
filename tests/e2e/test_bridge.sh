#!/usr/bin/env bash
# LAN to LAN: two Ethernet segments joined through the hub by bridge cards.
#
#   LAN A (ns LA, Linux bridge br0)             LAN B (ns LB, Linux bridge br0)
#   a1 .11   a2 .12 (dnsmasq)   gwA              b1 .21   b2 .22   gwB
#                                |                                  |
#   gwA: softether --bridge lan  |    ns H: the hub    gwB: the recipe for a host
#        (plain form)            +--- 10.N.1/2 ---+    that bridges and still talks:
#                                                       br-lan {lan, vpn-br} .30
#                                                       softether --bridge vpn
#   ns T: a TAP card on hub LOCAL; ns LH: a LAN bridged on the hub itself
#   (bridges: in the hub's file) -- the hub-local bridge.
#
# Hosts of both LANs share 192.168.50.0/24 and no path but the tunnel. Checks:
# ping and ARP across; a 20 MB transfer with the veths' offloads left on (the
# bridges carry super-frames whole); dnsmasq on LAN A leases to a host on LAN B; a
# VLAN-tagged frame keeps its tag; LAN-local unicast stays off the hub;
# a 4 s tunnel cut is resumed with no ping lost; the bridged interface
# deleted and made again: bridging comes back; the
# host's own stack reaches the far LAN (recipe); the hub-local bridge joins
# a namespace LAN to a TAP card and shows in the console as kind bridge;
# without CAP_NET_RAW the error says so.
. "$(dirname "$0")/lib.sh"

N=78
VLANPY="$(dirname "$0")/vlanframe.py"
H=${PFX}h LA=${PFX}la LB=${PFX}lb GA=${PFX}ga GB=${PFX}gb T=${PFX}t LH=${PFX}lh
for ns in "$H" "$LA" "$LB" "$GA" "$GB" "$T" "$LH" ${PFX}a1 ${PFX}a2 ${PFX}b1 ${PFX}b2 ${PFX}h1; do
  mkns "$ns"
done
for lan in "$LA" "$LB"; do
  ip -n "$lan" link add br0 type bridge
  # Ageing 0: br0 floods every unicast, as a hub (or a switch that has not
  # learned yet) does, so the bridge cards see LAN-local unicast.
  ip -n "$lan" link set br0 type bridge ageing_time 0
  ip -n "$lan" link set br0 up
done
# host NS LAN ADDR: a host on a LAN (its eth0 a port of that LAN's br0).
host() {
  ip link add eth0 netns "$1" type veth peer name "p${1#$PFX}" netns "$2"
  ip -n "$2" link set "p${1#$PFX}" master br0 up
  [ -n "$3" ] && ip -n "$1" addr add "$3" dev eth0
  ip -n "$1" link set eth0 up
}
host ${PFX}a1 "$LA" 192.168.50.11/24
host ${PFX}a2 "$LA" 192.168.50.12/24
host ${PFX}b1 "$LB" 192.168.50.21/24
host ${PFX}b2 "$LB" ""
# Each gateway's "lan" is a port of its LAN; "wan" reaches the hub.
ip link add lan netns "$GA" type veth peer name pgw netns "$LA"
ip -n "$LA" link set pgw master br0 up
ip link add lan netns "$GB" type veth peer name pgw netns "$LB"
ip -n "$LB" link set pgw master br0 up
link "$GA" wan "10.$N.1.2/24" "$H" ha "10.$N.1.1/24"
link "$GB" wan "10.$N.2.2/24" "$H" hb "10.$N.2.1/24"
link "$T" va "10.$N.3.2/24" "$H" ht "10.$N.3.1/24"
# The hub's own LAN: h1 behind "lanh" in H.
ip link add eth0 netns ${PFX}h1 type veth peer name lanh netns "$H"
ip -n ${PFX}h1 addr add 192.168.60.11/24 dev eth0
ip -n ${PFX}h1 link set eth0 up

printf 'site-secret\n' >"$WORK/site.pw"
printf 'tap-secret\n' >"$WORK/tap.pw"
hub_config "$WORK/hub.yaml" DEFAULT:site:"$WORK/site.pw" LOCAL:tap:"$WORK/tap.pw"
cat >>"$WORK/hub.yaml" <<CONF
bridges:
  - interface: lanh
    hub: LOCAL
CONF
# A bridge names a hub that exists, with file:line.
printf '  - interface: lanx\n    hub: NOSUCH\n' >"$WORK/bad.yaml"
cat "$WORK/hub.yaml" "$WORK/bad.yaml" >"$WORK/hub-bad.yaml"
out=$("$SOFTETHER" --check-config -c "$WORK/hub-bad.yaml" 2>&1) && fail "a bridge to no hub accepted"
grep -Eq "hub-bad.yaml:[0-9]+:[0-9]+: .*no hub named 'NOSUCH'" <<<"$out" || fail "bad bridge hub: $out"
ok "a bridge onto an unknown hub is refused with file:line"

start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on 0.0.0.0:7777'
wait_log hub 'bridge lanh on hub LOCAL'
wait_log hub "running as $HUB_USER"
# CAP_NET_ADMIN (12) and CAP_NET_RAW (13): to open lanh again if it goes.
runs_as "$PID_hub" "$HUB_USER" 0000000000003000
FP=$(fingerprint hub)
admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" "$@"; }

# gwA: the plain form on the command line.
start gwA "$GA" "$SOFTETHER" --bridge lan --connect "10.$N.1.1:7777" --user site \
  --password-file "$WORK/site.pw" --fingerprint "$FP" --dead-peer 2 --resume-window 20
# gwB: the recipe for a host that bridges and keeps its own address on the
# LAN: a Linux bridge holds the LAN port and one end of a veth; the card
# bridges the other end. The card's options come from a file.
ip -n "$GB" link add br-lan type bridge
ip -n "$GB" link set lan master br-lan
ip -n "$GB" link set lan up
ip -n "$GB" link add vpn type veth peer name vpn-br
ip -n "$GB" link set vpn-br master br-lan
ip -n "$GB" link set vpn-br up
ip -n "$GB" link set br-lan up
ip -n "$GB" addr add 192.168.50.30/24 dev br-lan
cat >"$WORK/gwB.yaml" <<CONF
bridge: vpn
connect: 10.$N.2.1:7777
user: site
password_file: $WORK/site.pw
fingerprint: "$FP"
CONF
start gwB "$GB" "$SOFTETHER" --nic -c "$WORK/gwB.yaml"
wait_log gwA 'lan up: connected'
wait_log gwB 'vpn up: connected'
runs_as "$PID_gwA" root 0000000000003000
runs_as "$PID_gwB" root 0000000000003000
ok "both bridge cards up, keeping only CAP_NET_RAW and CAP_NET_ADMIN"

ip netns exec ${PFX}a1 ping -c 3 -i 0.2 -W 2 192.168.50.21 >/dev/null || fail "ping a1 -> b1"
ip netns exec ${PFX}b1 ping -c 3 -i 0.2 -W 2 192.168.50.12 >/dev/null || fail "ping b1 -> a2"
ip netns exec ${PFX}a2 arping -c 2 -w 5 -I eth0 192.168.50.21 >/dev/null || fail "arping a2 -> b1"
ok "LAN A and LAN B ping each other; ARP resolves across"

ip netns exec "$GB" ping -c 3 -i 0.2 -W 2 192.168.50.11 >/dev/null ||
  fail "the bridging host's own stack cannot reach LAN A (recipe)"
ok "the bridging host itself reaches the far LAN (Linux bridge + veth recipe)"

# Offloads stay as veths come (TSO and checksum offload on): senders hand
# super-frames with partial checksums to the LAN, and the bridges see them.
head -c 20000000 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
ip netns exec ${PFX}b1 timeout 60 nc -l -N 192.168.50.21 5001 >"$WORK/blob.out" &
rx=$!
wait_listen ${PFX}b1 192.168.50.21 5001
ip netns exec ${PFX}a1 timeout 60 nc -N 192.168.50.21 5001 <"$WORK/blob" || fail "send 20 MB"
wait $rx || true
got=$(sha256sum <"$WORK/blob.out" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "20 MB across the bridges: checksum differs"
ok "20 MB from LAN A to LAN B, checksum matches (offloads on)"

# DHCP from LAN A reaches a host of LAN B.
ip netns exec ${PFX}a2 dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
  --interface=eth0 --bind-interfaces --dhcp-range=192.168.50.100,192.168.50.150,255.255.255.0,1h \
  --dhcp-leasefile="$WORK/leases" --pid-file="$WORK/dnsmasq.pid" >"$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)
wait_log dnsmasq 'DHCP, IP range'
out=$(ip netns exec ${PFX}b2 timeout 20 busybox udhcpc -i eth0 -n -q -f -t 6 -T 1 -s /bin/true 2>&1) ||
  fail "no DHCP lease on LAN B from LAN A's server: $out"
grep -Eq 'lease of 192\.168\.50\.1[0-9][0-9] obtained' <<<"$out" || fail "udhcpc: $out"
ok "a host on LAN B leased an address from dnsmasq on LAN A"

# A VLAN-tagged frame keeps its tag end to end.
ip netns exec ${PFX}b1 python3 "$VLANPY" recv eth0 42 8 >"$WORK/vlan.log" 2>&1 &
vr=$!
sleep 0.5
ip netns exec ${PFX}a1 python3 "$VLANPY" send eth0 ff:ff:ff:ff:ff:ff 42 10
wait $vr || fail "the VLAN tag did not survive: $(cat "$WORK/vlan.log")"
ok "an 802.1Q frame (VID 42) crossed with its tag"

# Unicast between two hosts of LAN A stays on LAN A: br0 floods it to gwA,
# whose bridge knows both MACs live on the LAN.
A_ID=$(admin --json -e "session list" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["kind"] == "session" and s["from"].startswith("10.'$N'.1.2:"):
        print(s["id"])')
[ -n "$A_ID" ] || fail "no session for gwA in the console"
in_frames() { admin --json -e "session show $A_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["in_frames"])'; }
before=$(in_frames)
ip netns exec ${PFX}a1 ping -c 100 -i 0.01 -W 2 192.168.50.12 >/dev/null || fail "ping a1 -> a2"
after=$(in_frames)
[ $((after - before)) -lt 20 ] || fail "LAN-local unicast reached the hub: $before -> $after frames"
ok "100 LAN-local pings: the hub saw $((after - before)) frames from LAN A"

# The tunnel cut under a 5/s ping from LAN A: the bridge card resumes its
# session, and the LAN's frames queued meanwhile all arrive.
mark gwA 'resumed session'
ip netns exec ${PFX}a1 ping -c 40 -i 0.2 -W 20 192.168.50.21 >"$WORK/ping.log" 2>&1 &
P=$!
sleep 1
cut_link "$GA" wan
sleep 4
mend_link "$GA"
wait $P || true
wait_more gwA 'resumed session' 10
grep -q '^40 packets transmitted, 40 received' "$WORK/ping.log" ||
  fail "pings across the cut: $(grep transmitted "$WORK/ping.log")"
ok "a 4 s tunnel cut: the bridge resumed, 40 of 40 pings answered"

# The bridged interface deleted and made again: bridging resumes by itself.
mark gwA 'the interface is back'
ip -n "$GA" link del lan
wait_log gwA 'the interface is gone' 10
ip link add lan netns "$GA" type veth peer name pgw netns "$LA"
ip -n "$LA" link set pgw master br0 up
wait_more gwA 'the interface is back' 10
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
  ip netns exec ${PFX}a1 ping -c 1 -W 1 192.168.50.21 >/dev/null && { ok=1; break; }
done
[ $ok = 1 ] || fail "no ping a1 -> b1 after the interface came back"
ok "interface deleted and re-added: bridging resumed by itself"

# The hub-local bridge: h1's LAN on hub LOCAL, a TAP card on the same hub.
start tap "$T" "$SOFTETHER" --nic --connect "10.$N.3.1:7777" --user tap \
  --password-file "$WORK/tap.pw" --fingerprint "$FP" --hub-name LOCAL --ip 192.168.60.99/24
wait_log tap 'vpn0 up'
ip netns exec "$T" ping -c 3 -i 0.2 -W 2 192.168.60.11 >/dev/null || fail "TAP card -> hub-local LAN"
out=$(admin -e "session list LOCAL")
grep -Eq '^[0-9]+ +LOCAL +- +bridge lanh +bridge .* up ' <<<"$out" || fail "console: $out"
out=$(admin --json -e "session list")
grep -q '"kind":"bridge","hub":"LOCAL","interface":"lanh"' <<<"$out" || fail "console json: $out"
ok "a hub-local bridge joins a namespace LAN to a TAP card; the console lists it as kind bridge"

# Without CAP_NET_RAW the error says what is missing.
chmod 755 "$WORK"; chmod 644 "$WORK/site.pw"
out=$(ip netns exec "$GA" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  "$SOFTETHER" --bridge lan --connect "10.$N.1.1:7777" --user site \
  --password-file "$WORK/site.pw" --fingerprint "$FP" 2>&1) && fail "bridging without privileges started"
grep -q 'CAP_NET_RAW' <<<"$out" || fail "unprivileged bridge: $out"
out=$("$SOFTETHER" --bridge lan --ip 10.0.0.1/24 --connect 10.$N.1.1 --user site \
  --password-file "$WORK/site.pw" --check-config --nic 2>&1) && fail "--bridge with --ip accepted"
grep -q -- '--ip: goes with a TAP card' <<<"$out" || fail "--bridge --ip: $out"
ok "without CAP_NET_RAW, and with --ip, the card says why"

# A clean stop reports what the bridge did: the LAN-local frames it kept
# and the super-frames it read (carried whole to the hub).
kill -TERM "$PID_gwA"
wait_exit "$PID_gwA" 10
[ "$ST" = 0 ] || fail "gwA exit status $ST"
line=$(grep 'bridge lan: to hub' "$WORK/gwA.log")
local=$(sed -n 's/.*kept on the LAN \([0-9]*\).*/\1/p' <<<"$line")
cut=$(sed -n 's/.*super-frames \([0-9]*\).*/\1/p' <<<"$line")
[ "${local:-0}" -ge 100 ] || fail "gwA kept ${local:-0} LAN-local frames: $line"
[ "${cut:-0}" -gt 0 ] || fail "gwA read no offload super-frames: $line"
ok "gwA: $local LAN-local frames kept, $cut super-frames read"
