#!/usr/bin/env bash
# scripts/deb.sh: make deb. A Debian package of a built tree, made with
# dpkg-dev's own tools and nothing else:
#
#   deb.sh BUILD [OUTDIR]   writes OUTDIR/softether_VERSION_ARCH.deb
#                           (OUTDIR defaults to BUILD) and prints its path last
#
# CMake's install rules (prefix /usr) fill a staging root; the units move to
# /lib/systemd/system (Debian 12's place for a package's units), the manual
# pages are compressed, dist/config.yaml becomes the conffile
# /etc/softether/config.yaml, and dist/deb/ gives the control template,
# the maintainer scripts and the copyright file. dpkg-shlibdeps finds the
# library dependencies, dpkg-gencontrol writes the control file from a
# changelog made here, and dpkg-deb --root-owner-group builds the package
# (no fakeroot). The version is what `softether --version` says, then the
# commit (+gitYYYYMMDDhhmmss.HASH) when the tree is a git checkout, then
# the Debian revision -1. DEBFULLNAME and DEBEMAIL, when set, name the
# maintainer instead of dist/deb/control's.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
PKG=$SRC/dist/deb

build=${1:?usage: deb.sh BUILD [OUTDIR]}
out=${2:-$build}
[ -f "$build/cmake_install.cmake" ] && [ -x "$build/softether" ] ||
  { echo "deb: no built tree at $build (make build first)" >&2; exit 1; }
for t in dpkg-deb dpkg-shlibdeps dpkg-gencontrol; do
  command -v "$t" >/dev/null ||
    { echo "deb: $t is missing (scripts/deps.sh installs dpkg-dev)" >&2; exit 1; }
done
build=$(cd "$build" && pwd)
mkdir -p "$out"

# The version: the binary's own, a valid Debian upstream version with the
# commit appended (checked, dropped if it would not be).
upstream=$("$build/softether" --version | awk '{ print $2; exit }')
stamp='' origin='the source tree'
if hash=$(git -C "$SRC" rev-parse --short=7 HEAD 2>/dev/null) &&
    when=$(TZ=UTC0 git -C "$SRC" log -1 --format=%cd \
      --date=format-local:%Y%m%d%H%M%S 2>/dev/null); then
  stamp=+git$when.$hash
  origin="commit $hash"
  # (No optional locks: the index of a tree others work in is left alone.)
  git --no-optional-locks -C "$SRC" diff --quiet HEAD 2>/dev/null ||
    origin="$origin with changes not committed"
fi
version=$upstream$stamp-1
dpkg --validate-version "$version" 2>/dev/null || version=$upstream-1
dpkg --validate-version "$version" ||
  { echo "deb: '$upstream' (softether --version) is no Debian version" >&2; exit 1; }
arch=$(dpkg --print-architecture)
# The changelog's date: SOURCE_DATE_EPOCH, else the commit's, else now.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)}
maint=$(sed -n 's/^Maintainer: //p' "$PKG/control")
if [ -n "${DEBEMAIL:-}" ]; then
  maint="${DEBFULLNAME:-${DEBEMAIL%@*}} <$DEBEMAIL>"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/softether-deb.XXXXXX")
root=$stage/root
manifest=$build/install_manifest.txt
# cmake --install rewrites the build tree's install_manifest.txt, which
# make uninstall reads: keep make install's as it was.
[ -e "$manifest" ] && cp -p "$manifest" "$stage/manifest.saved"
finish() {
  if [ -e "$stage/manifest.saved" ]; then
    cp -p "$stage/manifest.saved" "$manifest"
  else
    rm -f "$manifest"
  fi
  rm -rf "$stage"
}
trap finish EXIT

DESTDIR=$root cmake --install "$build" --prefix /usr >"$stage/install.log" ||
  { cat "$stage/install.log" >&2; exit 1; }
mkdir -p "$root/lib/systemd"
mv "$root/usr/lib/systemd/system" "$root/lib/systemd/system"
rmdir "$root/usr/lib/systemd"
rmdir "$root/usr/lib" 2>/dev/null || true
grep -q '^ExecStart=/usr/sbin/softether ' "$root/lib/systemd/system/softether-hub.service" ||
  { echo "deb: the hub's unit does not run /usr/sbin/softether" >&2; exit 1; }
# As dh_strip does: no symbols, no .comment/.note sections.
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
  "$root/usr/sbin/softether"
gzip -9n "$root"/usr/share/man/man*/*
doc=$root/usr/share/doc/softether
install -m 0644 "$PKG/copyright" "$doc/copyright"
install -D -m 0644 "$PKG/lintian-overrides" "$root/usr/share/lintian/overrides/softether"
install -d -m 0755 "$root/etc/softether/nic"
install -m 0644 "$SRC/dist/config.yaml" "$root/etc/softether/config.yaml"

# The changelog dpkg-gencontrol reads the version from, shipped as well.
mkdir -p "$stage/debian"
{
  echo "softether ($version) unstable; urgency=medium"
  echo
  echo "  * Built by make deb from $origin."
  echo
  echo " -- $maint  $(LC_ALL=C date -u -R -d "@$epoch")"
} >"$stage/debian/changelog"
gzip -9nc "$stage/debian/changelog" >"$doc/changelog.Debian.gz"
cp "$PKG/control" "$stage/debian/control"

install -d -m 0755 "$root/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$PKG/$s" "$root/DEBIAN/$s"; done
echo /etc/softether/config.yaml >"$root/DEBIAN/conffiles"
# dpkg-deb records modes as they are: make them the usual whatever the umask.
chmod 0755 "$root"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f ! -path "$root/DEBIAN/*" -exec chmod 0644 {} +
chmod 0755 "$root/usr/sbin/softether"
# md5sums: every file but the conffiles, whose sums dpkg keeps itself.
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' |
  LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/conffiles"

(cd "$stage" &&
  dpkg-shlibdeps -Tdebian/substvars root/usr/sbin/softether &&
  dpkg-gencontrol -psoftether -Proot -Tdebian/substvars -fdebian/files \
    -DMaintainer="$maint")
deb=$out/softether_${version}_${arch}.deb
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
