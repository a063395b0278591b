#!/usr/bin/env bash
# make bench: every benchmark, figures only (never pass/fail).
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
echo "== AEAD code at record sizes, each library checked against the others (bench_aead)"
"$BUILD/bench_aead" 0.2
echo "== data channel (bench_dchan)"; "$BUILD/bench_dchan"
echo "== hub engine (bench_switch)"; "$BUILD/bench_switch"
echo "== tunnel vs raw veth (bench/tunnel.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/tunnel.sh
echo "== tunnel vs OpenVPN 2.6, TAP over TCP, AES-256-GCM (bench/compare.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/compare.sh
echo "== the tunnel's own work: user-space instructions per packet (bench/instructions.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/instructions.sh
echo "== LAN to LAN through bridge cards vs a routed path (bench/bridge.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/bridge.sh
echo "== hub memory per idle session (bench/idle_memory.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/idle_memory.sh
echo "== hub memory, 200 cut sessions under broadcast (bench/cut_memory.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/cut_memory.sh
echo "== logins per second, quiet and under a connection flood (bench/login_flood.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/login_flood.sh
echo "== keepalive cost of an idle session (bench/keepalive.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/keepalive.sh
echo "== sessions a hub holds: 1000 from one process, their cost, a cut of all, a restart, a transfer beside them (bench/sessions.sh)"
SOFTETHER="$PWD/$BUILD/softether" RESTART=20 HOLD=60 CUT=10 TRANSFER=10 bash bench/sessions.sh
echo "== start to first ping: DHCP vs --ip (bench/dhcp_ping.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/dhcp_ping.sh
echo "== transports (bench/transports.sh)"; SOFTETHER="$PWD/$BUILD/softether" bash bench/transports.sh
