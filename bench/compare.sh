#!/usr/bin/env bash
# The tunnel against OpenVPN 2.6 (TAP over TCP, AES-256-GCM, the server
# switching between its clients), both against the raw veth, in the same run.
#
#   ns A (client) -- veth -- ns H (server, no forwarding) -- veth -- ns B (client)
#
# Each of RUNS runs (default 3) measures, in turn so that the noise of a shared
# machine hits all alike:
#   raw        iperf3 A -> H over the veth, 1 and 4 TCP streams
#   softether  hub in H, cards in A and B: iperf3 A -> B over the virtual LAN
#   openvpn    server in H, clients in A and B: iperf3 A -> B over their TAPs
# each test SECS seconds (default 8); for both VPNs also the CPU seconds per GB
# carried of all their processes (server + both clients) and the ping RTT over
# the VPN minus over the raw veth. Prints every run, then the medians. Figures
# only, never pass/fail.
#
# SOFTETHER=path picks the binary (default build/softether). OpenVPN is
# installed with apt-get if missing; OPENVPN=0 leaves it out.
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
RUNS=${RUNS:-3}
SECS=${SECS:-8}
OPENVPN=${OPENVPN:-1}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

if [ "$OPENVPN" != 0 ] && ! command -v openvpn >/dev/null; then
  echo "openvpn missing: apt-get install -y openvpn"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get install -y -q openvpn >"$WORK/apt.log" 2>&1 ||
    { timeout 300 apt-get update -q >>"$WORK/apt.log" 2>&1 &&
      timeout 300 apt-get install -y -q openvpn >>"$WORK/apt.log" 2>&1; } || true
  if ! command -v openvpn >/dev/null; then
    echo "openvpn cannot be installed ($(tail -n 1 "$WORK/apt.log")): OpenVPN left out"
    echo "(set OPENVPN=0 to skip it without trying)"
    OPENVPN=0
  fi
fi
[ "$OPENVPN" = 0 ] && echo "OPENVPN=0: OpenVPN left out, softether against the raw veth only"

star 79
LANS=192.168.79 LANO=192.168.80   # softether's virtual LAN, OpenVPN's TAPs

# softether, as bench/tunnel.sh sets it up.
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
wait_listen "$H" 0.0.0.0 7777 10 "$PID_hub" hub
start nicA "$A" "$SOFTETHER" --nic --connect 10.79.1.1:7777 --user bench --password-file "$WORK/pw" \
  --known-hubs "$WORK/kh" --ip $LANS.1/24
start nicB "$B" "$SOFTETHER" --nic --connect 10.79.2.1:7777 --user bench --password-file "$WORK/pw" \
  --known-hubs "$WORK/kh" --ip $LANS.2/24
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'
ip netns exec "$A" ping -c 3 -W 2 $LANS.2 >/dev/null || fail "no ping over softether"

# OpenVPN: a throwaway CA and certificates in $WORK; one server in tap mode
# switching frames between its clients itself (client-to-client, no bridge).
# tcp-nodelay (pushed to the clients too) as our sockets have TCP_NODELAY:
# without it OpenVPN carries half as much at twice the CPU per GB.
if [ "$OPENVPN" != 0 ]; then
  openvpn --version | head -n 1 || true
  O=$WORK/ovpn; mkdir -p "$O"
  ossl() { openssl "$@" >>"$O/openssl.log" 2>&1 || fail "openssl $1 failed: $(tail -n 2 "$O/openssl.log")"; }
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=bench-ca -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -keyout "$O/ca.key" -out "$O/ca.crt"
  for n in server a b; do
    eku=clientAuth; [ $n = server ] && eku=serverAuth
    ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$n \
      -keyout "$O/$n.key" -out "$O/$n.csr"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' \
      $eku >"$O/$n.ext"
    ossl x509 -req -in "$O/$n.csr" -CA "$O/ca.crt" -CAkey "$O/ca.key" -CAcreateserial \
      -days 2 -extfile "$O/$n.ext" -out "$O/$n.crt"
  done
  common="dev ovpn0
dev-type tap
data-ciphers AES-256-GCM
cipher AES-256-GCM
disable-dco
ca $O/ca.crt
verb 3"
  cat >"$O/server.conf" <<EOF
$common
mode server
tls-server
proto tcp-server
port 1194
dh none
cert $O/server.crt
key $O/server.key
client-to-client
tcp-nodelay
EOF
  for n in a b; do
    i=1 net=1; [ $n = b ] && i=2 net=2
    cat >"$O/$n.conf" <<EOF
$common
client
proto tcp-client
remote 10.79.$net.1 1194
nobind
remote-cert-tls server
cert $O/$n.crt
key $O/$n.key
ifconfig $LANO.$i 255.255.255.0
EOF
  done
  start ovS "$H" openvpn --config "$O/server.conf"
  wait_listen "$H" 0.0.0.0 1194 10 "$PID_ovS" ovS
  # Up, with no address: frames the server also hands its own TAP (broadcasts)
  # would otherwise fail there and stall its queue to that TAP.
  ip -n "$H" link set ovpn0 up
  start ovA "$A" openvpn --config "$O/a.conf"
  start ovB "$B" openvpn --config "$O/b.conf"
  wait_log ovA 'Initialization Sequence Completed' 30
  wait_log ovB 'Initialization Sequence Completed' 30
  ip netns exec "$A" ping -c 3 -w 10 $LANO.2 >/dev/null || fail "no ping over OpenVPN"
  grep -q 'AES-256-GCM' "$WORK/ovA.log" || fail "OpenVPN did not settle on AES-256-GCM"
fi

rtt() {
  ip netns exec "$1" ping -c 20 -i 0.05 -w 10 -q "$2" |
    sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p' | grep . || fail "no ping from $1 to $2"
}

# vpn ADDR PID...: 1 and 4 streams A -> ADDR, then the RTT to it; sets OUT to
# bits/s, bytes and CPU ticks of PID... for each, then the RTT.
vpn() {
  local addr=$1 b1 y1 b4 y4 c0 c1 c2 t; shift
  c0=$(ticks "$@"); read -r b1 y1 < <(iperf_par 1 "$A" "$B" "$addr")
  c1=$(ticks "$@"); read -r b4 y4 < <(iperf_par 4 "$A" "$B" "$addr")
  c2=$(ticks "$@"); t=$(rtt "$A" "$addr")
  OUT="$b1 $y1 $((c1 - c0)) $b4 $y4 $((c2 - c1)) $t"
}

results=()
for ((r = 1; r <= RUNS; r++)); do
  read -r raw1 _ < <(iperf_par 1 "$A" "$H" 10.79.1.1)
  read -r raw4 _ < <(iperf_par 4 "$A" "$H" 10.79.1.1)
  rraw=$(rtt "$A" 10.79.1.1)
  vpn $LANS.2 "$PID_hub" "$PID_nicA" "$PID_nicB"; se=$OUT
  ov="0 0 0 0 0 0 0"
  if [ "$OPENVPN" != 0 ]; then vpn $LANO.2 "$PID_ovS" "$PID_ovA" "$PID_ovB"; ov=$OUT; fi
  line=$(python3 - "$HZ" "$raw1" "$raw4" "$rraw" $se $ov <<'EOF'
import sys
hz, raw1, raw4, rraw = (float(x) for x in sys.argv[1:5])
def vpn(b1, y1, t1, b4, y4, t4, rtt):
    cpu = lambda t, y: (t / hz) / (y / 1e9) if y else 0
    return [b1 / 1e9, b4 / 1e9, cpu(t1, y1), cpu(t4, y4), rtt - rraw if rtt else 0]
s = vpn(*map(float, sys.argv[5:12]))
o = vpn(*map(float, sys.argv[12:19]))
q = lambda a, b: a / b if b else 0
print(*(f'{v:.4f}' for v in [raw1 / 1e9, raw4 / 1e9, *s, *o,
      q(s[0], raw1 / 1e9), q(s[1], raw4 / 1e9), q(o[0], raw1 / 1e9), q(o[1], raw4 / 1e9),
      q(s[0], o[0]), q(s[1], o[1])]))
EOF
)
  read -r R1 R4 S1 S4 SC1 SC4 SR O1 O4 OC1 OC4 OR _ <<<"$line"
  printf 'run %d: raw %.2f/%.2f Gbit/s (1/4 streams) | softether %.3f/%.3f Gbit/s, cpu %.2f/%.2f s/GB, +%.3f ms' \
    "$r" "$R1" "$R4" "$S1" "$S4" "$SC1" "$SC4" "$SR"
  [ "$OPENVPN" != 0 ] && printf ' | openvpn %.3f/%.3f Gbit/s, cpu %.2f/%.2f s/GB, +%.3f ms' \
    "$O1" "$O4" "$OC1" "$OC4" "$OR"
  echo
  results+=("$line")
done

read -r -a med < <(printf '%s\n' "${results[@]}" | medians)
python3 - "$OPENVPN" "$SECS" "${med[@]}" <<'EOF'
import sys
ovpn, secs, n = sys.argv[1] != "0", sys.argv[2], int(float(sys.argv[3]))
R1, R4, S1, S4, SC1, SC4, SR, O1, O4, OC1, OC4, OR, SX1, SX4, OX1, OX4, SO1, SO4 = \
    (float(v) for v in sys.argv[4:])
print(f"median of {n} run{'s' if n != 1 else ''}, {secs} s per test (cpu: server + both clients):")
print(f"{'':20} {'Gbit/s':>8} {'/raw':>7} {'se/ovpn':>8} {'cpu s/GB':>9} {'added rtt ms':>13}")
print(f"{'raw 1 stream':20} {R1:8.2f}")
print(f"{'raw 4 streams':20} {R4:8.2f}")
so = lambda v: f"{v:8.2f}" if ovpn else f"{'-':>8}"
print(f"{'softether 1 stream':20} {S1:8.3f} {SX1:7.3f} {so(SO1)} {SC1:9.2f} {SR:13.3f}")
print(f"{'softether 4 streams':20} {S4:8.3f} {SX4:7.3f} {so(SO4)} {SC4:9.2f}")
if ovpn:
    print(f"{'openvpn 1 stream':20} {O1:8.3f} {OX1:7.3f} {'':8} {OC1:9.2f} {OR:13.3f}")
    print(f"{'openvpn 4 streams':20} {O4:8.3f} {OX4:7.3f} {'':8} {OC4:9.2f}")
else:
    print("openvpn: left out")
EOF
