#!/usr/bin/env bash
# The security policies users notice most, end to end, each beside a control
# that the policy must leave alone. One hub process with three virtual hubs:
#
#   hub MAC                                   hub DUP (default deny_duplicate_ip)
#   ns a1: vpn0 .90.1  user one (max_mac 1)   ns a2: vpn0 .92.1  user a
#     `- ns m1: mv0 .90.11 (macvlan on a1)    ns b2: vpn0 .92.2  user b
#   ns b1: vpn0 .90.2  user free              ns c2: vpn0 .92.1  user c  (claims a's)
#     `- ns n1: mv0 .90.12 (macvlan on b1)    ns d2: vpn0 .92.1  user d  (policy off)
#   users banned (deny_access), ok
#                                             hub DHCP (default deny_dhcp_server)
#                                             ns s:  vpn0 .91.1  srv (allowed), dnsmasq .50-.60
#                                             ns r:  vpn0 .91.2  rogue, dnsmasq .200-.210
#                                             ns d:  vpn0 by DHCP, cli (force_dhcp_ip)
#
#   every card's namespace -- own veth 10.93.K.2/24 --> ns H 10.93.K.1 (hub, no forwarding)
#
# (.90.x, .91.x, .92.x are 192.168.90-92.x/24.) Checks: a second MAC behind a
# max_mac 1 card is not forwarded, behind a free card it is; a claimed address
# does not move while the claimer's own address works, and it does move for a
# user whose policy turns the hub's default off; a rogue DHCP server is muted
# while the allowed one serves, a force_dhcp_ip card talks only from its
# leased address; a deny_access user is refused while another logs in. The
# hub's SIGUSR1 drop counters name each reason.
. "$(dirname "$0")/lib.sh"

for t in dnsmasq busybox arping; do
  command -v "$t" >/dev/null || fail "$t is missing (run scripts/deps.sh)"
done

H=${PFX}h
mkns "$H"
printf 'policy-secret\n' >"$WORK/pw"
HASH=$("$SOFTETHER" --hash-password <"$WORK/pw")
cat >"$WORK/hub.yaml" <<EOF
listen: ["0.0.0.0:7777"]
state_dir: $WORK/state
hubs:
  - name: MAC
    users:
      - { name: one, password: "$HASH", policy: { max_mac: 1 } }
      - { name: free, password: "$HASH" }
      - { name: banned, password: "$HASH", policy: { deny_access: true } }
      - { name: ok, password: "$HASH" }
  - name: DUP
    default_policy:
      deny_duplicate_ip: true
    users:
      - { name: a, password: "$HASH" }
      - { name: b, password: "$HASH" }
      - { name: c, password: "$HASH" }
      - { name: d, password: "$HASH", policy: { deny_duplicate_ip: false } }
  - name: DHCP
    default_policy:
      deny_dhcp_server: true
    users:
      - { name: srv, password: "$HASH", policy: { deny_dhcp_server: false } }
      - { name: rogue, password: "$HASH" }
      - { name: cli, password: "$HASH", policy: { force_dhcp_ip: true } }
EOF
"$SOFTETHER" --check-config -c "$WORK/hub.yaml" >"$WORK/check.out" 2>&1 ||
  fail "config refused: $(cat "$WORK/check.out")"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub 'listening on 0.0.0.0:7777'
FP=$(fingerprint hub)

K=0
# card NAME HUB USER MAC [CIDR]: namespace ${PFX}NAME, its own veth to H,
# and a card on HUB (log nicNAME).
card() { # NAME HUB USER MAC [ADDR]: no ADDR, --ip none (D runs udhcpc itself)
  local ns=${PFX}$1 ip=none
  K=$((K + 1))
  mkns "$ns"
  link "$ns" v0 "10.93.$K.2/24" "$H" "h$K" "10.93.$K.1/24"
  [ -n "${5:-}" ] && ip=$5/24
  start "nic$1" "$ns" "$SOFTETHER" --nic --connect "10.93.$K.1:7777" --hub-name "$2" \
    --user "$3" --password-file "$WORK/pw" --fingerprint "$FP" --mac "$4" --ip "$ip"
}
in_ns() { local ns=${PFX}$1; shift; ip netns exec "$ns" "$@"; }
# reach NS PINGARGS...: answered; noreach NS PINGARGS...: never answered.
reach()   { local ns=$1; shift; in_ns "$ns" ping -c 2 -i 0.2 -W 2 -w 8 "$@" >/dev/null; }
noreach() { local ns=$1; shift; ! in_ns "$ns" ping -c 3 -i 0.3 -w 2 "$@" >/dev/null; }
# macvlan NS LOWERNS MAC CIDR: a second card mv0 on LOWERNS's vpn0, with a MAC
# of its own, moved into a new namespace NS so that its address is all it has.
macvlan() {
  mkns "${PFX}$1"
  ip -n "${PFX}$2" link add mv0 link vpn0 address "$3" type macvlan mode bridge
  ip -n "${PFX}$2" link set mv0 netns "${PFX}$1"
  ip -n "${PFX}$1" addr add "$4/24" dev mv0
  ip -n "${PFX}$1" link set mv0 up
}
# dump: the hub logs its status (DHCP is the last hub it lists).
dump() {
  mark hub 'status hub=DHCP '
  kill -USR1 "$PID_hub"
  wait_more hub 'status hub=DHCP ' 5
}
# has_drop USER REASON: USER's session has dropped frames for REASON; sets
# DROPS to all its counters (monotonic, so the latest line is current; no
# line means none yet).
has_drop() {
  local sid
  sid=$(sed -n "s/.*status session=\([0-9]*\) user=$1 .*/\1/p" "$WORK/hub.log" | tail -n 1)
  [ -n "$sid" ] || fail "no session of user $1 in the status dump"
  DROPS=$(grep "session $sid drops:" "$WORK/hub.log" | tail -n 1 || true)
  grep -Eq " $2=[1-9]" <<<"$DROPS"
}
neigh_mac() { in_ns "$1" ip neigh show "$2" dev vpn0 | sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'; }

MAC_A1=5e:00:00:00:01:01 MAC_B1=5e:00:00:00:01:02
MAC_M1=5e:00:00:00:01:11 MAC_N1=5e:00:00:00:01:12
MAC_A2=5e:00:00:00:02:01 MAC_B2=5e:00:00:00:02:02
MAC_C2=5e:00:00:00:02:03 MAC_D2=5e:00:00:00:02:04
card a1 MAC one $MAC_A1 192.168.90.1
card b1 MAC free $MAC_B1 192.168.90.2
card a2 DUP a $MAC_A2 192.168.92.1
card b2 DUP b $MAC_B2 192.168.92.2
card c2 DUP c $MAC_C2 192.168.92.1
card s DHCP srv 5e:00:00:00:03:01 192.168.91.1
card r DHCP rogue 5e:00:00:00:03:02 192.168.91.2
card d DHCP cli 5e:00:00:00:03:03
for n in a1 b1 a2 b2 c2 s r d; do wait_log "nic$n" 'vpn0 up'; done
ok "8 cards up on 3 hubs"

# ---- max_mac: 1 ----------------------------------------------------------
# The card's own MAC speaks first and is the one it may use.
reach a1 192.168.90.2 || fail "max_mac 1: the card's own MAC A1 -> B1"
macvlan m1 a1 $MAC_M1 192.168.90.11
macvlan n1 b1 $MAC_N1 192.168.90.12
noreach m1 192.168.90.2 || fail "max_mac 1: a second MAC behind A1 reached B1"
reach a1 192.168.90.2 || fail "max_mac 1: A1's own MAC stopped working"
ok "max_mac 1: a second MAC is not forwarded, the first still is"
reach n1 192.168.90.1 || fail "no max_mac: a second MAC behind B1 could not reach A1"
ok "no max_mac: a second MAC behind another card is forwarded"
dump
has_drop one max-mac || fail "no max-mac drops counted for user one: $DROPS"
has_drop free max-mac && fail "max-mac drops counted for user free: $DROPS"
grep -q "mac hub=MAC mac=$MAC_M1 " "$WORK/hub.log" && fail "the hub learned the refused MAC"
grep -q "mac hub=MAC mac=$MAC_N1 " "$WORK/hub.log" || fail "the hub did not learn B1's second MAC"
ok "max-mac drops counted for that session only; the refused MAC never learned"

# ---- deny_duplicate_ip ---------------------------------------------------
# A owns .92.1 by speaking first (C, configured with it too, is still silent);
# B knows it by A's MAC.
reach a2 192.168.92.2 || fail "A2 -> B2"
reach b2 192.168.92.1 || fail "B2 -> A2"
[ "$(neigh_mac b2 192.168.92.1)" = $MAC_A2 ] || fail "B2 does not know A2's MAC"
# C, configured with the same address, announces it and tries to talk from it.
in_ns c2 arping -U -c 2 -w 3 -I vpn0 192.168.92.1 >/dev/null 2>&1 || true
[ "$(neigh_mac b2 192.168.92.1)" = $MAC_A2 ] ||
  fail "C2's gratuitous ARP moved 192.168.92.1 to $(neigh_mac b2 192.168.92.1) on B2"
noreach c2 192.168.92.2 || fail "C2 talked from A2's address"
reach b2 192.168.92.1 || fail "B2 -> 192.168.92.1 after C2's claim"
[ "$(neigh_mac b2 192.168.92.1)" = $MAC_A2 ] ||
  fail "B2 reaches 192.168.92.1 at $(neigh_mac b2 192.168.92.1), not A2"
reach a2 192.168.92.2 || fail "A2 -> B2 after C2's claim"
ok "deny_duplicate_ip: C2's claim on A2's address is dropped; B2 still reaches A2"
# C's own, unclaimed address works. (The failed ARP for B above is flushed
# first: its end would fail this ping, and ping -w stops at an error.)
ip -n "${PFX}c2" addr add 192.168.92.3/24 dev vpn0
ip -n "${PFX}c2" neigh flush dev vpn0
reach c2 -I 192.168.92.3 192.168.92.2 || fail "C2 from its own address 192.168.92.3"
ok "deny_duplicate_ip: C2's own address still works"
dump
has_drop c duplicate-ip || fail "no duplicate-ip drops counted for user c: $DROPS"
has_drop a duplicate-ip && fail "duplicate-ip drops counted for the owner a: $DROPS"
ok "duplicate-ip drops counted for the claimer only"
# User d turns the hub's default off for itself: its claim takes the address,
# which shows the check above would have seen a takeover.
card d2 DUP d $MAC_D2 192.168.92.1
wait_log nicd2 'vpn0 up'
in_ns d2 arping -U -c 2 -w 3 -I vpn0 192.168.92.1 >/dev/null 2>&1 || true
for i in $(seq 30); do
  [ "$(neigh_mac b2 192.168.92.1)" = $MAC_D2 ] && break
  sleep 0.1
done
[ "$(neigh_mac b2 192.168.92.1)" = $MAC_D2 ] ||
  fail "user d (deny_duplicate_ip: false) could not take the address over"
ok "user policy deny_duplicate_ip: false overrides the hub's default: takeover seen"

# ---- deny_dhcp_server and force_dhcp_ip -----------------------------------
cat >"$WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
# udhcpc's hook: only a lease changes the card.
case "$1" in
bound|renew) ip addr add "$ip/${mask:-24}" dev "$interface" ;;
esac
exit 0
EOF
chmod +x "$WORK/udhcpc.sh"
# dnsmasq_on NAME NS FIRST LAST: a DHCP server on that card's vpn0 (log NAME).
dnsmasq_on() {
  start "$1" "${PFX}$2" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
    --interface=vpn0 --bind-interfaces --dhcp-range="$3,$4,255.255.255.0,2m" --no-ping \
    --dhcp-leasefile="$WORK/$1.leases" --pid-file="$WORK/$1.pid" --user=root --group=root \
    --log-facility=- --log-dhcp
  wait_log "$1" 'DHCP, IP range'
}
udhcpc() { # TRIES: D asks for a lease
  in_ns d timeout 20 busybox udhcpc -f -q -n -i vpn0 -t "$1" -T 1 -A 1 \
    -s "$WORK/udhcpc.sh" >"$WORK/udhcpc.log" 2>&1
}

# The rogue alone: it hears D and answers, but no offer reaches D.
dnsmasq_on rogue r 192.168.91.200 192.168.91.210
udhcpc 3 && fail "D got a lease from the rogue server: $(ip -n "${PFX}d" -4 -o addr show vpn0)"
grep -q 'DHCPOFFER' "$WORK/rogue.log" || fail "the rogue never offered (test is blind)"
ok "deny_dhcp_server: the rogue's offers never reach D"

# The allowed server: D leases from its range, and only from it.
dnsmasq_on dhcp s 192.168.91.50 192.168.91.60
udhcpc 5 || fail "D got no lease with the allowed server: $(tail -n 5 "$WORK/udhcpc.log")"
DIP=$(ip -n "${PFX}d" -4 -o addr show vpn0 | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -n 1)
case "$DIP" in
192.168.91.5[0-9] | 192.168.91.60) ;;
*) fail "D's address '$DIP' is not from the allowed server's range" ;;
esac
reach d 192.168.91.1 || fail "D -> S from its leased address $DIP"
reach r 192.168.91.1 || fail "the rogue's own ordinary traffic R -> S"
ok "force_dhcp_ip: D leased $DIP from the allowed server and talks from it"
dump
has_drop rogue dhcp-server || fail "no dhcp-server drops counted for the rogue: $DROPS"
has_drop srv dhcp-server && fail "dhcp-server drops counted for the allowed server: $DROPS"
has_drop cli not-dhcp-assigned && fail "not-dhcp-assigned drops before any static address: $DROPS"
ok "dhcp-server drops counted for the rogue only"

# A static address on D is not one the server gave it.
ip -n "${PFX}d" addr add 192.168.91.99/24 dev vpn0
noreach d -I 192.168.91.99 192.168.91.1 || fail "force_dhcp_ip: D talked from a static address"
ip -n "${PFX}d" neigh flush dev vpn0
reach d 192.168.91.1 || fail "D's leased address stopped working"
dump
has_drop cli not-dhcp-assigned || fail "no not-dhcp-assigned drops counted: $DROPS"
ok "force_dhcp_ip: a static address is dropped, the leased one still works"

# ---- deny_access -----------------------------------------------------------
ip netns exec "${PFX}b1" "$SOFTETHER" --nic --connect 10.93.2.1:7777 --hub-name MAC \
  --user banned --password-file "$WORK/pw" --fingerprint "$FP" --tap vpnx \
  >"$WORK/banned.log" 2>&1 &
PIDS+=($!)
wait_exit $! 20
[ "$ST" = 2 ] || fail "deny_access: client exit status $ST, expected 2"
grep -q 'login refused by hub: access denied by policy' "$WORK/banned.log" ||
  fail "deny_access: no refusal message"
wait_log hub 'login refused: user=banned from=10.93.2.2:[0-9]+ hub=MAC: deny_access policy'
start ok "${PFX}b1" "$SOFTETHER" --nic --connect 10.93.2.1:7777 --hub-name MAC \
  --user ok --password-file "$WORK/pw" --fingerprint "$FP" --tap vpny
wait_log ok 'vpny up'
ok "deny_access: user banned refused (exit 2, message); user ok in the same hub logs in"
