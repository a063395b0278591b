#!/usr/bin/env bash
# What a hostile card tries first on the wire, against the hub's policy.
#
#   ns A (mallory: deny_duplicate_ip, ipv6_ra_filter) --+
#   ns B (victim, 192.168.84.2, 2001:db8:84::2)        --+-- ns H (hub)
#   ns C (third party, 192.168.84.3)                   --+
#
# 1. A neighbour advertisement claiming B's IPv6 address: dropped
#    (duplicate-ip), never reaches B.
# 2. ND and ARP naming B's MAC as mallory's own: dropped (neighbor-spoof).
# 3. An ICMPv6 redirect: dropped (router-advert).
# 4. 6000 source MACs from mallory: the hub learns 4096 (the per-port cap)
#    and drops the rest (max-mac); B and C's unicast never reaches her.
. "$(dirname "$0")/lib.sh"

RAW="$(dirname "$0")/rawframe.py"
star 84
C=${PFX}c
mkns "$C"
link "$C" vc 10.84.3.2/24 "$H" hc 10.84.3.1/24
printf 'm-secret\n' >"$WORK/m.pw"
printf 'u-secret\n' >"$WORK/u.pw"
cat >"$WORK/hub.yaml" <<CONF
listen: ["0.0.0.0:7777"]
state_dir: $WORK/state
hubs:
  - name: DEFAULT
    users:
      - name: mallory
        password: "$("$SOFTETHER" --hash-password <"$WORK/m.pw")"
        policy: {deny_duplicate_ip: true, ipv6_ra_filter: true}
      - name: u
        password: "$("$SOFTETHER" --hash-password <"$WORK/u.pw")"
CONF
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on 0.0.0.0:7777'
FP=$(fingerprint hub)
MAC_A=5e:00:00:00:84:0a MAC_B=5e:00:00:00:84:0b MAC_C=5e:00:00:00:84:0c
card() { # NAME NS HUB USER PWFILE IP MAC
  start "$1" "$2" "$SOFTETHER" --nic --connect "$3:7777" --user "$4" \
    --password-file "$5" --fingerprint "$FP" --ip "$6/24" --mac "$7"
}
card nicA "$A" 10.84.1.1 mallory "$WORK/m.pw" 192.168.84.1 $MAC_A
card nicB "$B" 10.84.2.1 u "$WORK/u.pw" 192.168.84.2 $MAC_B
card nicC "$C" 10.84.3.1 u "$WORK/u.pw" 192.168.84.3 $MAC_C
for n in nicA nicB nicC; do wait_log $n 'vpn0 up'; done
ip -n "$B" addr add 2001:db8:84::2/64 dev vpn0 nodad
ip -n "$C" addr add 2001:db8:84::3/64 dev vpn0 nodad
# B's address is learned from its traffic.
ip netns exec "$B" ping -6 -c 2 -i 0.2 -W 2 2001:db8:84::3 >/dev/null || fail "ping6 B -> C"
ip netns exec "$A" ping -c 1 -W 2 192.168.84.2 >/dev/null || fail "ping A -> B"

admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" "$@"; }
A_ID=$(admin --json -e "session list" | python3 -c '
import json, sys
print([s["id"] for s in json.load(sys.stdin)["sessions"] if s["user"] == "mallory"][0])')
drops() { # REASON: how many of mallory's frames the hub dropped for it
  admin --json -e "session show $A_ID" | python3 -c '
import json, sys
print(json.load(sys.stdin)["session"]["drops"].get(sys.argv[1], 0))' "$1"
}
MARKHEX=$(printf rawframe | od -An -tx1 | tr -d ' \n')

# 1. The advertisement claiming B's address.
ip netns exec "$B" python3 "$RAW" sniff vpn0 3 "$MARKHEX" >"$WORK/sniffB.txt" &
sniffer=$!
sleep 0.5
ip netns exec "$A" python3 "$RAW" na vpn0 2001:db8:84::2 $MAC_A
sleep 0.3
[ "$(drops duplicate-ip)" -ge 1 ] || fail "NA claiming B's address not dropped"
ok "an NA claiming B's IPv6 address is dropped (duplicate-ip)"

# 2. ND and ARP that give B's MAC as mallory's.
ip netns exec "$A" python3 "$RAW" na vpn0 2001:db8:84::1 $MAC_B
ip netns exec "$A" python3 "$RAW" arp vpn0 192.168.84.1 $MAC_B
sleep 0.3
[ "$(drops neighbor-spoof)" -ge 2 ] || fail "spoofed link-layer addresses: $(drops neighbor-spoof) dropped"
ok "ND and ARP naming another's MAC are dropped (neighbor-spoof)"

# 3. A redirect.
ip netns exec "$A" python3 "$RAW" redirect vpn0
sleep 0.3
[ "$(drops router-advert)" -ge 1 ] || fail "redirect not dropped"
wait $sniffer
[ "$(cat "$WORK/sniffB.txt")" = 0 ] || fail "B received $(cat "$WORK/sniffB.txt") of the forged frames"
ok "an ICMPv6 redirect is dropped (router-advert); B saw none of them"

# 4. A flood of source MACs.
ip netns exec "$A" python3 "$RAW" flood vpn0 6000
# Until the hub has seen the flood through (a sanitized build is slow).
for ((i = 0; i < 100; i++)); do
  [ "$(drops max-mac)" -ge 1000 ] && break
  sleep 0.1
done
macs=$(admin --json -e "session show $A_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["macs"])')
[ "$macs" -le 4096 ] || fail "mallory holds $macs MACs"
[ "$(drops max-mac)" -ge 1000 ] || fail "only $(drops max-mac) flood frames dropped"
ip netns exec "$A" python3 "$RAW" sniff vpn0 3 c0ffee0584c0ffee >"$WORK/sniffA.txt" &
sniffer=$!
sleep 0.5
ip netns exec "$B" ping -c 5 -i 0.2 -W 2 -p c0ffee0584c0ffee 192.168.84.3 >/dev/null || fail "ping B -> C after the flood"
wait $sniffer
[ "$(cat "$WORK/sniffA.txt")" = 0 ] || fail "mallory saw $(cat "$WORK/sniffA.txt") of B and C's unicast"
ok "6000 MACs from one card: $macs learned, $(drops max-mac) dropped; B-C unicast stays unicast"
