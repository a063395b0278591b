#!/usr/bin/env bash
# Sessions a hub holds and what each costs. One process (bench_sessions)
# opens COUNT real sessions (TLS, Argon2id login, data channel, keepalives),
# each over its own socket from an address of 127.1.0.0/16, so the hub's
# limits per source hold; keeps them HOLD seconds, and, with CUT (seconds
# after all are up, within HOLD), resets every connection at once and
# resumes every session.
#
#   ns H:  hub :7777  <-- lo --  bench_sessions (COUNT sessions,
#                                127.1.0.1, 127.1.0.2, ... round robin)
#
# Prints the generator's figures: time to admit COUNT (first connect to
# last welcome), logins per second, the hub's RSS and fds per session, its
# CPU while they idle, the time to resume them all; and where the hub's
# memory is (heap, anonymous mappings) idle and with COUNT up. Figures
# only, no pass/fail.
# With RESTART (seconds after all are up, after any cut), the hub is killed
# with SIGKILL and started again on its state directory: the figure is the
# time until every session is back (re-login tickets; with NO_TICKETS=1 by
# password, for comparison).
# With TRANSFER (seconds), two real cards in namespaces of their own run
# one iperf3 TCP stream through the hub before the generator starts, and
# again with the COUNT sessions idle (after the restart if there is one,
# else after the cut): the ratio says what the idle sessions cost a
# transfer.
# With CHEAP_HASH=1 the user's password hash is an Argon2id of the least
# cost libsodium allows (t=1, 8 KiB): admission then measures TLS and the
# login alone, and 10,000 sessions come up in a minute rather than in
# Argon2id's time; the hub verifies whatever cost a hash names. For the
# holding figures only: never a hash to deploy.
# Knobs: COUNT (1000), HOLD (30), CUT (20; 0: no cut), RESTART (0: none),
# TRANSFER (0: none),
# TRICKLE (frames a second per session, 0), RATE (connects a second, 200),
# INFLIGHT (32), NO_TICKETS (0).
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
GEN=${BENCH_SESSIONS:-$(dirname "$SOFTETHER")/bench_sessions}
COUNT=${COUNT:-1000}
HOLD=${HOLD:-30}
CUT=${CUT:-20}
TRICKLE=${TRICKLE:-0}
RESTART=${RESTART:-0}
TRANSFER=${TRANSFER:-0}
NO_TICKETS=${NO_TICKETS:-0}
RATE=${RATE:-200}
INFLIGHT=${INFLIGHT:-32}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"
[ -x "$GEN" ] || fail "no generator at $GEN (build first)"

# The hub's namespace H; with TRANSFER, cards in A and B (veths to H).
if [ "$TRANSFER" != 0 ]; then
  star 97
  # No IPv6 on the cards' side: its router solicitations and listener
  # reports, flooded to every session, would be measured with the transfer.
  for ns in "$A" "$B"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
      net.ipv6.conf.default.disable_ipv6=1
  done
else
  H=${PFX}h
  mkns "$H"
fi
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
# Room for every session: the hub's cap, the user's (none), and a file
# descriptor each (ulimit, for the hub and the generator).
if [ "${CHEAP_HASH:-0}" != 0 ]; then
  cheap=$(python3 -c '
import ctypes, sys
s = ctypes.CDLL("libsodium.so.23")
s.sodium_init()
out = ctypes.create_string_buffer(128)
pw = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
assert s.crypto_pwhash_str(out, pw, ctypes.c_ulonglong(len(pw)),
                           ctypes.c_ulonglong(1), ctypes.c_size_t(8192)) == 0
print(out.value.decode())' "$WORK/pw")
  sed -i "s|password: \".*\"|password: \"$cheap\"|" "$WORK/hub.yaml"
  echo "CHEAP_HASH: the user's hash costs t=1, 8 KiB (admission without Argon2id's cost)"
fi
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
sed -i "/^  - name: DEFAULT\$/a\\    max_sessions: $((COUNT + 16))" "$WORK/hub.yaml"
want=$((COUNT + 1024)) hard=$(ulimit -Hn)
[ "$hard" != unlimited ] && [ "$hard" -lt "$want" ] && want=$hard
ulimit -n "$want"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_listen "$H" 0.0.0.0 7777 30 "$PID_hub" hub
wait_log hub 'certificate fingerprint' 10
FP=$(fingerprint hub)
# The base of every figure is the hub at rest: its start (the dummy
# password hash among it) over, no CPU used for a second (at most 20 s).
. "$(dirname "$0")/lib.sh"
for ((i = 0, last = -1; i < 20; i++)); do
  now=$(ticks "$PID_hub")
  [ "$now" = "$last" ] && break
  last=$now
  sleep 1
done

# smaps PID: the process's resident memory by kind of mapping.
smaps() {
  python3 -c '
import sys
kinds = {}
cur = None
for line in open("/proc/%s/smaps" % sys.argv[1]):
    f = line.split()
    if "-" in f[0] and len(f) >= 5:
        cur = f[5] if len(f) > 5 else "anonymous"
        if cur.startswith("/"):
            cur = "files"
        kinds.setdefault(cur, [0, 0])[1] += 1
    elif f[0] == "Rss:":
        kinds[cur][0] += int(f[1])
print(", ".join("%s %d KiB (%d mappings)" % (k, v[0], v[1]) for k, v in
                sorted(kinds.items(), key=lambda kv: -kv[1][0]) if v[0] > 0))
' "$1"
}

# transfer WHEN: two cards up, one TCP stream card A -> card B for TRANSFER
# s, the cards stopped again (so that their broadcasts, flooded to every
# session, are no part of the idle figures); prints and keeps the rate
# (Gbit/s) in RATE_<WHEN>.
transfer() {
  local out c n ns
  for c in A B; do
    n=1; [ $c = B ] && n=2
    ns=$A; [ $c = B ] && ns=$B
    start "nic$c$1" "$ns" "$SOFTETHER" --nic --connect "10.97.$n.1:7777" --user bench \
      --password-file "$WORK/pw" --fingerprint "$FP" --ip "192.168.97.$n/24"
  done
  wait_log "nicA$1" 'vpn0 up' 60; wait_log "nicB$1" 'vpn0 up' 60
  ip netns exec "$A" ping -c 1 -W 2 192.168.97.2 >/dev/null 2>&1 || true
  sleep 2
  out=$(ip netns exec "$A" timeout $((TRANSFER + 20)) iperf3 -c 192.168.97.2 \
    -t "$TRANSFER" -J 2>/dev/null | python3 -c '
import json, sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")') || out=0
  eval "RATE_$1=$out"
  echo "transfer $1: $out Gbit/s (one TCP stream, card to card through the hub)"
  for c in A B; do
    eval "kill -TERM \$PID_nic$c$1"
    eval "wait_exit \$PID_nic$c$1 10"
  done
}
if [ "$TRANSFER" != 0 ]; then
  start iperf "$B" iperf3 -s
  transfer alone
fi

echo "$COUNT sessions, hold $HOLD s, cut $CUT s after all are up, trickle" \
  "$TRICKLE/s per session, $RATE connects/s, $INFLIGHT at once, $(nproc) cores"
echo "hub idle: $(smaps "$PID_hub")"
cut=()
[ "$CUT" != 0 ] && cut=(--cut-after "$CUT")
[ "$RESTART" != 0 ] && cut+=(--hub-restarts)
[ "$NO_TICKETS" != 0 ] && cut+=(--no-tickets)
ip netns exec "$H" "$GEN" 127.0.0.1:7777 --count "$COUNT" --user bench \
  --password-file "$WORK/pw" --fingerprint "$FP" --sources 127.1.0.0/16 \
  --hold "$HOLD" "${cut[@]}" --trickle "$TRICKLE" --rate "$RATE" \
  --inflight "$INFLIGHT" --hub-pid "$PID_hub" --json >"$WORK/gen.out" \
  2>"$WORK/gen.err" &
gen=$!
PIDS+=($gen)
# Bounded: the generator gives up by itself after 120 + COUNT/5 s.
for ((i = 0; i < (300 + COUNT / 2) * 10; i++)); do
  grep -q '^up ' "$WORK/gen.out" 2>/dev/null && break
  kill -0 $gen 2>/dev/null || break
  sleep 0.1
done
grep -q '^up ' "$WORK/gen.out" && echo "hub with $COUNT up: $(smaps "$PID_hub")"
if [ "$RESTART" != 0 ] && grep -q '^up ' "$WORK/gen.out"; then
  sleep "$RESTART"
  # Any "back" so far was the cut's: the restart's is the next one.
  backs=$(grep -c '^back ' "$WORK/gen.out" || true)
  kill -9 "$PID_hub"
  wait "$PID_hub" 2>/dev/null || true
  t0=$(date +%s.%N)
  start hub2 "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
  wait_listen "$H" 0.0.0.0 7777 30 "$PID_hub2" hub2
  t1=$(date +%s.%N)
  for ((i = 0; i < 3000; i++)); do
    [ "$(grep -c '^back ' "$WORK/gen.out" || true)" -gt "$backs" ] && break
    kill -0 $gen 2>/dev/null || break
    sleep 0.1
  done
  t2=$(date +%s.%N)
  python3 -c 'import sys; t0, t1, t2 = map(float, sys.argv[1:4])
print("figures: hub killed and restarted: listening again after %.2f s, all %s"
      " sessions back %.2f s after the restart began" % (t1 - t0, sys.argv[4],
      t2 - t0))' "$t0" "$t1" "$t2" "$COUNT"
  grep -E 're-login ticket refused' "$WORK/hub2.log" | head -3 || true
fi
if [ "$TRANSFER" != 0 ] && grep -q '^up ' "$WORK/gen.out"; then
  # After the restart, or after the cut's resumes.
  if [ "$RESTART" != 0 ]; then
    sleep 3
  else
    sleep $((CUT > 0 ? CUT + 15 : 0))
  fi
  transfer with_idle
  python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2])
print("figures: one transfer with %s idle sessions present: %.2f Gbit/s, alone"
      " %.2f Gbit/s (ratio %.2f)" % (sys.argv[3], b, a, b / a if a else 0))' \
    "$RATE_alone" "$RATE_with_idle" "$COUNT"
fi
rc=0
wait $gen || rc=$?
cat "$WORK/gen.err"
grep -v '^{' "$WORK/gen.out" || true
tail -n 1 "$WORK/gen.out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
h = d.get("hub")
if h and d["admit_s"] > 0:
    print("figures: %d sessions admitted in %.1f s (%.1f logins/s); hub RSS"
          " %.1f KiB and %.2f fds per session; hub CPU %.2f %% of a core"
          " holding them" % (d["count"], d["admit_s"], d["logins_per_s"],
          h["rss_per_session_kib"], h["fds_per_session"], h["cpu_hold_pct"]))
if d["cut"] and d["resume_s"] >= 0:
    print("figures: %d connections cut, all resumed in %.2f s"
          % (d["cut"], d["resume_s"]))
' || true
[ $rc -eq 0 ] || echo "bench_sessions exited $rc (sessions lost: see above)"
