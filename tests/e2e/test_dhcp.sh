#!/usr/bin/env bash
# The hub's DHCP service and the card's built-in client together, as the
# default path has them: cards started with no --ip.
#
#   ns A: card, user a (force_dhcp_ip) --veth--+
#                                             +-- ns H: hub DEFAULT, dhcp:
#   ns B: card, user b                 --veth--+   192.168.98.10-50/24
#
# 1. Both cards get addresses of the range from the hub and ping each
#    other; the hub's ip list has both (source dhcp), each card's status
#    says dhcp and the address.
# 2. force_dhcp_ip with the hub's server: A's leased address passes, an
#    address A gives itself does not (dropped: not-dhcp-assigned).
# 3. The hub killed (SIGKILL) and started again: both cards come back (by
#    ticket) with the same addresses (the hub's lease file, the cards'
#    INIT-REBOOT), and A's leased address passes again under
#    force_dhcp_ip.
# 4. A card stopped and started again (the same MAC) gets its address back.
. "$(dirname "$0")/lib.sh"

star 98
for u in a b; do printf '%s-secret\n' "$u" >"$WORK/$u.pw"; done
hash() { "$SOFTETHER" --hash-password <"$WORK/$1.pw"; }
cat >"$WORK/hub.yaml" <<CONF
listen: ["0.0.0.0:7777"]
state_dir: $WORK/state
hubs:
  - name: DEFAULT
    users:
      - {name: a, password: "$(hash a)", policy: {force_dhcp_ip: true}}
      - {name: b, password: "$(hash b)"}
    dhcp:
      enabled: true
      range: "192.168.98.10-192.168.98.50"
      netmask: 255.255.255.0
      lease: 600
CONF
hub_up() { # NAME
  start "$1" "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
  wait_listen "$H" 0.0.0.0 7777 15 "$(eval echo "\$PID_$1")" "$1"
}
hub_up hub
FP=$(fingerprint hub)
card() { # NAME NS HUBADDR USER
  start "$1" "$2" "$SOFTETHER" --nic --connect "$3:7777" --user "$4" \
    --password-file "$WORK/$4.pw" --fingerprint "$FP" --mac "5e:00:00:00:98:$4a"
}
# addr NS: the IPv4 address on vpn0 of the range, or nothing.
addr() { ip -n "$1" -4 -o addr show dev vpn0 2>/dev/null |
  sed -n 's/.* inet \(192\.168\.98\.[0-9]*\)\/24 .*/\1/p' | head -n 1; }
wait_addr() { # NS: until vpn0 has an address of the range (15 s)
  local i
  for ((i = 0; i < 150; i++)); do
    [ -n "$(addr "$1")" ] && return 0
    sleep 0.1
  done
  fail "no address on vpn0 in $1 within 15 s"
}
admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" --json -e "$@"; }

card nicA "$A" 10.98.1.1 a
card nicB "$B" 10.98.2.1 b
wait_addr "$A"; wait_addr "$B"
IP_A=$(addr "$A") IP_B=$(addr "$B")
[ "$IP_A" != "$IP_B" ] || fail "both cards got $IP_A"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 "$IP_B" >/dev/null || fail "ping A -> B"
admin 'ip list DEFAULT' | python3 -c '
import json, sys
ips = {e["ip"]: e["source"] for e in json.load(sys.stdin)["ips"]}
for a in sys.argv[1:]:
    assert ips.get(a) == "dhcp", "%s is %s in ip list: %s" % (a, ips.get(a), ips)
' "$IP_A" "$IP_B" || fail "ip list"
st=$(ip netns exec "$A" "$SOFTETHER" --admin --nic --json)
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["addressing"] == "dhcp" and d["address"] == sys.argv[2] + "/24", d
' "$st" "$IP_A" || fail "card A's status: $st"
ok "A $IP_A and B $IP_B by DHCP from the hub; they ping; ip list and status say so"

# 2. force_dhcp_ip: only the leased address passes.
drops() {
  admin 'session list DEFAULT' | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["user"] == "a":
        print(s["drops"].get("not-dhcp-assigned", 0))'
}
before=$(drops)
ip -n "$A" addr add 192.168.98.200/24 dev vpn0
ip netns exec "$A" ping -c 2 -i 0.2 -W 1 -I 192.168.98.200 "$IP_B" >/dev/null &&
  fail "a self-given address passed under force_dhcp_ip"
ip -n "$A" addr del 192.168.98.200/24 dev vpn0
[ "$(drops)" -gt "$before" ] || fail "no not-dhcp-assigned drops"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 "$IP_B" >/dev/null || fail "ping from the leased address"
ok "force_dhcp_ip: the leased address passes, a self-given one is dropped"

# 3. The hub killed and started again: the same addresses, traffic passes.
kill -9 "$PID_hub"
wait "$PID_hub" 2>/dev/null || true
hub_up hub2
wait_log nicA 'vpn0 up: .*login=ticket' 30
wait_log nicB 'vpn0 up: .*login=ticket' 30
for ((i = 0; i < 100; i++)); do
  ip netns exec "$A" ping -c 1 -W 1 "$IP_B" >/dev/null 2>&1 && break
  sleep 0.2
done
[ "$(addr "$A")" = "$IP_A" ] && [ "$(addr "$B")" = "$IP_B" ] ||
  fail "addresses after the restart: A $(addr "$A") (was $IP_A), B $(addr "$B") (was $IP_B)"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 "$IP_B" >/dev/null ||
  fail "ping A -> B after the hub's restart (force_dhcp_ip)"
admin 'ip list DEFAULT' | grep -q "\"$IP_A\"" || fail "A's lease is not in the new hub's ip list"
ok "after kill -9 and restart: A $IP_A and B $IP_B kept, A passes under force_dhcp_ip"

# 4. A card stopped (its RELEASE) and started again: its address back.
kill -TERM "$PID_nicA"
wait_exit "$PID_nicA" 10
[ "$ST" = 0 ] || fail "card A exited $ST"
card nicA2 "$A" 10.98.1.1 a
wait_log nicA2 'vpn0 up' 30
wait_addr "$A"
[ "$(addr "$A")" = "$IP_A" ] || fail "A came back with $(addr "$A"), not $IP_A"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 "$IP_B" >/dev/null || fail "ping after A's restart"
ok "card A stopped and started again: $IP_A again"
