#!/usr/bin/env bash
# The hub's own DHCP service, asked by a real client (busybox udhcpc) on each
# card's TAP; the cards themselves are started with --ip none.
#
#   ns A: card, user u  (5e:..:97:0a) --veth--+
#   ns B: card, user f  (5e:..:97:0b) --veth--+-- ns H: hub DEFAULT, dhcp:
#         policy force_dhcp_ip                 |   192.168.97.100-150/24,
#   ns C: card, user s  (5e:..:97:0c) --veth--+   static {user: s, .5}
#
#   ns D: softether --hub with no file (the default hub), its host routes
#         covering 10/8 and 172.16/12
#
# 1. A and B get distinct addresses of the range and ping each other, but
#    not one that C uses unknown to the hub (the ARP probe finds it);
#    ip list shows both leases with source dhcp; C gets its user's static;
#    the server's address answers ARP.
# 2. B (force_dhcp_ip) passes traffic from its leased address; from an
#    address it gave itself, nothing passes (not-dhcp-assigned).
# 3. Malformed DHCP broadcast from A (bad checksum, cut short, an option
#    bomb, options running past their field, no magic cookie) is dropped
#    and counted; the hub serves on.
# 4. The hub stopped and started again: every MAC gets its address back
#    from the lease file. A reload that changes the settings keeps the
#    leases that fit; a lease file cut short is said so.
# 5. The default hub picks a private /24 none of its host's networks
#    overlaps, prints it with the first-start line, and keeps it.
. "$(dirname "$0")/lib.sh"

command -v busybox >/dev/null || fail "busybox is not installed (apt-get install busybox)"

star 97
C=${PFX}c D=${PFX}d
mkns "$C"
link "$C" vc 10.97.3.2/24 "$H" hc 10.97.3.1/24
for u in u f s; do printf '%s-secret\n' "$u" >"$WORK/$u.pw"; done
hash() { "$SOFTETHER" --hash-password <"$WORK/$1.pw"; }
cat >"$WORK/hub.yaml" <<CONF
listen: ["0.0.0.0:7777"]
state_dir: $WORK/state
hubs:
  - name: DEFAULT
    default_policy: {deny_duplicate_ip: true}
    users:
      - {name: u, password: "$(hash u)"}
      - {name: f, password: "$(hash f)", policy: {force_dhcp_ip: true}}
      - {name: s, password: "$(hash s)"}
    dhcp:
      enabled: true
      range: "192.168.97.100-192.168.97.150"
      netmask: 255.255.255.0
      router: 192.168.97.1
      dns: [192.168.97.1]
      domain: dhcp.test
      lease: 600
      static:
        - {user: s, ip: 192.168.97.5}
CONF
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -v
wait_log hub 'listening on 0.0.0.0:7777'
wait_log hub 'hub DEFAULT: DHCP serving on 192\.168\.97\.0/24: leases 192\.168\.97\.100-192\.168\.97\.150 for 600 s, from 192\.168\.97\.2'
FP=$(fingerprint hub)
admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" "$@"; }

MAC_A=5e:00:00:00:97:0a MAC_B=5e:00:00:00:97:0b MAC_C=5e:00:00:00:97:0c
card() { # NAME NS HUBADDR USER MAC
  start "$1" "$2" "$SOFTETHER" --nic --connect "$3:7777" --user "$4" \
    --password-file "$WORK/$4.pw" --fingerprint "$FP" --mac "$5" --ip none
}
card nicA "$A" 10.97.1.1 u $MAC_A
card nicB "$B" 10.97.2.1 f $MAC_B
card nicC "$C" 10.97.3.1 s $MAC_C
for n in nicA nicB nicC; do wait_log $n 'vpn0 up'; done

# udhcpc's script: the leased address onto the TAP, and what came with it
# into $WORK/lease-NAME.
cat >"$WORK/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface" ;;
bound|renew)
  ip -4 addr flush dev "$interface"
  ip addr add "$ip/$subnet" dev "$interface"
  echo "$ip $subnet $router $dns $domain $lease $serverid" >"$LEASE_OUT" ;;
esac
exit 0
SCRIPT
chmod 755 "$WORK/udhcpc.sh"
dhcp() { # NAME NS: a lease on vpn0, or fail; prints the address
  rm -f "$WORK/lease-$1"
  ip netns exec "$2" env LEASE_OUT="$WORK/lease-$1" busybox udhcpc -i vpn0 \
    -n -q -f -t 5 -T 2 -s "$WORK/udhcpc.sh" >"$WORK/udhcpc-$1.log" 2>&1 ||
    fail "$1: no lease: $(tail -n 3 "$WORK/udhcpc-$1.log")"
  cut -d' ' -f1 "$WORK/lease-$1"
}
in_range() { # ADDR: one of .100-.150
  local last=${1##*.}
  [ "${1%.*}" = 192.168.97 ] && [ "$last" -ge 100 ] && [ "$last" -le 150 ]
}

# 1. Leases. C, on its static address, also uses the pool's first address
# on the quiet: the ARP probe before each first offer finds it.
IP_C=$(dhcp C "$C")
ip -n "$C" addr add 192.168.97.100/24 dev vpn0
IP_A=$(dhcp A "$A"); IP_B=$(dhcp B "$B")
in_range "$IP_A" || fail "A got $IP_A, outside the range"
in_range "$IP_B" || fail "B got $IP_B, outside the range"
[ "$IP_A" != "$IP_B" ] || fail "A and B both got $IP_A"
read -r _ mask router dns domain lease server <"$WORK/lease-A"
[ "$mask $router $dns $domain $lease $server" = \
  "255.255.255.0 192.168.97.1 192.168.97.1 dhcp.test 600 192.168.97.2" ] ||
  fail "A's options: $(cat "$WORK/lease-A")"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 "$IP_B" >/dev/null || fail "ping A -> B ($IP_B)"
ip netns exec "$B" ping -c 2 -i 0.2 -W 2 "$IP_A" >/dev/null || fail "ping B -> A ($IP_A)"
ok "A got $IP_A, B got $IP_B (mask, router, DNS, domain, lease, server id as set); they ping each other"
[ "$IP_A" != 192.168.97.100 ] && [ "$IP_B" != 192.168.97.100 ] ||
  fail "192.168.97.100, in use by C, was leased"
grep -q 'DHCP: 192\.168\.97\.100 answers ARP from another host; not offered' "$WORK/hub.log" ||
  fail "no ARP probe found 192.168.97.100 in use"
ok "the ARP probe found 192.168.97.100 in use (C's) and it was not offered"
ip netns exec "$A" ping -c 1 -W 1 192.168.97.2 >/dev/null 2>&1 || true
ip -n "$A" neigh show 192.168.97.2 | grep -q "lladdr" ||
  fail "the DHCP server's address does not resolve: $(ip -n "$A" neigh show 192.168.97.2)"
ok "the server's own address answers ARP"

admin --json -e 'ip list DEFAULT' >"$WORK/ips.json"
python3 - "$WORK/ips.json" "$IP_A" "$IP_B" <<'PY' || fail "ip list: $(cat "$WORK/ips.json")"
import json, sys
ips = {e["ip"]: e for e in json.load(open(sys.argv[1]))["ips"]}
for a in sys.argv[2:]:
    assert a in ips and ips[a]["source"] == "dhcp", a
    assert 0 < ips[a]["expires_s"] <= 600, ips[a]
PY
ok "ip list DEFAULT shows both leases, source dhcp"

[ "$IP_C" = 192.168.97.5 ] || fail "C (user s) got $IP_C, not its static 192.168.97.5"
ok "user s's static lease is honoured (192.168.97.5)"

# 2. force_dhcp_ip: B's leased address passes (above); one it took does not.
sid() { admin --json -e "session list" | python3 -c '
import json, sys
print([s["id"] for s in json.load(sys.stdin)["sessions"] if s["user"] == sys.argv[1]][0])' "$1"; }
drops() { # SESSION REASON
  admin --json -e "session show $1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["session"]["drops"].get(sys.argv[1], 0))' "$2"
}
B_ID=$(sid f)
before=$(drops "$B_ID" not-dhcp-assigned)
ip -n "$B" addr add 192.168.97.77/24 dev vpn0
ip netns exec "$B" ping -c 3 -i 0.2 -W 1 -I 192.168.97.77 "$IP_A" >/dev/null 2>&1 &&
  fail "B's self-given 192.168.97.77 passed traffic"
after=$(drops "$B_ID" not-dhcp-assigned)
[ "$after" -gt "$before" ] || fail "no not-dhcp-assigned drops for B ($before -> $after)"
ip -n "$B" addr del 192.168.97.77/24 dev vpn0
ip netns exec "$B" ping -c 2 -i 0.2 -W 2 "$IP_A" >/dev/null || fail "B's leased address stopped passing"
ok "force_dhcp_ip: B's lease passes, its own 192.168.97.77 is dropped ($((after - before)) frames)"

# 3. Hostile DHCP from A.
ip netns exec "$A" python3 - <<'PY' >/dev/null
import socket, struct
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
mac = bytes.fromhex("5e000000970a")
def frame(bootp, udp_csum=0, udp_len=None, cut=0):
    ulen = 8 + len(bootp) if udp_len is None else udp_len
    udp = struct.pack("!HHHH", 68, 67, ulen, udp_csum) + bootp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, bytes(4), b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = b"\xff" * 6 + mac + b"\x08\x00" + ip + udp
    return f[:len(f) - cut] if cut else f
def bootp(opts, cookie=b"\x63\x82\x53\x63"):
    b = struct.pack("!BBBBIHH", 1, 1, 6, 0, 0x97971234, 0, 0) + bytes(16)
    b += mac + bytes(10) + bytes(64) + bytes(128)
    return b + cookie + opts
disc = b"\x35\x01\x01"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vpn0", 0))
for f in (
    frame(bootp(disc + b"\xff"), udp_csum=0x1234),          # bad UDP checksum
    frame(bootp(disc + b"\xff"), cut=200),                   # cut short
    frame(bootp(disc + b"\x0c\x01x" * 200 + b"\xff")),      # an option bomb
    frame(bootp(disc + b"\x0c\xf0abc")),                     # runs past its end
    frame(bootp(disc + b"\xff", cookie=b"\0\0\0\0")),        # no magic cookie
):
    s.send(f)
PY
sleep 0.5
admin --json -e 'hub list' >"$WORK/hubs.json"
python3 - "$WORK/hubs.json" <<'PY' || fail "malformed DHCP not counted: $(cat "$WORK/hubs.json")"
import json, sys
d = json.load(open(sys.argv[1]))["hubs"][0]["dhcp"]
assert d["malformed"] >= 5, d
assert len(d["malformed_by"]) >= 4, d
PY
echo "counted: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hubs"][0]["dhcp"]["malformed_by"])' "$WORK/hubs.json")"
admin -e status >/dev/null || fail "the hub does not answer after the garbage"
[ "$(dhcp A "$A")" = "$IP_A" ] || fail "A's address changed after the garbage"
ok "5 malformed DHCP messages dropped and counted by reason; the hub serves on"

# 4. Restart: the lease file gives each MAC its address back.
sleep 1.5   # past the coalescing delay: the file is written already
grep -q "^$IP_A $MAC_A bound [0-9]* u$" "$WORK/state/dhcp-DEFAULT.leases" ||
  fail "A's lease not in the file: $(cat "$WORK/state/dhcp-DEFAULT.leases")"
kill -TERM "$PID_hub"; wait_exit "$PID_hub" 10; [ "$ST" = 0 ] || fail "hub stopped with $ST"
for n in nicA nicB nicC; do mark $n 'vpn0 up'; eval "UP_$n=$MARK"; done
start hub2 "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -v
wait_log hub2 'hub DEFAULT: DHCP: [0-9]+ leases? from '
grep -q 'lease file' "$WORK/hub2.log" && fail "the lease file was found bad: $(grep 'lease file' "$WORK/hub2.log")"
for n in nicA nicB nicC; do eval "MARK=\$UP_$n"; wait_more $n 'vpn0 up' 40; done
# B asks first: a hub that forgot would give it A's, the pool's first.
[ "$(dhcp B2 "$B")" = "$IP_B" ] || fail "B got $(cut -d' ' -f1 "$WORK/lease-B2") after the restart, not $IP_B"
[ "$(dhcp A2 "$A")" = "$IP_A" ] || fail "A got $(cut -d' ' -f1 "$WORK/lease-A2") after the restart, not $IP_A"
ip netns exec "$B" ping -c 2 -i 0.2 -W 2 "$IP_A" >/dev/null || fail "ping B -> A after the restart"
ok "restarted: A and B got $IP_A and $IP_B back; force_dhcp_ip passes B again"

# A reload narrows the range: the leases that still fit are kept.
sed -i 's/192\.168\.97\.100-192\.168\.97\.150/192.168.97.101-192.168.97.140/; s/lease: 600/lease: 900/' "$WORK/hub.yaml"
kill -HUP "$PID_hub2"
wait_log hub2 'hub DEFAULT: DHCP changed on 192\.168\.97\.0/24: leases 192\.168\.97\.101-192\.168\.97\.140 for 900 s'
[ "$(dhcp A3 "$A")" = "$IP_A" ] || fail "A got $(cut -d' ' -f1 "$WORK/lease-A3") after the reload, not $IP_A"
[ "$(cut -d' ' -f6 "$WORK/lease-A3")" = 900 ] || fail "A's lease after the reload: $(cat "$WORK/lease-A3")"
ok "reload: the new range and lease time apply, A keeps $IP_A"

# A file cut short is said so, and the hub starts with what it holds.
kill -TERM "$PID_hub2"; wait_exit "$PID_hub2" 10
head -c -7 "$WORK/state/dhcp-DEFAULT.leases" >"$WORK/cut" && cat "$WORK/cut" >"$WORK/state/dhcp-DEFAULT.leases"
start hub3 "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub3 'DHCP lease file .* line skipped as truncated, corrupt or outside the pool'
wait_log hub3 'listening on 0.0.0.0:7777'
ok "a truncated lease file is reported, and the hub starts"
kill -TERM "$PID_hub3"; wait_exit "$PID_hub3" 10

# 5. The default hub: with 10/8 and 172.16/12 routed on its host, its /24 is
# one of 192.168/16's, printed at first start and the same at the next.
mkns "$D"
ip link add dd netns "$D" type veth peer name de netns "$D"
ip -n "$D" addr add 198.51.100.1/24 dev dd
ip -n "$D" link set dd up; ip -n "$D" link set de up
ip -n "$D" route add 10.0.0.0/8 via 198.51.100.2
ip -n "$D" route add 172.16.0.0/12 via 198.51.100.2
start def "$D" "$SOFTETHER" --hub --state-dir "$WORK/state-d"
wait_log def 'hub running'
wait_log def 'Cards on hub DEFAULT get addresses by DHCP from 192\.168\.[0-9]+\.0/24 \(192\.168\.[0-9]+\.10 to 192\.168\.[0-9]+\.254\)'
grep -q "^The subnet was picked to miss this host's networks; it is kept in $WORK/state-d/dhcp-DEFAULT.subnet" "$WORK/def.log" ||
  fail "the first start does not say where the subnet is kept"
NET=$(cat "$WORK/state-d/dhcp-DEFAULT.subnet")
grep -q "from ${NET//./\\.} (" "$WORK/def.log" || fail "the printed subnet is not the kept one ($NET)"
kill -TERM "$PID_def"; wait_exit "$PID_def" 10
start def2 "$D" "$SOFTETHER" --hub --state-dir "$WORK/state-d"
wait_log def2 "hub DEFAULT: DHCP serving on ${NET%/24}/24"
grep -q 'picked (no network' "$WORK/def2.log" && fail "a second subnet was picked"
ok "the default hub serves $NET (picked past the host's 10/8 and 172.16/12), kept across restarts"
