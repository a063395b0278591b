#!/usr/bin/env bash
# Two virtual hubs on one server are separate Ethernet segments.
#
#   ns A: card on hub RED   192.168.78.1 --+
#   ns C: card on hub RED   192.168.78.3 --+-- veth -- ns H (hub, hubs RED and BLUE)
#   ns B: card on hub BLUE  192.168.78.2 --+
#
# All three cards share one underlay bridge in H; A and C reach each other, B
# (same subnet, other hub) reaches neither, not even by broadcast ARP.
. "$(dirname "$0")/lib.sh"

H=${PFX}h A=${PFX}a B=${PFX}b C=${PFX}c
mkns "$H"; mkns "$A"; mkns "$B"; mkns "$C"
link "$A" va 10.78.1.2/24 "$H" ha 10.78.1.1/24
link "$B" vb 10.78.2.2/24 "$H" hb 10.78.2.1/24
link "$C" vc 10.78.3.2/24 "$H" hc 10.78.3.1/24

printf 'pw-red\n' >"$WORK/red.pw"; printf 'pw-blue\n' >"$WORK/blue.pw"
hub_config "$WORK/hub.yaml" RED:r:"$WORK/red.pw" BLUE:b:"$WORK/blue.pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on'
FP=$(fingerprint hub)

card() { # NAME NS HUBADDR HUB USER PW IP
  start "$1" "$2" "$SOFTETHER" --nic --connect "$3:7777" --hub-name "$4" --user "$5" \
    --password-file "$6" --fingerprint "$FP" --ip "$7/24"
}
card nicA "$A" 10.78.1.1 RED r "$WORK/red.pw" 192.168.78.1
card nicB "$B" 10.78.2.1 BLUE b "$WORK/blue.pw" 192.168.78.2
card nicC "$C" 10.78.3.1 RED r "$WORK/red.pw" 192.168.78.3
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'; wait_log nicC 'vpn0 up'

ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.78.3 >/dev/null || fail "A -> C on hub RED"
ok "same hub: A reaches C"
ip netns exec "$A" ping -c 2 -i 0.2 -W 1 192.168.78.2 >/dev/null && fail "A reached B across hubs"
ip netns exec "$B" arping -c 2 -w 3 -I vpn0 192.168.78.1 >/dev/null && fail "B's ARP crossed hubs"
ip netns exec "$B" ping -c 2 -i 0.2 -W 1 192.168.78.3 >/dev/null && fail "B reached C across hubs"
ok "other hub: B reaches nobody"

# The hub's own counters agree: BLUE forwarded nothing to anyone.
kill -USR1 "$PID_hub"
wait_log hub 'status hub=BLUE sessions=1'
grep -E 'status hub=BLUE .* unicast=0 ' "$WORK/hub.log" >/dev/null || fail "BLUE unicast counter"
grep -E 'status hub=RED sessions=2 .* unicast=[1-9]' "$WORK/hub.log" >/dev/null || fail "RED counters"

# A hub that does not exist is refused by name.
ip netns exec "$A" "$SOFTETHER" --nic --connect 10.78.1.1:7777 --hub-name GREEN --user r \
  --password-file "$WORK/red.pw" --fingerprint "$FP" --tap vpnx >"$WORK/nohub.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20
[ "$ST" = 2 ] && grep -q "no hub named 'GREEN'" "$WORK/nohub.log" || fail "unknown hub: $ST"
ok "unknown hub refused by name"
