#!/usr/bin/env bash
# Nobody can lock the door for everyone: idle connections held from one
# IPv6 /64 (40 addresses) and from 16 IPv4 addresses, reopened as soon as
# the hub closes them, while honest cards come and go.
#
#   ns A (card, resumes) -- ha --+
#   ns C (new cards)     -- hc --+-- ns H (hub, [::]:7777 and 0.0.0.0:7777)
#   ns B (card, peer)    -- hb --+
#   ns X (attacker)      -- hx --+   2001:db8:82:9::/64, 10.82.9.10-25
#
# 1. With the limits sized from memory: 32 per source (the /64 is one),
#    first byte within 3 s. A new card logs in within 2 s; a card whose
#    link went down resumes within 2 s of the link coming back.
# 2. With room for only 200 logins at once (40 kept for resumes), which the
#    attacker fills: a resume still gets in within 2 s (a stale handshake
#    makes room; the reserve is its).
. "$(dirname "$0")/lib.sh"

HOLD="$(dirname "$0")/holdconns.py"
star 82
C=${PFX}c X=${PFX}x
mkns "$C"; mkns "$X"
link "$C" vc 10.82.3.2/24 "$H" hc 10.82.3.1/24
link "$X" vx 10.82.9.2/24 "$H" hx 10.82.9.1/24
ip -n "$H" addr add 2001:db8:82:9::1/64 dev hx nodad
V6=() V4=()
for i in $(seq 1 40); do
  ip -n "$X" addr add "2001:db8:82:9::$((i + 256))/64" dev vx nodad
  V6+=("2001:db8:82:9::$((i + 256))")
done
for i in $(seq 10 25); do
  ip -n "$X" addr add "10.82.9.$i/24" dev vx
  V4+=("10.82.9.$i")
done

printf 'pw\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
sed -i 's/"0.0.0.0:7777"/"0.0.0.0:7777", "[::]:7777"/' "$WORK/hub.yaml"
# Keepalives every second at most, so a card can tell a dead link in 4.
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" --keepalive 1
wait_listen "$H" '[::]' 7777 10 "$PID_hub" hub
grep -q 'file descriptors: [0-9]' "$WORK/hub.log" || fail "descriptor limit not logged"
grep -Eq 'before login: [0-9]+ connections at once \([0-9]+ kept for resumes\), 32 per source \(IPv6 /64\)' \
  "$WORK/hub.log" || fail "limits not logged: $(grep 'before login' "$WORK/hub.log")"
FP=$(fingerprint hub)
card() { # NAME NS HUB_ADDR IP [options]
  local name=$1 ns=$2 hub=$3 ip=$4; shift 4
  start "$name" "$ns" "$SOFTETHER" --nic --connect "$hub:7777" --user u \
    --password-file "$WORK/pw" --fingerprint "$FP" --ip "$ip/24" "$@"
}
card nicA "$A" 10.82.1.1 192.168.82.1 --dead-peer 4
card nicB "$B" 10.82.2.1 192.168.82.2
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'

# The attack: 40 x 20 from the /64, 16 x 40 from IPv4: 1440 wanted.
ip netns exec "$X" python3 "$HOLD" 2001:db8:82:9::1 7777 70 20 "${V6[@]}" >"$WORK/x6.log" 2>&1 &
PIDS+=($!)
ip netns exec "$X" python3 "$HOLD" 10.82.9.1 7777 70 40 "${V4[@]}" >"$WORK/x4.log" 2>&1 &
PIDS+=($!)
sleep 4
held() { tail -n 1 "$WORK/$1.log" | awk '{print $2}'; }
[ "$(( $(held x6) + $(held x4) ))" -ge 512 ] || fail "the attack holds only $(held x6) + $(held x4)"
wait_log hub 'refused [0-9]+ connections before login \(.*too many from this source' 10
ok "attack under way: $(held x6) + $(held x4) connections held or reopened"

# 1b. A new card logs in within 2 s.
t0=$(date +%s.%N)
card nicC "$C" 10.82.3.1 192.168.82.3
wait_log nicC 'vpn0 up' 10
dt=$(echo "$(date +%s.%N) - $t0" | bc)
[ "$(echo "$dt < 2" | bc)" = 1 ] || fail "new card took $dt s to log in"
ip netns exec "$C" ping -c 2 -i 0.2 -W 2 192.168.82.2 >/dev/null || fail "ping C -> B"
ok "a new card logged in within ${dt:0:4} s during the attack"

# The first byte is due within 3 s: idle connections do not sit for 10.
closed=$(tail -n 1 "$WORK/x6.log" | awk '{print $6}')
[ "${closed:-0}" -gt 0 ] || fail "the hub closed none of the idle connections"

# 1a. A's link down until its dead-peer timer cut the session; back up:
#     the resume gets in within 2 s.
resume_within() { # LABEL
  mark nicA 'connection lost'
  ip -n "$A" link set va down
  wait_more nicA 'connection lost' 10
  sleep 1
  mark nicA 'resumed session'
  t0=$(date +%s.%N)
  ip -n "$A" link set va up
  wait_more nicA 'resumed session' 10
  dt=$(echo "$(date +%s.%N) - $t0" | bc)
  [ "$(echo "$dt < 2" | bc)" = 1 ] || fail "$1: the resume took $dt s"
  ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.82.2 >/dev/null || fail "$1: ping A -> B"
}
resume_within "memory-sized limits"
ok "a cut card resumed within ${dt:0:4} s during the attack"

# 2. Room for 200 only, 40 of them for resumes: the attacker fills it.
sed -i 's/^hubs:/limits: {pending: 200, resume_reserve: 40}\nhubs:/' "$WORK/hub.yaml"
mark hub 'configuration reloaded'
kill -HUP "$PID_hub"
wait_more hub 'configuration reloaded' 5
grep -q 'before login: 200 connections at once (40 kept for resumes)' "$WORK/hub.log" ||
  fail "reload did not apply the limits"
mark hub 'too many connections logging in'
wait_more hub 'too many connections logging in' 10
resume_within "200 slots, all taken"
ok "with every slot taken, a cut card resumed within ${dt:0:4} s (reserve and eviction)"
