#!/usr/bin/env bash
# make deb's package, checked by lintian, then installed, reinstalled,
# removed and purged on this machine with dpkg:
#
#   build tree --scripts/deb.sh--> softether_V_ARCH.deb --lintian--> no error,
#                                        |                   no warning without
#                                     dpkg -i                a commented override
#                                        v
#   /usr/sbin/softether  /lib/systemd/system/softether-{hub,nic@}.service
#   /usr/share/man/man{5,8}  /usr/share/doc/softether  /etc/softether/config.yaml
#   user+group softether  /var/lib/softether (softether:softether 0750)
#   nothing enabled, nothing started
#                                        |  dpkg -i again: edits and state kept
#                                     dpkg -r: the conffile and state stay
#                                     dpkg --purge: all gone but the user
#
# What a make install left here is not disturbed: /usr/local is never
# touched, and /etc/softether, /var/lib/softether and /var/lib/softether-nic,
# which the package would own or purge, are moved aside (to NAME.deb-test-PID)
# for the test and put back after it, whatever happens. A file of the package
# already present (a make install with PREFIX=/usr), or an installed softether
# package, fails the test before it changes anything. No hub or card is run.
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SOFTETHER_BUILD:-$(dirname "$SOFTETHER")}   # the build tree it came from
[ -f "$BUILD/cmake_install.cmake" ] ||
  fail "no build tree at $BUILD (run from ctest, or set SOFTETHER_BUILD)"
for t in dpkg-deb dpkg-shlibdeps dpkg-gencontrol lintian; do
  command -v "$t" >/dev/null ||
    fail "$t is not installed (scripts/deps.sh installs it: apt-get install dpkg-dev lintian)"
done
# The whole test, dpkg's triggers included, within 100 s; then the clean-up.
DEADLINE=$((SECONDS + 100))
bounded() {
  local left=$((DEADLINE - SECONDS))
  [ "$left" -gt 0 ] || fail "over time before: $*"
  timeout "$left" "$@"
}
export DEBIAN_FRONTEND=noninteractive

status=$(dpkg-query -W -f='${Status} ${Version}' softether 2>/dev/null || true)
case "$status" in
"" | *not-installed*) ;;
*) fail "a softether package is already on this machine ($status); this test installs and purges its own: remove that one first (dpkg --purge softether)" ;;
esac

# State the package would own, set aside and put back by the clean-up.
ASIDE=(/etc/softether /var/lib/softether /var/lib/softether-nic)
MOVED=()
HAD_USER=0 HAD_GROUP=0 TRIED=0
getent passwd softether >/dev/null && HAD_USER=1
getent group softether >/dev/null && HAD_GROUP=1
deb_cleanup() {
  local rc=$? p
  set +e
  case $TRIED:$(dpkg-query -W -f='${Status}' softether 2>/dev/null) in
  0:* | 1: | 1:*not-installed) ;;
  *) timeout 20 dpkg --purge softether </dev/null >>"$WORK/cleanup.log" 2>&1 ;;
  esac
  # The user this test made goes (--force: a hub another test started
  # meanwhile may have become it; it keeps running under the bare uid).
  [ $HAD_USER = 1 ] || ! getent passwd softether >/dev/null ||
    userdel --force softether >>"$WORK/cleanup.log" 2>&1
  [ $HAD_GROUP = 1 ] || ! getent group softether >/dev/null ||
    groupdel softether >>"$WORK/cleanup.log" 2>&1
  for p in "${MOVED[@]}"; do
    rm -rf "$p" && mv "$p.deb-test-$$" "$p"
  done
  (exit $rc)
  cleanup
}
trap deb_cleanup EXIT
trap 'fail "interrupted"' INT TERM

# links: every systemd symlink naming a softether unit (enabled = a link).
links() { find /etc/systemd/system -name 'softether*' 2>/dev/null | sort; }
# running: pids whose executable is the package's binary.
running() {
  find /proc/[0-9]*/exe -maxdepth 0 -lname /usr/sbin/softether 2>/dev/null |
    cut -d/ -f3 || true
}
# active: softether units systemd runs, when it runs.
active() {
  [ -d /run/systemd/system ] || return 0
  systemctl list-units --no-legend --plain --state=active 'softether*' 2>/dev/null |
    awk '{ print $1 }' | sort
}
LINKS_BEFORE=$(links) ACTIVE_BEFORE=$(active)

# The package, from the tree SOFTETHER was built in.
bounded bash "$SRC/scripts/deb.sh" "$BUILD" "$WORK" >"$WORK/deb.log" 2>&1 ||
  fail "scripts/deb.sh: $(tail -n 5 "$WORK/deb.log")"
DEB=$(tail -n 1 "$WORK/deb.log")
[ -f "$DEB" ] || fail "scripts/deb.sh printed '$DEB', not a package"
VERSION=$(dpkg-deb -f "$DEB" Version)
dpkg-deb -c "$DEB" >"$WORK/contents.log"
ok "make deb: $(basename "$DEB"), Depends: $(dpkg-deb -f "$DEB" Depends)"

# lintian: exit 2 on any error or warning not overridden; each override in
# the package has a comment above it saying why.
chmod 644 "$DEB"
# As nobody, as lintian asks, with its scratch files (it leaves some) in
# $WORK. Not --show-overrides: lintian 2.116 then fails on overridden tags.
mkdir "$WORK/lintian" && chown nobody "$WORK/lintian"
bounded runuser -u nobody -- env HOME="$WORK/lintian" TMPDIR="$WORK/lintian" \
  lintian --fail-on error,warning --display-info "$DEB" >"$WORK/lintian.log" 2>&1 ||
  fail "lintian: $(grep -E '^[EW]:' "$WORK/lintian.log" || cat "$WORK/lintian.log")"
! grep -E '^[EW]:' "$WORK/lintian.log" || fail "lintian warns (above)"
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/lintian/overrides/softether \
  >"$WORK/overrides.tags"
awk '/^#/ { c = 1; next } /^[[:space:]]*$/ { c = 0; next }
       !c { print "no comment above: " $0; bad = 1 } END { exit bad }' \
  "$WORK/overrides.tags" >"$WORK/overrides.log" || fail "lintian overrides: $(cat "$WORK/overrides.log")"
ok "lintian: no error, no warning but commented overrides ($(grep -c '^softether:' "$WORK/overrides.tags" || true) of them)"

# Nothing of the package may be here already (but the directories it shares).
present=$(awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' "$WORK/contents.log" |
  while read -r f; do [ -e "$f" ] && [[ $f != /etc/softether/* ]] && echo "$f"; done || true)
[ -z "$present" ] ||
  fail "files of the package are already here, from no package (a make install with PREFIX=/usr?): $present"
for p in "${ASIDE[@]}"; do
  [ -e "$p.deb-test-$$" ] && fail "$p.deb-test-$$ is in the way"
  if [ -e "$p" ]; then mv "$p" "$p.deb-test-$$"; MOVED+=("$p"); fi
done

TRIED=1
bounded dpkg -i "$DEB" </dev/null >"$WORK/dpkg-install.log" 2>&1 ||
  fail "dpkg -i: $(tail -n 5 "$WORK/dpkg-install.log")"
[ "$(dpkg-query -W -f='${Status} ${Version}' softether)" = "install ok installed $VERSION" ] ||
  fail "dpkg says: $(dpkg-query -W -f='${Status} ${Version}' softether)"
want=$("$SOFTETHER" --version)
[ "$(/usr/sbin/softether --version)" = "$want" ] ||
  fail "/usr/sbin/softether --version says '$(/usr/sbin/softether --version)', not '$want'"
ok "dpkg -i: installed $VERSION; /usr/sbin/softether --version says '$want'"

IFS=: read -r _ _ uid gid _ home shell < <(getent passwd softether) ||
  fail "no softether user after dpkg -i"
[ "$(getent group softether | cut -d: -f3)" = "$gid" ] ||
  fail "the softether user's group is $gid, not the softether group"
[ "$home" = /var/lib/softether ] && [ "$shell" = /usr/sbin/nologin ] ||
  fail "softether user: home $home, shell $shell"
sys_max=$(awk '$1 == "SYS_UID_MAX" { print $2 }' /etc/login.defs)
[ "$uid" -le "${sys_max:-999}" ] || fail "softether's uid $uid is no system uid"
[ "$(stat -c '%U:%G %a' /var/lib/softether)" = "softether:softether 750" ] ||
  fail "/var/lib/softether is $(stat -c '%U:%G %a' /var/lib/softether)"
ok "postinst: system user and group softether (uid $uid), /var/lib/softether softether:softether 0750"

for u in softether-hub.service softether-nic@.service; do
  [ -f "/lib/systemd/system/$u" ] || fail "no /lib/systemd/system/$u"
  grep -q '^ExecStart=/usr/sbin/softether ' "/lib/systemd/system/$u" ||
    fail "$u: ExecStart is not /usr/sbin/softether"
  ! grep -Eq '@[A-Z]+@' "/lib/systemd/system/$u" || fail "$u: a placeholder is left"
done
# As test_install.sh does: the template verified as an instance of it.
mkdir "$WORK/units"
cp /lib/systemd/system/softether-hub.service "$WORK/units/"
cp /lib/systemd/system/softether-nic@.service "$WORK/units/softether-nic@office.service"
(cd "$WORK/units" &&
  bounded systemd-analyze verify softether-hub.service softether-nic@office.service) \
  >"$WORK/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$WORK/verify.log")"
ok "units in /lib/systemd/system run /usr/sbin/softether; systemd-analyze verify accepts them"

[ "$(links)" = "$LINKS_BEFORE" ] || fail "units were enabled: $(comm -13 <(echo "$LINKS_BEFORE") <(links))"
[ "$(active)" = "$ACTIVE_BEFORE" ] || fail "units were started: $(comm -13 <(echo "$ACTIVE_BEFORE") <(active))"
if [ -d /run/systemd/system ] && [ -z "$LINKS_BEFORE" ]; then
  st=$(systemctl is-enabled softether-hub.service 2>&1 || true)
  [ "$st" = disabled ] || fail "softether-hub.service is $st after dpkg -i"
fi
[ -z "$(running)" ] || fail "/usr/sbin/softether runs (pid $(running | tr '\n' ' '))"
ok "nothing enabled, nothing started"

dpkg -L softether >"$WORK/list.log" || fail "dpkg -L softether failed"
for f in /usr/share/man/man8/softether.8.gz /usr/share/man/man5/softether.yaml.5.gz \
    /usr/share/doc/softether/copyright /usr/share/doc/softether/changelog.Debian.gz \
    /usr/share/doc/softether/README.md /usr/share/doc/softether/config.yaml.example; do
  grep -qx "$f" "$WORK/list.log" || fail "dpkg -L does not list $f"
  [ -f "$f" ] || fail "$f is listed, not installed"
done
dpkg-query -W -f='${Conffiles}\n' softether | grep -q '^ /etc/softether/config.yaml ' ||
  fail "/etc/softether/config.yaml is no conffile: $(dpkg-query -W -f='${Conffiles}' softether)"
cmp -s "$SRC/dist/config.yaml" /etc/softether/config.yaml || fail "config.yaml is not dist/config.yaml"
/usr/sbin/softether --check-config -c /etc/softether/config.yaml >/dev/null ||
  fail "the installed config.yaml does not pass --check-config"
ok "dpkg -L lists the man pages and docs; /etc/softether/config.yaml is a conffile that passes --check-config"

# Again over itself: the scripts run twice, an edit and the state stay.
echo "# edited" >>/etc/softether/config.yaml
touch /var/lib/softether/kept
bounded dpkg -i "$DEB" </dev/null >"$WORK/dpkg-again.log" 2>&1 ||
  fail "dpkg -i a second time: $(tail -n 5 "$WORK/dpkg-again.log")"
grep -q '^# edited$' /etc/softether/config.yaml || fail "reinstalling replaced an edited config.yaml"
[ -e /var/lib/softether/kept ] || fail "reinstalling emptied /var/lib/softether"
ok "dpkg -i again: maintainer scripts rerun cleanly, the edited conffile and the state kept"

bounded dpkg -r softether </dev/null >"$WORK/dpkg-remove.log" 2>&1 ||
  fail "dpkg -r: $(tail -n 5 "$WORK/dpkg-remove.log")"
[ ! -e /usr/sbin/softether ] || fail "dpkg -r left /usr/sbin/softether"
[ -e /etc/softether/config.yaml ] && [ -e /var/lib/softether/kept ] ||
  fail "dpkg -r removed the conffile or the state"
ok "dpkg -r: the binary goes, /etc/softether/config.yaml and /var/lib/softether stay"

bounded dpkg --purge softether </dev/null >"$WORK/dpkg-purge.log" 2>&1 ||
  fail "dpkg --purge: $(tail -n 5 "$WORK/dpkg-purge.log")"
left=$(awk '{ sub(/^\./, "", $6); print $6 }' "$WORK/contents.log" |
  while read -r f; do [ "$f" != / ] && [ -e "$f" ] && [[ $f != */ ]] && echo "$f"; done || true)
[ -z "$left" ] || fail "dpkg --purge left: $left"
for p in /etc/softether /var/lib/softether /lib/systemd/system/softether-hub.service; do
  [ ! -e "$p" ] || fail "dpkg --purge left $p"
done
dpkg-query -W -f='${Status}' softether 2>/dev/null | grep -q not-installed ||
  [ -z "$(dpkg-query -W -f='${Status}' softether 2>/dev/null)" ] ||
  fail "dpkg still knows softether: $(dpkg-query -W -f='${Status}' softether)"
getent passwd softether >/dev/null || fail "purge removed the softether user (policy: it stays)"
ok "dpkg --purge: files, conffile and /var/lib/softether gone; the user stays (removed here only if the test made it)"
