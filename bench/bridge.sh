#!/usr/bin/env bash
# LAN to LAN through two bridge cards and the hub, against the same two
# hosts over a plain routed path, measured in the same run.
#
#   a1 -- LAN A (br0) -- gwA: softether --bridge lan --+
#    \                                                  ns H (hub)
#     +-- ns R (routes, forwards) --+                   |
#   b1 -- LAN B (br0) -- gwB: softether --bridge lan --+
#    \______________________________/
#
# Offloads are left as veths come (TSO, checksum offload on), as in the test.
# Prints, per run and as the median of RUNS runs:
#   routed   iperf3 a1 -> b1 through ns R (Gbit/s)
#   bridged  iperf3 a1 -> b1 across the bridged LANs (Gbit/s)
#   ratio    bridged / routed
#   cpu      CPU seconds per GB of the two bridge cards, and of them + hub
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
RUNS=${RUNS:-3}
SECS=${SECS:-8}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

H=${PFX}h R=${PFX}r
for ns in "$H" "$R" ${PFX}la ${PFX}lb ${PFX}ga ${PFX}gb ${PFX}a1 ${PFX}b1; do mkns "$ns"; done
for l in la lb; do
  ip -n ${PFX}$l link add br0 type bridge
  ip -n ${PFX}$l link set br0 up
done
ip link add eth0 netns ${PFX}a1 type veth peer name pa1 netns ${PFX}la
ip link add eth0 netns ${PFX}b1 type veth peer name pb1 netns ${PFX}lb
ip link add lan netns ${PFX}ga type veth peer name pgw netns ${PFX}la
ip link add lan netns ${PFX}gb type veth peer name pgw netns ${PFX}lb
for p in "la pa1" "la pgw" "lb pb1" "lb pgw"; do
  set -- $p; ip -n ${PFX}$1 link set "$2" master br0 up
done
ip -n ${PFX}a1 addr add 192.168.50.11/24 dev eth0; ip -n ${PFX}a1 link set eth0 up
ip -n ${PFX}b1 addr add 192.168.50.21/24 dev eth0; ip -n ${PFX}b1 link set eth0 up
link ${PFX}ga wan 10.79.1.2/24 "$H" ha 10.79.1.1/24
link ${PFX}gb wan 10.79.2.2/24 "$H" hb 10.79.2.1/24
# The routed path between the same two hosts.
link ${PFX}a1 r0 10.79.5.2/24 "$R" ra 10.79.5.1/24
link ${PFX}b1 r0 10.79.6.2/24 "$R" rb 10.79.6.1/24
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip -n ${PFX}a1 route add 10.79.6.0/24 via 10.79.5.1
ip -n ${PFX}b1 route add 10.79.5.0/24 via 10.79.6.1

printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:site:"$WORK/pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
wait_listen "$H" 0.0.0.0 7777
FP=$(sed -n 's/.*fingerprint SHA256 \([0-9a-f]*\).*/\1/p' "$WORK/hub.log")

for g in a b; do
  start gw$g ${PFX}g$g "$SOFTETHER" --bridge lan --connect 10.79.$([ $g = a ] && echo 1 || echo 2).1:7777 \
    --user site --password-file "$WORK/pw" --known-hubs "$WORK/kh$g"
done
wait_log gwa 'lan up'; wait_log gwb 'lan up'
ip netns exec ${PFX}a1 ping -c 3 -W 2 192.168.50.21 >/dev/null
ip netns exec ${PFX}a1 ping -c 3 -W 2 10.79.6.2 >/dev/null

results=()
for ((r = 1; r <= RUNS; r++)); do
  read -r routed _ < <(iperf_bps ${PFX}a1 ${PFX}b1 10.79.6.2)
  g0=$(ticks "$PID_gwa" "$PID_gwb"); h0=$(ticks "$PID_hub")
  read -r br bytes < <(iperf_bps ${PFX}a1 ${PFX}b1 192.168.50.21)
  g1=$(ticks "$PID_gwa" "$PID_gwb"); h1=$(ticks "$PID_hub")
  line=$(python3 -c "
ro,br,b,g,h,hz=$routed,$br,$bytes,$((g1 - g0)),$((h1 - h0)),$HZ
gb=b/1e9 if b else 1
print(f'{ro/1e9:.2f} {br/1e9:.3f} {br/ro:.3f} {(g/hz)/gb:.2f} {((g+h)/hz)/gb:.2f}')")
  echo "run $r: routed ${line%% *} Gbit/s; bridged/ratio/cpu-s-per-GB(bridges, +hub): ${line#* }"
  results+=("$line")
done
read -r n m0 m1 m2 m3 m4 < <(printf '%s\n' "${results[@]}" | medians)
printf 'median of %d: routed %.2f Gbit/s, bridged LAN to LAN %.3f Gbit/s, ratio %.3f, cpu %.2f s/GB (both bridge cards), %.2f s/GB (with the hub)\n' \
  "$n" "$m0" "$m1" "$m2" "$m3" "$m4"
