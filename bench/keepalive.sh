#!/usr/bin/env bash
# Keepalive cost of an idle session: bytes per minute on the underlay wire
# (both directions, Ethernet frames on the card's veth, TCP acks included),
# measured over SECS seconds with nothing else on the link.
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
SECS=${SECS:-60}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"
star 83
printf 'pw\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
sleep 0.5
# No IPv6 on the card, so the kernel itself stays quiet on the virtual LAN.
ip netns exec "$A" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
start nicA "$A" "$SOFTETHER" --nic --connect 10.83.1.1:7777 --user u --password-file "$WORK/pw" \
  --known-hubs "$WORK/kh"
wait_log nicA 'vpn0 up'
sleep 3
bytes() { ip -n "$A" -s -j link show va | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["rx"]["bytes"]+s["tx"]["bytes"], s["rx"]["packets"]+s["tx"]["packets"])'; }
read -r b0 p0 < <(bytes)
sleep "$SECS"
read -r b1 p1 < <(bytes)
python3 -c "b=$b1-$b0; p=$p1-$p0; m=$SECS/60
print(f'idle session: {b/m:.0f} bytes/min on the wire ({p/m:.1f} frames/min, both directions, TCP acks included)')"
