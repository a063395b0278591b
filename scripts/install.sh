#!/usr/bin/env bash
# scripts/install.sh: what make install, make uninstall and make run need
# beyond CMake's own install rules.
#
#   install.sh install BUILD     cmake --install into $DESTDIR$PREFIX, then
#                                /etc/softether/config.yaml (only if absent),
#                                and, on this system itself (no DESTDIR, as
#                                root), the softether user and a
#                                systemctl daemon-reload
#   install.sh uninstall BUILD   removes what install put there; keeps
#                                /etc/softether, /var/lib/softether (the
#                                hub's key and state) and the user
#   install.sh user              the softether system user, if missing
set -euo pipefail
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}

user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id softether >/dev/null 2>&1 && return 0
  useradd --system --home-dir /var/lib/softether --no-create-home \
    --shell /usr/sbin/nologin --comment "softether hub" softether
  echo "created system user softether (the hub runs as it)"
}

reload_systemd() {
  [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ] && [ -d /run/systemd/system ] &&
    systemctl daemon-reload || true
}

case "${1:-}" in
install)
  build=${2:?build directory}
  DESTDIR="$DESTDIR" cmake --install "$build" --prefix "$PREFIX"
  etc="$DESTDIR/etc/softether"
  install -d -m 0755 "$etc" "$etc/nic"
  if [ ! -e "$etc/config.yaml" ]; then
    install -m 0644 "$(dirname "$0")/../dist/config.yaml" "$etc/config.yaml"
    echo "-- Installing: $etc/config.yaml"
  else
    echo "-- Kept: $etc/config.yaml"
  fi
  if [ -z "$DESTDIR" ]; then user; fi
  reload_systemd
  echo "installed under $DESTDIR$PREFIX; start the hub with:"
  echo "  systemctl enable --now softether-hub"
  ;;
uninstall)
  build=${2:?build directory}
  [ -f "$build/install_manifest.txt" ] ||
    { echo "nothing installed from $build (no install_manifest.txt)"; exit 1; }
  # The manifest names each file where it runs, without the DESTDIR.
  while IFS= read -r f || [ -n "$f" ]; do
    [ -e "$DESTDIR$f" ] || continue
    rm -f -- "$DESTDIR$f" && echo "-- Removed: $DESTDIR$f"
  done <"$build/install_manifest.txt"
  reload_systemd
  echo "kept /etc/softether, /var/lib/softether and the softether user"
  ;;
user) user ;;
*) sed -n '2,15p' "$0"; exit 2 ;;
esac
