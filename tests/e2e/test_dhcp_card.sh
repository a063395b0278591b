#!/usr/bin/env bash
# The card's own DHCP client, against dnsmasq on a LAN bridged into the hub.
#
#   ns D: dnsmasq on eth0 192.168.96.1/24 (leases .100-.150, 2 min, T1 8 s,
#         router .1, DNS .53, domain vpn.example)
#     | veth
#   ns G: softether --bridge lan ---- 10.96.3.2 ---+
#                                                  ns H: hub :7777
#   ns A: card vpn0, no --ip: DHCP, --dns (a stand-in resolvconf in PATH),
#         --default-route; no default route here -- 10.96.1.2 --+
#   ns B: card vpn0 --ip none; card vpn1 DHCP --default-route, with a
#         default route of B's own ---------------- 10.96.2.2 --+
#
# Checks: A gets an address from dnsmasq through the hub (with the lease's
# lifetime on it), pings dnsmasq's side, gets the default route and its DNS
# lines through resolvconf; its status (--admin --nic --json, SIGUSR1) shows
# the address, dhcp, bound, the server and when it renews; it renews at T1.
# --ip none: no address, no DISCOVER. B's own default route is left alone.
# A 4 s cut (nftables) that the session survives keeps the address with no
# new DISCOVER; a hub killed and started again (a new session) keeps it
# through an INIT-REBOOT REQUEST, no DISCOVER either. SIGTERM: a
# DHCPRELEASE (dnsmasq's log, its lease file), the DNS lines withdrawn.
. "$(dirname "$0")/lib.sh"

N=96
star $N
G=${PFX}g D=${PFX}d
mkns "$G"; mkns "$D"
link "$G" wan "10.$N.3.2/24" "$H" hg "10.$N.3.1/24"
ip link add lan netns "$G" type veth peer name eth0 netns "$D"
ip -n "$G" link set lan up
ip -n "$D" addr add 192.168.$N.1/24 dev eth0
ip -n "$D" link set eth0 up
ip -n "$B" route add default via 10.$N.2.1

printf 'dhcp-secret\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:site:"$WORK/pw" DEFAULT:a:"$WORK/pw" \
  DEFAULT:b:"$WORK/pw" DEFAULT:b2:"$WORK/pw"
hub_up() { # NAME
  start "$1" "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" --keepalive 1
  wait_listen "$H" 0.0.0.0 7777 15 "$(eval echo "\$PID_$1")" "$1"
}
hub_up hub
FP=$(fingerprint hub)

# dnsmasq pings an address before it first offers it: about 3 s of the
# first lease are its.
start dnsmasq "$D" timeout 300 dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
  --log-facility=- --interface=eth0 --bind-interfaces \
  --dhcp-range=192.168.$N.100,192.168.$N.150,255.255.255.0,2m \
  --dhcp-option=option:router,192.168.$N.1 --dhcp-option=option:dns-server,192.168.$N.53 \
  --dhcp-option=option:domain-name,vpn.example --dhcp-option=option:T1,8 \
  --dhcp-leasefile="$WORK/leases" --pid-file="$WORK/dnsmasq.pid"
wait_log dnsmasq 'DHCP, IP range' 10
start gw "$G" "$SOFTETHER" --bridge lan --connect "10.$N.3.1:7777" --user site \
  --password-file "$WORK/pw" --fingerprint "$FP"
wait_log gw 'lan up: connected' 15

# resolvconf's stand-in: what it was asked, and the lines on its stdin.
mkdir "$WORK/bin"
cat >"$WORK/bin/resolvconf" <<EOF
#!/bin/sh
{ echo "ARGS \$*"; cat; echo END; } >>"$WORK/resolvconf.log"
EOF
chmod 755 "$WORK/bin/resolvconf"

MAC_A=5e:00:00:00:96:0a MAC_B=5e:00:00:00:96:0b MAC_B2=5e:00:00:00:96:0c
card() { # NAME NS HUBIP USER [options...]
  local name=$1 ns=$2 hip=$3 user=$4; shift 4
  start "$name" "$ns" env PATH="$WORK/bin:$PATH" "$SOFTETHER" --nic \
    --connect "$hip:7777" --user "$user" --password-file "$WORK/pw" --fingerprint "$FP" "$@"
}
admin() { local ns=$1; shift; ip netns exec "$ns" "$SOFTETHER" --admin --nic "$@"; }
addr4() { ip -n "$1" -4 -o addr show dev "$2" | awk '{print $4}'; }
discovers() { grep -c "DHCPDISCOVER(eth0) $1" "$WORK/dnsmasq.log" || true; }

# 1. no --ip: an address from dnsmasq, through the hub
t0=$(date +%s%N)
card nicA "$A" 10.$N.1.1 a --mac $MAC_A --dns --default-route --dead-peer 2 --keepalive 1
wait_log nicA "vpn0: DHCP: got 192\.168\.$N\.1[0-9][0-9]/24 from server 192\.168\.$N\.1 \(lease 120 s, renewing in [0-9]+ s\), router 192\.168\.$N\.1" 20
IP_A=$(addr4 "$A" vpn0)
[[ "$IP_A" =~ ^192\.168\.$N\.1[0-9][0-9]/24$ ]] || fail "vpn0 in A holds '$IP_A'"
ip netns exec "$A" ping -c 3 -i 0.2 -W 2 192.168.$N.1 >/dev/null || fail "ping A -> dnsmasq's side"
ok "no --ip: $IP_A from dnsmasq through the hub in $((($(date +%s%N) - t0) / 1000000)) ms; ping answered"

ip -n "$A" -4 addr show dev vpn0 | grep -Eq 'valid_lft 1[0-2][0-9]sec' ||
  fail "the lease's lifetime is not on the address: $(ip -n "$A" -4 addr show dev vpn0)"
ip -n "$A" route show default | grep -q "^default via 192.168.$N.1 dev vpn0 proto dhcp" ||
  fail "A's default route: $(ip -n "$A" route show default)"
for ((i = 0; i < 50; i++)); do grep -q '^END' "$WORK/resolvconf.log" 2>/dev/null && break; sleep 0.1; done
want="ARGS -a vpn0.softether
nameserver 192.168.$N.53
search vpn.example
END"
[ "$(cat "$WORK/resolvconf.log" 2>/dev/null)" = "$want" ] ||
  fail "resolvconf was told: $(cat "$WORK/resolvconf.log" 2>/dev/null)"
ok "the lease's lifetime on the address, the default route (none before), DNS to resolvconf"

admin "$A" vpn0 --json >"$WORK/st.json" || fail "--admin --nic --json: $?"
python3 - "$WORK/st.json" "${IP_A}" <<'PY' || fail "status: $(cat "$WORK/st.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["addressing"] == "dhcp" and s["address"] == sys.argv[2], s
d = s["dhcp"]
assert d["state"] == "bound" and d["server"].endswith(".1") and d["default_route"], d
assert d["renew_at"] and d["expires_at"] and d["leases"] == 1, d
PY
admin "$A" vpn0 | grep -Eq "^address +$IP_A \(dhcp: bound, server 192\.168\.$N\.1, router 192\.168\.$N\.1 \(default route\), renews [0-9T:-]+Z, expires [0-9T:-]+Z\)$" ||
  fail "status text: $(admin "$A" vpn0)"
kill -USR1 "$PID_nicA"
wait_log nicA "status vpn0: up, .* addressing=dhcp address=$IP_A dhcp=bound renew_at=[0-9T:-]+Z" 5
ok "status: the address, dhcp, bound, server, router, renewal (JSON, text, SIGUSR1)"

# 2. --ip none: nothing; B's own default route is left alone
card nicB "$B" 10.$N.2.1 b --mac $MAC_B --ip none
card nicB2 "$B" 10.$N.2.1 b2 --mac $MAC_B2 --tap vpn1 --default-route
wait_log nicB 'vpn0 up: connected' 15
wait_log nicB2 "vpn1: DHCP: got 192\.168\.$N\.1[0-9][0-9]/24" 20
wait_log nicB2 "vpn1: DHCP: the host has a default route already; not adding one via 192\.168\.$N\.1" 5
[ "$(ip -n "$B" route show default)" = "default via 10.$N.2.1 dev vb " ] ||
  [ "$(ip -n "$B" route show default)" = "default via 10.$N.2.1 dev vb" ] ||
  fail "B's default route changed: $(ip -n "$B" route show default)"
sleep 2
[ -z "$(addr4 "$B" vpn0)" ] || fail "--ip none: vpn0 holds $(addr4 "$B" vpn0)"
[ "$(discovers $MAC_B)" = 0 ] || fail "--ip none sent a DISCOVER"
[ "$(admin "$B" vpn0 --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["addressing"], s["address"], s["dhcp"])')" = "none None None" ] ||
  fail "--ip none status: $(admin "$B" vpn0 --json)"
ok "--ip none: no address, no DISCOVER; --default-route left B's own default route alone"

# 3. renewal at T1 (8 s)
wait_log nicA "vpn0: DHCP: renewed $IP_A \(lease 120 s" 20
grep -q "DHCPACK(eth0) ${IP_A%/*} $MAC_A" "$WORK/dnsmasq.log" || fail "no ACK in dnsmasq's log"
[ "$(admin "$A" vpn0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["dhcp"]["renewals"])')" -ge 1 ] ||
  fail "no renewal counted"
ok "renewed at T1, the same address"

# 4. a cut the session survives: the address stays, no new DISCOVER
disc=$(discovers $MAC_A)
mark nicA 'resumed session'
cut_link "$A" va
wait_log nicA 'vpn0: connection lost' 10
sleep 3
[ "$(addr4 "$A" vpn0)" = "$IP_A" ] || fail "the address went during the cut: $(addr4 "$A" vpn0)"
mend_link "$A"
wait_more nicA 'resumed session' 20
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.$N.1 >/dev/null || fail "ping after the resume"
[ "$(addr4 "$A" vpn0)" = "$IP_A" ] || fail "the address after the resume: $(addr4 "$A" vpn0)"
[ "$(discovers $MAC_A)" = "$disc" ] || fail "a DISCOVER after a resume"
grep -q 'DHCP: .* lost' "$WORK/nicA.log" && fail "a lease lost across a resume"
ok "a 4 s cut, resumed: $IP_A kept, no new DISCOVER"

# 5. a new session (the hub killed and started again): INIT-REBOOT, kept
mark nicA 'DHCP: kept'
kill -9 "$PID_hub"
wait "$PID_hub" 2>/dev/null || true
hub_up hub2
wait_log nicA "vpn0: DHCP: a new session: asking to keep $IP_A" 30
wait_more nicA "vpn0: DHCP: kept $IP_A from server 192\.168\.$N\.1" 30
[ "$(addr4 "$A" vpn0)" = "$IP_A" ] || fail "the address after a new session: $(addr4 "$A" vpn0)"
[ "$(discovers $MAC_A)" = "$disc" ] || fail "a DISCOVER after a new session"
grep -q "DHCPREQUEST(eth0) ${IP_A%/*} $MAC_A" "$WORK/dnsmasq.log" || fail "no REQUEST in dnsmasq's log"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.$N.1 >/dev/null || fail "ping after a new session"
ok "a new session: INIT-REBOOT REQUEST, $IP_A kept, no DISCOVER"

# 6. SIGTERM: RELEASE before the goodbye, DNS withdrawn
grep -q "$MAC_A" "$WORK/leases" || fail "dnsmasq has no lease for A: $(cat "$WORK/leases")"
kill -TERM "$PID_nicA"
wait_exit "$PID_nicA" 10
[ "$ST" = 0 ] || fail "A's exit status $ST"
wait_log nicA "vpn0: DHCP: address $IP_A released" 1
wait_log dnsmasq "DHCPRELEASE\(eth0\) ${IP_A%/*} $MAC_A" 10
for ((i = 0; i < 50; i++)); do grep -q "$MAC_A" "$WORK/leases" || break; sleep 0.1; done
grep -q "$MAC_A" "$WORK/leases" && fail "the lease is still in dnsmasq's file: $(cat "$WORK/leases")"
for ((i = 0; i < 50; i++)); do grep -q '^ARGS -d vpn0.softether$' "$WORK/resolvconf.log" && break; sleep 0.1; done
grep -q '^ARGS -d vpn0.softether$' "$WORK/resolvconf.log" || fail "DNS not withdrawn: $(cat "$WORK/resolvconf.log")"
ok "SIGTERM: DHCPRELEASE seen by dnsmasq, its lease gone, DNS withdrawn"
