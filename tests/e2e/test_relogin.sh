#!/usr/bin/env bash
# Back within seconds of a hub restart: re-login tickets.
#
#   ns A: card 192.168.95.1 --veth-- ns H: hub :7777 <- lo -- bench_sessions
#   ns B: card 192.168.95.2 --veth--+      (200 sessions from 127.1.0.0/24)
#
# Two cards and 200 generator sessions log in by password. The hub is
# killed with SIGKILL and started again on the same state directory: it
# has forgotten every session, so each card's resume is refused and it logs
# in afresh with the re-login ticket of its last welcome. Checks: all 200
# generator sessions and both cards are back within a bound ("back 200"),
# every login of the new hub came by ticket and none by password (the hub's
# counters on its metrics page: logins ok = logins by ticket = 202, no
# ticket refused), the cards ping each other again, the generator lost
# nothing it could keep. Then the hub's ticket key is removed and it is
# killed and started again: both cards' tickets are refused, they say so
# and log in with their passwords, and the counters show it.
. "$(dirname "$0")/lib.sh"

GEN=${BENCH_SESSIONS:-$(dirname "$SOFTETHER")/bench_sessions}
[ -x "$GEN" ] || fail "no generator at $GEN (it is built with the binary)"
PROMCHECK=$(cd "$(dirname "$0")" && pwd)/promcheck.py
N=200
BACK_S=30     # a bound for CI machines; bench/sessions.sh gives the figure

star 95
printf 'relogin-secret\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
printf '        policy: {max_sessions: 0}\n' >>"$WORK/hub.yaml"
sed -i "/^  - name: DEFAULT\$/a\\    max_sessions: $((N + 16))" "$WORK/hub.yaml"
printf 'metrics:\n  listen: "127.0.0.1:9195"\n' >>"$WORK/hub.yaml"

# scrape NAME...: each named per-hub series of the hub's metrics page.
scrape() {
  local args=() s
  for s in "$@"; do args+=(--get "$s"); done
  ip netns exec "$H" python3 "$PROMCHECK" --url http://127.0.0.1:9195/metrics \
    "${args[@]}" | tr '\n' ' '
}
OK_SERIES='softether_logins_total hub=DEFAULT,result=ok'
BAD_SERIES='softether_logins_total hub=DEFAULT,result=failed'
TICKET_SERIES='softether_logins_by_ticket_total hub=DEFAULT'
REFUSED_SERIES='softether_tickets_refused_total hub=DEFAULT'

wait_count() { # NAME REGEX N SECONDS: until the log shows REGEX N times
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    [ "$(grep -Ec -- "$2" "$WORK/$1.log" || true)" -ge "$3" ] && return 0
    sleep 0.1
  done
  fail "$1: '$2' not $3 times within $4 s"
}
hub_up() { # NAME: the hub started as NAME, listening, metrics served
  start "$1" "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
  wait_listen "$H" 0.0.0.0 7777 15 "$(eval echo "\$PID_$1")" "$1"
  wait_listen "$H" 127.0.0.1 9195 10 "$(eval echo "\$PID_$1")" "$1"
}
hub_up hub
FP=$(fingerprint hub)

start nicA "$A" "$SOFTETHER" --nic --connect 10.95.1.1:7777 --user u \
  --password-file "$WORK/pw" --fingerprint "$FP" --ip 192.168.95.1/24
start nicB "$B" "$SOFTETHER" --nic --connect 10.95.2.1:7777 --user u \
  --password-file "$WORK/pw" --fingerprint "$FP" --ip 192.168.95.2/24
wait_log nicA 'vpn0 up' 30; wait_log nicB 'vpn0 up' 30
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.95.2 >/dev/null || fail "ping A -> B"

ulimit -n $((N * 2 + 1024))
start gen "$H" "$GEN" 127.0.0.1:7777 --count $N --user u --password-file "$WORK/pw" \
  --fingerprint "$FP" --sources 127.1.0.0/24 --hub-restarts --hold 600 \
  --rate 1000 --inflight 64 --timeout 240 -v
wait_log gen "^up $N\$" 240
read -r ok ticket <<<"$(scrape "$OK_SERIES" "$TICKET_SERIES")"
[ "$ok" = $((N + 2)) ] && [ "$ticket" = 0 ] ||
  fail "first logins: $ok ok, $ticket by ticket; expected $((N + 2)) and 0"
ok "$((N + 2)) sessions up, logged in by password"

# The hub killed: no goodbye, no state saved beyond what it keeps on disk.
kill -9 "$PID_hub"
wait "$PID_hub" 2>/dev/null || true
t0=$(date +%s.%N)
hub_up hub2
wait_log gen "^back $N in " $BACK_S
back=$(sed -n "s/^back $N in \([0-9.]*\) s\$/\1/p" "$WORK/gen.log" | head -n 1)
wait_log nicA 'vpn0 up: .*login=ticket' $BACK_S
wait_log nicB 'vpn0 up: .*login=ticket' $BACK_S
ok "all back $(python3 -c "import sys,time; print('%.1f' % (time.time() - float(sys.argv[1])))" "$t0") s after the restart began (the generator's $N: ${back} s after the first went down)"
read -r ok bad ticket refused <<<"$(scrape "$OK_SERIES" "$BAD_SERIES" "$TICKET_SERIES" "$REFUSED_SERIES")"
[ "$ok" = $((N + 2)) ] || fail "the new hub admitted $ok, expected $((N + 2))"
[ "$ticket" = $((N + 2)) ] || fail "$ticket logins by ticket of $ok: the rest needed Argon2"
[ "$refused" = 0 ] && [ "$bad" = 0 ] || fail "$refused tickets refused, $bad logins failed"
grep -q 're-login ticket refused' "$WORK/hub2.log" && fail "the hub refused a ticket"
ok "every login after the restart came by ticket ($ticket), none by password"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.95.2 >/dev/null ||
  fail "ping A -> B after the restart"
ok "the cards ping each other again"

kill -TERM "$PID_gen"
wait_exit "$PID_gen" 30
[ "$ST" = 0 ] || fail "bench_sessions exited $ST"
summary=$(grep '^summary:' "$WORK/gen.log") || fail "no summary line"
echo "$summary"
[[ $summary == *" logins_password=$N logins_ticket=$N tickets_refused=0 readmitted=$N" ]] ||
  fail "the generator's sessions: expected $N by password, then $N by ticket"
ok "the generator lost nothing; $N logins by password, then $N by ticket"

# Tickets sealed with a key the hub no longer has: refused, and the
# cards' passwords do the rest.
kill -9 "$PID_hub2"
wait "$PID_hub2" 2>/dev/null || true
rm -f "$WORK/state/ticket.key"
hub_up hub3
wait_log nicA 'refused the re-login ticket' 30
wait_log nicB 'refused the re-login ticket' 30
wait_count nicA 'vpn0 up: ' 3 30
wait_count nicB 'vpn0 up: ' 3 30
read -r ok ticket refused <<<"$(scrape "$OK_SERIES" "$TICKET_SERIES" "$REFUSED_SERIES")"
[ "$ok" = 2 ] && [ "$ticket" = 0 ] && [ "$refused" = 2 ] ||
  fail "after the key was lost: $ok ok, $ticket by ticket, $refused refused; expected 2, 0, 2"
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 192.168.95.2 >/dev/null ||
  fail "ping A -> B with password logins"
ok "tickets under a lost key refused; both cards back by password"
