#!/usr/bin/env bash
# The session generator (bench/bench_sessions.c, behind bench/sessions.sh)
# is itself tested: 50 sessions from one process, each over its own socket
# from 127.1.0.1..50, with a trickle of frames between them; every
# connection reset at once and every session resumed, none lost.
#
#   ns H:  hub :7777  <-- lo --  bench_sessions (50 sessions, 127.1.0.0/24)
#
# Checks: "up 50" on its stdout; the hub holds 50 sessions; after the cut
# the hub logs 50 resumes and the generator counts 50, none lost, frames
# both ways; it exits 0 and the hub is left with no session (goodbyes).
. "$(dirname "$0")/lib.sh"

GEN=${BENCH_SESSIONS:-$(dirname "$SOFTETHER")/bench_sessions}
[ -x "$GEN" ] || fail "no generator at $GEN (it is built with the binary)"
N=50

H=${PFX}h
mkns "$H"
printf 'gen-secret\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_listen "$H" 0.0.0.0 7777 10 "$PID_hub" hub
wait_log hub 'certificate fingerprint' 10
FP=$(fingerprint hub)

admin() { ip netns exec "$H" "$SOFTETHER" --admin -c "$WORK/hub.yaml" --json -e "$@"; }

# The hold leaves time for the cut (4 s after all are up) and the resumes.
start gen "$H" "$GEN" 127.0.0.1:7777 --count $N --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --sources 127.1.0.0/24 --trickle 4 --hold 12 --cut-after 4 \
  --hub-pid "$PID_hub" --timeout 40 -v
t0=$SECONDS
wait_log gen "^up $N\$" 40
ok "up $N in $((SECONDS - t0)) s"
live=$(admin status | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"])')
[ "$live" = $N ] || fail "the hub holds $live sessions, expected $N"
ok "the hub holds $N sessions"

wait_exit "$PID_gen" 40
[ "$ST" = 0 ] || fail "bench_sessions exited $ST"
summary=$(grep '^summary:' "$WORK/gen.log") || fail "no summary line"
echo "$summary"
[[ $summary == "summary: up=$N lost=0 resumed=$N "* ]] ||
  fail "expected $N up, none lost, $N resumed"
grep -q "cut $N connections" "$WORK/gen.log" || fail "the generator did not cut $N"
resumes=$(grep -c 'resumed: user=u' "$WORK/hub.log" || true)
[ "$resumes" = $N ] || fail "the hub logged $resumes resumes, expected $N"
ok "all $N cut and resumed, none lost (the hub logged $N resumes)"
rx=$(sed -n 's/.*frames_received=\([0-9]*\).*/\1/p' <<<"$summary")
[ "${rx:-0}" -gt 0 ] || fail "no frame came back through the hub"
ok "frames between the sessions: $rx received"
grep -q '^hub RSS: ' "$WORK/gen.log" || fail "no hub figures (--hub-pid)"
for ((i = 0; i < 50; i++)); do
  live=$(admin status | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"])')
  [ "$live" = 0 ] && break
  sleep 0.1
done
[ "$live" = 0 ] || fail "the hub still holds $live sessions after the goodbyes"
ok "the generator said goodbye: exit 0, no session left on the hub"
