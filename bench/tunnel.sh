#!/usr/bin/env bash
# Tunnel throughput, CPU cost and latency against the raw veth link, measured
# in the same run (these machines are shared: only ratios mean anything).
#
#   ns A (card) -- veth -- ns H (hub, no forwarding) -- veth -- ns B (card)
#
# Prints, per run and as the median of RUNS runs:
#   raw      iperf3 A -> H over the veth (Gbit/s)
#   tunnel   iperf3 A -> B over the virtual LAN through the hub (Gbit/s)
#   ratio    tunnel / raw
#   cpu      CPU seconds of all softether processes per GB carried
#   rtt      ping RTT over the tunnel minus over the raw veth (ms)
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
RUNS=${RUNS:-3}
SECS=${SECS:-8}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

star 77
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
sleep 0.5
FP=$(sed -n 's/.*fingerprint SHA256 \([0-9a-f]*\).*/\1/p' "$WORK/hub.log")
start nicA "$A" "$SOFTETHER" --nic --connect 10.77.1.1:7777 --user bench --password-file "$WORK/pw" \
  --known-hubs "$WORK/kh" --ip 192.168.77.1/24
start nicB "$B" "$SOFTETHER" --nic --connect 10.77.2.1:7777 --user bench --password-file "$WORK/pw" \
  --known-hubs "$WORK/kh" --ip 192.168.77.2/24
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'
ip netns exec "$A" ping -c 3 -W 2 192.168.77.2 >/dev/null

cpu_ticks() { ticks "$PID_hub" "$PID_nicA" "$PID_nicB"; }

rtt() { ip netns exec "$1" ping -c 20 -i 0.05 -q "$2" | sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p'; }

results=()
for ((r = 1; r <= RUNS; r++)); do
  read -r raw _ < <(iperf_bps "$A" "$H" 10.77.1.1)
  c0=$(cpu_ticks)
  read -r tun bytes < <(iperf_bps "$A" "$B" 192.168.77.2)
  c1=$(cpu_ticks)
  rraw=$(rtt "$A" 10.77.1.1); rtun=$(rtt "$A" 192.168.77.2)
  line=$(python3 -c "
raw,tun,b,t,hz,rr,rt=$raw,$tun,$bytes,$((c1 - c0)),$HZ,$rraw,$rtun
cpu=(t/hz)/(b/1e9) if b else 0
print(f'{raw/1e9:.2f} {tun/1e9:.3f} {tun/raw:.3f} {cpu:.2f} {(rt-rr):.3f}')")
  echo "run $r: raw ${line%% *} Gbit/s; tunnel/ratio/cpu-s-per-GB/added-rtt-ms: ${line#* }"
  results+=("$line")
done
read -r n m0 m1 m2 m3 m4 < <(printf '%s\n' "${results[@]}" | medians)
printf 'median of %d: raw %.2f Gbit/s, tunnel %.3f Gbit/s, ratio %.3f, cpu %.2f s/GB (hub + both cards), added rtt %.3f ms\n' \
  "$n" "$m0" "$m1" "$m2" "$m3" "$m4"
