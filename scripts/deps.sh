#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever the build and tests need and
# this machine lacks. Idempotent and quiet when everything is present.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libevent-dev libmbedtls-dev
      libsodium-dev libssl-dev libyaml-dev libcmocka-dev libedit-dev iproute2
      iputils-ping iputils-arping iperf3 procps psmisc netcat-openbsd python3
      tinyproxy dante-server openssh-server openssh-client dnsmasq-base
      busybox nftables bc systemd mandoc man-db dpkg-dev lintian tcpdump
      openssl)
# The fast AES-256-GCM (dchan.c) where Debian has it; OpenSSL elsewhere.
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && pkgs+=(libipsec-mb-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}; run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own proxy and ssh servers; the packages' system
# services must not start (and listen) just because they were installed.
added_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  added_policy=1
fi
trap 'if [ $added_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
