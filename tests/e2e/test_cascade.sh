#!/usr/bin/env bash
# A cascade: hub 2 plugs its DEFAULT hub into hub 1's, as a card would, and
# the cards of both are on one Ethernet segment.
#
#   ns A (card A) -- ns H1 (hub 1) -- ns H2 (hub 2, cascade to hub 1) -- ns B (card B)
#
# Checked: pings and a TCP transfer A <-> B across the cascade; both hubs'
# status; a cut of the link resumed with nothing lost; a reload that removes
# the cascade ends it (B no longer reaches A) and one that adds it back
# restores it, one that changes only its policy keeps its session; hub 2's
# console lists it; a wrong password stops the cascade, not the hub;
# SIGTERM with a cascade up ends hub 2 cleanly, the cascade saying goodbye.
. "$(dirname "$0")/lib.sh"
N=83
H1=${PFX}h1 H2=${PFX}h2 A=${PFX}a B=${PFX}b
mkns "$H1"; mkns "$H2"; mkns "$A"; mkns "$B"
link "$A" va "10.$N.1.2/24" "$H1" ha "10.$N.1.1/24"
link "$H2" wan "10.$N.3.2/24" "$H1" lan2 "10.$N.3.1/24"
link "$B" vb "10.$N.4.2/24" "$H2" hb "10.$N.4.1/24"

for u in alice bob link; do printf '%s-secret\n' $u >"$WORK/$u.pw"; done
printf 'not-the-secret\n' >"$WORK/wrong.pw"
hub_config "$WORK/hub1.yaml" DEFAULT:alice:"$WORK/alice.pw" DEFAULT:link:"$WORK/link.pw"
hub_config "$WORK/hub2.base" DEFAULT:bob:"$WORK/bob.pw"
sed -i "s|^state_dir: .*|state_dir: $WORK/state2|" "$WORK/hub2.base"

start hub1 "$H1" "$SOFTETHER" --hub -c "$WORK/hub1.yaml"
wait_listen "$H1" 0.0.0.0 7777 10 "$PID_hub1" hub1
FP=$(fingerprint hub1)
[ -n "$FP" ] || fail "hub 1 logged no fingerprint"

# cascade_config PWFILE: hub 2's configuration with the cascade to hub 1.
cascade_config() {
  cp "$WORK/hub2.base" "$WORK/hub2.yaml"
  cat >>"$WORK/hub2.yaml" <<YAML
cascades:
  - name: to-one
    hub: DEFAULT
    link:
      connect: "10.$N.3.1:7777"
      user: link
      password_file: $1
      fingerprint: "$FP"
      dead_peer: 2
      resume_window: 20
YAML
}
cascade_config "$WORK/link.pw"
"$SOFTETHER" --hub --check-config -c "$WORK/hub2.yaml" >"$WORK/check.out" ||
  fail "--check-config refused the cascade: $(cat "$WORK/check.out")"
grep -q 'name: "to-one"' "$WORK/check.out" || fail "--check-config did not print the cascade"
start hub2 "$H2" "$SOFTETHER" --hub -c "$WORK/hub2.yaml"
wait_listen "$H2" 0.0.0.0 7777 10 "$PID_hub2" hub2
wait_log hub2 'cascade to-one on hub DEFAULT .*: to hub DEFAULT at 10\.'$N'\.3\.1:7777 via direct as link'
wait_log hub2 'cascade to-one up: connected to 10\.'$N'\.3\.1:7777 via direct, hub=DEFAULT session=[0-9]+ .* offload=on' 15
ok "hub 2's cascade logged in to hub 1, offload super-frames on"

start nicA "$A" "$SOFTETHER" --nic --connect "10.$N.1.1:7777" --user alice \
  --password-file "$WORK/alice.pw" --fingerprint "$FP" --ip 192.168.$N.1/24
start nicB "$B" "$SOFTETHER" --nic --connect "10.$N.4.1:7777" --user bob \
  --password-file "$WORK/bob.pw" --known-hubs "$WORK/kh" --ip 192.168.$N.2/24
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'
ip netns exec "$A" ping -c 20 -i 0.05 -W 2 192.168.$N.2 >"$WORK/ping.log" 2>&1 ||
  fail "no ping A -> B across the cascade: $(grep transmitted "$WORK/ping.log")"
grep -q '^20 packets transmitted, 20 received' "$WORK/ping.log" ||
  fail "pings lost: $(grep transmitted "$WORK/ping.log")"
ip netns exec "$B" ping -c 3 -W 2 192.168.$N.1 >/dev/null || fail "no ping B -> A"
ok "A and B on one segment across two hubs: 20 of 20 pings, and back"

# 4 MB over TCP, B -> A, checked byte for byte.
head -c 4000000 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
ip netns exec "$A" timeout 30 python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.'$N'.1", 5001)); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' >"$WORK/recv.out" &
R=$!
wait_listen "$A" 192.168.$N.1 5001 10
ip netns exec "$B" timeout 30 python3 -c '
import socket, sys
s = socket.create_connection(("192.168.'$N'.1", 5001), timeout=20)
s.sendall(open(sys.argv[1], "rb").read()); s.close()' "$WORK/blob" || fail "sending B -> A"
wait $R || fail "receiving on A"
[ "$(cat "$WORK/recv.out")" = "4000000 $want" ] ||
  fail "4 MB B -> A arrived as: $(cat "$WORK/recv.out")"
ok "4 MB B -> A across the cascade, checksum equal"

# Both hubs say so: hub 1 has a session of user link, hub 2 a cascade up
# that dropped nothing on the way (a full queue to the link drops).
mark hub2 'status cascade=to-one'
kill -USR1 "$PID_hub2"
wait_more hub2 'status cascade=to-one' 5
grep 'status cascade=to-one' "$WORK/hub2.log" | tail -n 1 |
  grep -Eq 'hub=DEFAULT state=up remote=10\.'$N'\.3\.1:7777 remote_hub=DEFAULT via=direct session=[1-9][0-9]* in=[1-9][0-9]*fr out=[1-9][0-9]*fr dropped=0 ' ||
  fail "hub 2's status: $(grep 'status cascade' "$WORK/hub2.log" | tail -n 1)"
mark hub1 'status session=.* user=link'
kill -USR1 "$PID_hub1"
wait_more hub1 'status session=.* user=link' 5
ok "status: hub 2 has cascade to-one up, hub 1 a session of user link"

# Hub 2's console lists the cascade among its sessions, shows it, and will
# not kick it (it belongs to the configuration).
admin2() { ip netns exec "$H2" "$SOFTETHER" --admin -c "$WORK/hub2.yaml" "$@"; }
KID=$(admin2 --json -e "session list" | python3 -c '
import json, sys
k = [s for s in json.load(sys.stdin)["sessions"] if s["kind"] == "cascade"]
assert len(k) == 1, k
k = k[0]
want = {"name": "to-one", "hub": "DEFAULT", "state": "up", "user": "link",
        "remote": "10.'$N'.3.1:7777", "remote_hub": "DEFAULT",
        "transport": "direct", "out_dropped": 0, "last_error": None}
bad = {x: k[x] for x in want if k[x] != want[x]}
assert not bad and k["session"] > 0 and k["in_frames"] > 0 and k["out_bytes"] > 4000000, (bad, k)
print(k["id"])') || fail "the console's cascade entry is wrong"
admin2 -e "session list" | grep -Eq "^$KID +DEFAULT +link +cascade to-one +direct .* up " ||
  fail "session list: $(admin2 -e "session list")"
admin2 -e "session show $KID" | grep -q "remote     10\.$N\.3\.1:7777, hub DEFAULT, as link, via direct" ||
  fail "session show: $(admin2 -e "session show $KID")"
admin2 -e "status" | grep -q '^cascades 1 (1 up)$' || fail "status: $(admin2 -e status)"
out=$(admin2 -e "session kick $KID" 2>&1) && fail "a cascade was kicked: $out"
grep -q "is a cascade: it stays until it leaves cascades:" <<<"$out" || fail "kick: $out"
ok "console: the cascade listed, shown, counted in status, not kickable"

# The link cut for 4 s under a 5/s ping: the cascade resumes its session and
# the frames queued meanwhile all arrive.
mark hub2 'cascade to-one resumed session'
ip netns exec "$A" ping -c 40 -i 0.2 -W 20 192.168.$N.2 >"$WORK/ping.log" 2>&1 &
P=$!
sleep 1
cut_link "$H2" wan
sleep 4
mend_link "$H2"
wait $P || true
wait_more hub2 'cascade to-one resumed session' 10
grep -q '^40 packets transmitted, 40 received' "$WORK/ping.log" ||
  fail "pings across the cut: $(grep transmitted "$WORK/ping.log")"
ok "a 4 s cut of the link: the cascade resumed, 40 of 40 pings answered"

# A reload without the cascade ends it: hub 1 hears goodbye, B is alone.
cp "$WORK/hub2.base" "$WORK/hub2.yaml"
mark hub1 'session [0-9]+ down: user=link .*reason=peer said goodbye'
kill -HUP "$PID_hub2"
wait_log hub2 'cascade to-one left hub DEFAULT \(removed\)' 10
wait_more hub1 'session [0-9]+ down: user=link .*reason=peer said goodbye' 10
ip netns exec "$B" ping -c 2 -W 1 192.168.$N.1 >/dev/null 2>&1 &&
  fail "B still reaches A with the cascade removed"
ip netns exec "$B" ping -c 1 -W 2 192.168.$N.2 >/dev/null || fail "card B lost its own stack"
ok "a reload without the cascade ended it with a goodbye; B no longer reaches A"

# ... and one with it brings it back.
cascade_config "$WORK/link.pw"
mark hub2 'cascade to-one up: connected'
kill -HUP "$PID_hub2"
wait_more hub2 'cascade to-one up: connected' 15
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
  ip netns exec "$B" ping -c 1 -W 1 192.168.$N.1 >/dev/null && { ok=1; break; }
done
[ $ok = 1 ] || fail "B does not reach A after the cascade came back"
ok "a reload with the cascade again: B reaches A"

# A reload that only changes the cascade's policy keeps its session.
sess_before=$(grep -c 'cascade to-one up: connected' "$WORK/hub2.log")
printf '    policy:\n      deny_broadcast: false\n' >>"$WORK/hub2.yaml"
mark hub2 'reload'
kill -HUP "$PID_hub2"
wait_more hub2 'reload' 10
sleep 1
grep -q 'cascade to-one left hub' <(tail -n 5 "$WORK/hub2.log") &&
  fail "a policy change restarted the cascade"
[ "$(grep -c 'cascade to-one up: connected' "$WORK/hub2.log")" = "$sess_before" ] ||
  fail "a policy change made the cascade log in again"
ip netns exec "$B" ping -c 2 -W 2 192.168.$N.1 >/dev/null || fail "B lost A after a policy-only reload"
ok "a reload changing only the cascade's policy kept its session"

# A wrong password: the cascade stops trying and says why; hub 2 serves on.
cascade_config "$WORK/wrong.pw"
kill -HUP "$PID_hub2"
wait_log hub2 'cascade to-one: stopped trying' 15
kill -0 "$PID_hub2" || fail "hub 2 ended on a refused cascade"
mark hub2 'status cascade=to-one'
kill -USR1 "$PID_hub2"
wait_more hub2 'status cascade=to-one' 5
grep 'status cascade=to-one' "$WORK/hub2.log" | tail -n 1 | grep -q 'state=stopped' ||
  fail "status of the refused cascade: $(grep 'status cascade' "$WORK/hub2.log" | tail -n 1)"
ip netns exec "$B" ping -c 1 -W 2 192.168.$N.2 >/dev/null || fail "card B lost its hub"
ok "a refused password stopped the cascade, not hub 2"

# Mended by a reload, then SIGTERM with the cascade up: hub 2 ends cleanly.
cascade_config "$WORK/link.pw"
mark hub2 'cascade to-one up: connected'
kill -HUP "$PID_hub2"
wait_more hub2 'cascade to-one up: connected' 15
mark hub1 'session [0-9]+ down: user=link .*reason=peer said goodbye'
kill -TERM "$PID_hub2"
wait_exit "$PID_hub2" 15
[ "$ST" = 0 ] || fail "hub 2 exited with $ST on SIGTERM"
grep -q 'cascade to-one left hub DEFAULT (hub shutting down)' "$WORK/hub2.log" ||
  fail "hub 2 did not end its cascade on SIGTERM"
wait_more hub1 'session [0-9]+ down: user=link .*reason=peer said goodbye' 5
ok "hub 2 stopped cleanly on SIGTERM, its cascade saying goodbye to hub 1"
