#!/usr/bin/env bash
# The hub's memory with many cut sessions under broadcast. N cards log in,
# their links are cut (nftables) so the hub keeps their sessions for a
# resume, and another card broadcasts: every cut session would queue every
# broadcast, but all the queues together stay within limits.queue_memory
# (the session pool gives up the largest cut queues first), and a live card
# still gets its traffic.
#
#   ns A (N cards) -- veth -- ns H (hub, and card L on loopback) -- veth -- ns B (broadcaster)
#
# Checks: N+2 sessions up; after the cut all N are seen cut; after FRAMES
# broadcasts of 1400 bytes (those that reach the hub are many times the
# budget once copied to every cut session) the hub's RSS grew by less than
# the budget plus 16 MiB, status says the pool kept to its limit and gave queues up, and B
# still pings L across the hub.
# Knobs (bench/cut_memory.sh uses them): N (200), FRAMES (20000), QUEUE_MIB
# (32; empty: no limit, and then FIGURES_ONLY is implied), FIGURES_ONLY=1
# prints the figures without judging them.
. "$(dirname "$0")/lib.sh"

N=${N:-200}
FRAMES=${FRAMES:-20000}
QUEUE_MIB=${QUEUE_MIB-32}
[ -n "$QUEUE_MIB" ] || FIGURES_ONLY=1
FIGURES_ONLY=${FIGURES_ONLY:-}

star 86
printf 'cut-secret\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
[ -n "$QUEUE_MIB" ] && printf 'limits: {queue_memory: %s}\n' "$QUEUE_MIB" >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q --dead-peer 4 --keepalive 1
wait_listen "$H" 0.0.0.0 7777 10 "$PID_hub" hub

admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" --json -e "$@"; }
# count STATE: sessions in that state ("up" or "cut").
count() {
  admin "session list" | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)["sessions"] if s["state"] == sys.argv[1]))' "$1"
}
# until_count STATE N SECONDS
until_count() {
  local i c=0
  for ((i = 0; i < $3 * 2; i++)); do
    c=$(count "$1")
    [ "$c" -ge "$2" ] && return 0
    sleep 0.5
  done
  fail "$c sessions $1 after $3 s, expected $2"
}

t0=$SECONDS
for ((i = 0; i < N; i++)); do
  start "c$i" "$A" "$SOFTETHER" --nic --connect 10.86.1.1:7777 --user u \
    --password-file "$WORK/pw" --known-hubs "$WORK/kh$i" --tap "v$i" -q
  # A few at a time: the hub admits 16 a second from one source.
  (( i % 12 == 11 )) && sleep 1
done
start bc "$B" "$SOFTETHER" --nic --connect 10.86.2.1:7777 --user u \
  --password-file "$WORK/pw" --known-hubs "$WORK/khb" --ip 192.168.86.2/24
start live "$H" "$SOFTETHER" --nic --connect 127.0.0.1:7777 --user u \
  --password-file "$WORK/pw" --known-hubs "$WORK/khl" --ip 192.168.86.3/24
until_count up $((N + 2)) 120
ok "$((N + 2)) sessions up in $((SECONDS - t0)) s"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID_hub/status"; }
before=$(rss)
# The cut: A's side drops everything; the hub finds those N dead.
cut_link "$A" va
until_count cut "$N" 30
ok "$N sessions cut, kept for a resume"

ip netns exec "$B" python3 "$(dirname "$0")/rawframe.py" bcast vpn0 "$FRAMES" 1400
# Until the hub has taken in what reached it (B's TAP drops what it cannot
# queue): no new frame for a second.
in=0
for ((i = 0; i < 30; i++)); do
  last=$in
  in=$(admin status | python3 -c 'import json,sys; print(json.load(sys.stdin)["in_frames"])')
  [ "$in" = "$last" ] && break
  sleep 1
done
after=$(rss)
read -r used limit shed < <(admin status | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["queued_bytes"], s["queue_limit"], s["queues_shed"])')
grow=$(( (after - before) / 1024 ))
echo "figure: hub RSS $before KiB with $((N + 2)) sessions, $after KiB after $in" \
  "broadcasts (of $FRAMES sent) to $N cut ones: $grow MiB more; queued $((used >> 20)) MiB of" \
  "$((limit >> 20)) MiB, cut queues given up $shed"
[ -n "$FIGURES_ONLY" ] && exit 0

[ $((in * N * 1400)) -gt $((QUEUE_MIB << 22)) ] ||
  fail "the hub took in only $in broadcasts, too few to fill 4 budgets"
[ "$limit" = $((QUEUE_MIB << 20)) ] || fail "queue_limit $limit, configured $QUEUE_MIB MiB"
[ "$used" -le "$limit" ] || fail "queued $used bytes over the $limit limit"
[ "$shed" -ge 1 ] || fail "no cut queue given up, yet $N queues of $FRAMES frames"
if [ "${SANITIZED:-0}" = 1 ]; then
  ok "RSS not judged under ASan (its quarantine keeps what is freed)"
else
  [ "$grow" -lt $((QUEUE_MIB + 16)) ] ||
    fail "hub RSS grew $grow MiB, over the $QUEUE_MIB MiB budget plus 16"
  ok "hub RSS +$grow MiB for $N cut sessions under broadcast ($QUEUE_MIB MiB budget)"
fi

ip netns exec "$B" ping -c 3 -i 0.2 -W 2 192.168.86.3 >/dev/null || fail "ping B -> L after the flood"
ok "a live card still reaches another across the hub"
