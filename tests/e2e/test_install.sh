#!/usr/bin/env bash
# make install's layout, the systemd units it installs, and what they rely
# on: the hub telling systemd READY=1 (and RELOADING=1, STOPPING=1) over
# $NOTIFY_SOCKET, and --pidfile for both roles.
#
# Checks: an install into a DESTDIR lays out the binary, the docs, both
# units and /etc/softether/config.yaml (which passes --check-config, and a
# second install keeps an edited one); systemd-analyze verify accepts both
# units; a hub in a namespace, with NOTIFY_SOCKET set, sends READY=1 with its
# pid once listening, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on
# SIGTERM; --pidfile holds the hub's and a card's pid while they run and is
# gone or empty once they stop; make uninstall removes what it installed and
# keeps /etc/softether.
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SOFTETHER_BUILD:-$(dirname "$SOFTETHER")}   # the build tree it came from
[ -f "$BUILD/cmake_install.cmake" ] ||
  fail "no build tree at $BUILD (run from ctest, or set SOFTETHER_BUILD)"
DEST=$WORK/dest

DESTDIR=$DEST PREFIX=/usr bash "$SRC/scripts/install.sh" install "$BUILD" >"$WORK/install.log"
for f in usr/sbin/softether usr/share/doc/softether/README.md \
    usr/share/doc/softether/config.yaml.example usr/share/doc/softether/client.yaml.example \
    usr/lib/systemd/system/softether-hub.service usr/lib/systemd/system/softether-nic@.service \
    usr/share/man/man8/softether.8 usr/share/man/man5/softether.yaml.5 \
    etc/softether/config.yaml; do
  [ -e "$DEST/$f" ] || fail "make install left out /$f: $(cat "$WORK/install.log")"
done
[ -d "$DEST/etc/softether/nic" ] || fail "no /etc/softether/nic"
grep -q '^ExecStart=/usr/sbin/softether --hub -c /etc/softether/config.yaml$' \
  "$DEST/usr/lib/systemd/system/softether-hub.service" || fail "hub unit's ExecStart"
"$DEST/usr/sbin/softether" --check-config -c "$DEST/etc/softether/config.yaml" >/dev/null ||
  fail "the installed config.yaml does not pass --check-config"
echo "# edited" >>"$DEST/etc/softether/config.yaml"
DESTDIR=$DEST PREFIX=/usr bash "$SRC/scripts/install.sh" install "$BUILD" >"$WORK/install2.log"
grep -q '^# edited$' "$DEST/etc/softether/config.yaml" || fail "a second install replaced config.yaml"
ok "make install: binary, docs, man pages, units, /etc/softether/config.yaml (kept on reinstall)"

# The units as installed, pointed at the binary where the DESTDIR put it.
mkdir "$WORK/units"
for u in softether-hub.service softether-nic@.service; do
  sed "s|/usr/sbin/softether|$DEST/usr/sbin/softether|" \
    "$DEST/usr/lib/systemd/system/$u" >"$WORK/units/${u/@/@office}"
done
# Their Documentation= names the installed man pages: man finds them there.
(cd "$WORK/units" && MANPATH="$DEST/usr/share/man" \
  systemd-analyze verify softether-hub.service softether-nic@office.service) \
  >"$WORK/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$WORK/verify.log")"
ok "systemd-analyze verify accepts softether-hub.service and softether-nic@.service"

# The notify protocol, heard by a socket of our own as systemd would.
mkns "${PFX}h"
H=${PFX}h
python3 - "$WORK/notify.sock" >"$WORK/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
while True:
    try:
        d = s.recv(4096)
    except socket.timeout:
        break
    print(d.decode(errors="replace").replace("\n", " | "), flush=True)
PY
NPID=$!
PIDS+=($NPID)
for ((i = 0; i < 50; i++)); do [ -S "$WORK/notify.sock" ] && break; sleep 0.1; done
chmod 777 "$WORK/notify.sock"   # the hub sends it as nobody, once it dropped root
printf 'pw\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
start hub "$H" env NOTIFY_SOCKET="$WORK/notify.sock" "$DEST/usr/sbin/softether" --hub \
  -c "$WORK/hub.yaml" --pidfile "$WORK/hub.pid"
wait_log hub 'listening on 0.0.0.0:7777'
wait_log notify "^READY=1 \| MAINPID=$PID_hub \| STATUS=running, 1 virtual hub"
[ "$(cat "$WORK/hub.pid")" = "$PID_hub" ] || fail "hub.pid says '$(cat "$WORK/hub.pid")', not $PID_hub"
kill -HUP "$PID_hub"
wait_log notify '^RELOADING=1'
wait_log notify "^READY=1.*" 5
[ "$(grep -c '^READY=1' "$WORK/notify.log")" -ge 2 ] || wait_more notify '^READY=1' 5
kill -TERM "$PID_hub"
wait_log notify '^STOPPING=1'
wait_exit "$PID_hub" 10
[ "$ST" = 0 ] || fail "hub exit status $ST"
[ ! -s "$WORK/hub.pid" ] || fail "hub.pid still holds $(cat "$WORK/hub.pid") after the hub stopped"
ok "the hub tells systemd READY=1 (with its pid), RELOADING=1, STOPPING=1; --pidfile follows it"

# A card's --pidfile (it has no hub to reach: it keeps trying, which is enough).
start card "$H" "$DEST/usr/sbin/softether" --nic --connect 127.0.0.1:9 --user u \
  --password-file "$WORK/pw" --fingerprint "$(printf 'a%.0s' {1..64})" --pidfile "$WORK/card.pid"
wait_log card 'vpn0 created'
[ "$(cat "$WORK/card.pid")" = "$PID_card" ] || fail "card.pid says '$(cat "$WORK/card.pid")', not $PID_card"
kill -TERM "$PID_card"
wait_exit "$PID_card" 10
[ ! -e "$WORK/card.pid" ] || fail "card.pid left behind"
out=$("$SOFTETHER" --hash-password --pidfile "$WORK/x.pid" </dev/null 2>&1) && fail "--pidfile taken by --hash-password"
grep -q -- '--pidfile goes with --hub or --nic' <<<"$out" || fail "--pidfile misuse: $out"
ok "a card's --pidfile holds its pid and goes when it stops; elsewhere --pidfile is refused"

DESTDIR=$DEST PREFIX=/usr bash "$SRC/scripts/install.sh" uninstall "$BUILD" >"$WORK/uninstall.log"
for f in usr/sbin/softether usr/lib/systemd/system/softether-hub.service \
    usr/share/doc/softether/README.md \
    usr/lib/systemd/system/softether-nic@.service; do
  [ ! -e "$DEST/$f" ] || fail "make uninstall left /$f"
done
# Every line of the manifest, the last one too (it has no newline).
while IFS= read -r f || [ -n "$f" ]; do
  [ ! -e "$DEST$f" ] || fail "make uninstall left $f (in the manifest)"
done <"$BUILD/install_manifest.txt"
[ -e "$DEST/etc/softether/config.yaml" ] || fail "make uninstall removed /etc/softether/config.yaml"
ok "make uninstall removes what was installed, keeps /etc/softether"
