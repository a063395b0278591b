#!/usr/bin/env bash
# make bench: every benchmark, figures only (never pass/fail).
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
echo "== data channel (bench_dchan)"; "$BUILD/bench_dchan"
echo "== hub engine (bench_switch)"; "$BUILD/bench_switch"
echo "== tunnel vs raw veth (bench/tunnel.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/tunnel.sh
echo "== LAN to LAN through bridge cards vs a routed path (bench/bridge.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/bridge.sh
echo "== keepalive cost of an idle session (bench/keepalive.sh)"
SOFTETHER="$PWD/$BUILD/softether" bash bench/keepalive.sh
echo "== transports (bench/transports.sh)"; SOFTETHER="$PWD/$BUILD/softether" bash bench/transports.sh
