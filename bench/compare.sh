#!/usr/bin/env bash
# The tunnel against OpenVPN 2.6 (TAP over TCP, AES-256-GCM, the server
# switching between its clients) and SoftEther VPN 5 (the same, over its own
# TLS), all against the raw veth, in the same run.
#
#   ns A (client) -- veth -- ns H (server, no forwarding) -- veth -- ns B (client)
#
# Each of RUNS runs (default 3) measures, in turn so that the noise of a shared
# machine hits all alike:
#   raw        iperf3 A -> H over the veth, 1 and 4 TCP streams
#   softether  hub in H, cards in A and B: iperf3 A -> B over the virtual LAN
#   openvpn    server in H, clients in A and B: iperf3 A -> B over their TAPs
#   sevpn      vpnserver in H, vpnclients in A and B: the same over their NICs
#   relay      bench_relay in H, A and B: the same star with no encryption, no
#              switching, one frame per read and write; the floor any VPN of
#              this shape stands on here, for its added RTT above all
# each test SECS seconds (default 8); for every VPN also the CPU seconds per GB
# carried of all its processes (server + both clients) and the ping RTT over
# the VPN minus over the raw veth (medians of 100 pings), then that again with
# the VPN's processes and ping all on CPU 0 ("on 1 cpu"): a packet crossing a
# VPN wakes a process at every hop, and where waking a process on an idle CPU
# is dear (a virtual machine's idle vCPU: ~50 us here), the first RTT is mostly
# those wake-ups, the second mostly the VPN's own work. Prints every run, then
# the medians. Figures only, never pass/fail.
#
# CC=name sets the TCP congestion control in every namespace (see below).
# SE_CC=name sets softether's own tcp_congestion (hub and both cards): its
# tunnel's connections only, iperf3's and the other VPNs' keep the namespaces'.
#
# IDLE_POLL=1 holds a CPU latency request of 0 us (/dev/cpu_dma_latency) for
# the whole run, as tuned's latency-performance profile does: idle CPUs then
# poll instead of halting, so waking a process on one costs no wake-up of the
# CPU. It shows how much of each VPN's added RTT is that (the idle CPUs burn
# their time meanwhile; the figures' CPU s/GB count only the VPNs' processes).
#
# SOFTETHER=path picks the binary (default build/softether). OpenVPN is
# installed with apt-get if missing; OPENVPN=0 leaves it out. RELAY=path picks
# bench_relay (default: beside SOFTETHER); RELAY=0 leaves it out.
#
# SEVPN=dir brings in SoftEther VPN 5 (github SoftEtherVPN/SoftEtherVPN,
# master): dir holds its vpnserver, vpnclient, vpncmd, hamcore.se2 and, unless
# installed, libcedar.so and libmayaqua.so; unset, it is left out. Nothing of it
# is in this tree: build it by hand outside it (in /tmp), from its source with
# its submodules, as its src/BUILD_UNIX.md says (cmake, no install), and point
# SEVPN at the build directory, where vpnserver lands.
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
RUNS=${RUNS:-3}
SECS=${SECS:-8}
OPENVPN=${OPENVPN:-1}
SEVPN=${SEVPN:-}
RELAY=${RELAY:-$(dirname "$SOFTETHER")/bench_relay}
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
[ "$OPENVPN" = 0 ] && echo "OPENVPN=0: OpenVPN left out"
if [ "$RELAY" = 0 ]; then
  echo "RELAY=0: the copying relay left out"
elif [ ! -x "$RELAY" ]; then
  echo "no $RELAY (built with the benchmarks): the copying relay left out"
  RELAY=0
fi
if [ -z "$SEVPN" ]; then
  echo "SEVPN unset: SoftEther VPN 5 left out (see the header for how to build it)"
else
  SEVPN=$(cd "$SEVPN" && pwd) || fail "SEVPN: no directory $SEVPN"
  for f in vpnserver vpnclient vpncmd hamcore.se2; do
    [ -e "$SEVPN/$f" ] || fail "SEVPN=$SEVPN has no $f"
  done
fi

star 79
# CC=name: the TCP congestion control of every namespace here, so of every
# VPN's connections and of iperf3's alike; unset, the system's default. It
# moves the figures a lot (a pacing one such as bbr wakes each reader more
# often), so the header says which one ran.
if [ -n "${CC:-}" ]; then
  avail=$(sysctl -n net.ipv4.tcp_available_congestion_control)
  [[ " $avail " == *" $CC "* ]] || fail "CC=$CC: this kernel has no such (it has: $avail)"
  for ns in "$H" "$A" "$B"; do
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$CC" 2>/dev/null ||
      fail "CC=$CC: refused in a namespace (allowed there: $(sysctl -n \
net.ipv4.tcp_allowed_congestion_control); as root: sysctl -w net.ipv4.tcp_allowed_congestion_control='<those> $CC')"
  done
fi
echo "tcp congestion control: $(ip netns exec "$H" sysctl -n net.ipv4.tcp_congestion_control)"
SE_CC=${SE_CC:-system}
echo "softether's tcp_congestion: $SE_CC"
if [ "${IDLE_POLL:-0}" = 1 ]; then
  # Held while fd 9 is open, so until this script exits; "0x..." is read as hex.
  exec 9>/dev/cpu_dma_latency && printf '0x00000000' >&9 ||
    fail "IDLE_POLL=1: cannot hold a CPU latency request (/dev/cpu_dma_latency, root only)"
  echo "idle CPUs poll (CPU latency request of 0 us held)"
fi
LANS=192.168.79 LANO=192.168.80 LANV=192.168.81 LANF=192.168.82   # softether's, OpenVPN's, SoftEther VPN's, the relay's

# softether, as bench/tunnel.sh sets it up.
printf 'bench\n' >"$WORK/pw"
hub_config "$WORK/hub.yaml" DEFAULT:bench:"$WORK/pw"
echo "tcp_congestion: $SE_CC" >>"$WORK/hub.yaml"
start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
wait_listen "$H" 0.0.0.0 7777 10 "$PID_hub" hub
start nicA "$A" "$SOFTETHER" --nic --connect 10.79.1.1:7777 --user bench --password-file "$WORK/pw" \
  --known-hubs "$WORK/kh" --ip $LANS.1/24 --tcp-congestion "$SE_CC"
start nicB "$B" "$SOFTETHER" --nic --connect 10.79.2.1:7777 --user bench --password-file "$WORK/pw" \
  --known-hubs "$WORK/kh" --ip $LANS.2/24 --tcp-congestion "$SE_CC"
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'
ip netns exec "$A" ping -c 3 -W 2 $LANS.2 >/dev/null || fail "no ping over softether"
echo "softether: data channel $(sed -n 's/.* vpn0 up: .* cipher=\(.*\) offload=.*/\1/p' "$WORK/nicA.log")"

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

# SoftEther VPN 5: vpnserver in H with one virtual hub and one user, no SecureNAT
# and no local bridge (the hub switches between its two sessions); a vpnclient
# in A and in B, each with a virtual NIC (TAP vpn_se0) and one account to it.
# Each instance runs from its own copy of $SEVPN (config and logs go beside the
# binary), in the foreground ("start --foreground": one process, ends on
# SIGTERM), so that start/cleanup and the CPU ticks hold it whole. The server's
# config is seeded so that nothing reaches out: one listener (5555, not
# OpenVPN's 1194), dynamic DNS off (and with it VPN Azure), no keep-alive to the
# internet, no NAT traversal, no UDP ports, no reverse DNS of clients. The
# accounts: one TCP connection (QoS off, or it adds a second), no UDP
# acceleration, no compression, TLS with its default ciphers. vpnclient (and
# vpnserver, unless told not to) renices itself and its process group to -20:
# setpriv keeps CAP_SYS_NICE from them so that every peer runs at one priority.
if [ -n "$SEVPN" ]; then
  for n in svS svA svB; do
    mkdir "$WORK/$n"
    cp "$SEVPN"/vpnserver "$SEVPN"/vpnclient "$SEVPN"/vpncmd "$SEVPN"/hamcore.se2 "$WORK/$n/"
    cp "$SEVPN"/lib*.so* "$WORK/$n/" 2>/dev/null || true
  done
  cat >"$WORK/svS/vpn_server.config" <<'EOF'
declare root
{
	declare DDnsClient
	{
		bool Disabled true
	}
	declare ListenerList
	{
		declare Listener0
		{
			bool DisableDos false
			bool Enabled true
			uint Port 5555
		}
	}
	declare ServerConfiguration
	{
		bool DisableGetHostNameWhenAcceptTcp true
		bool DisableNatTraversal true
		bool EnableVpnAzure false
		bool NoHighPriorityProcess true
		string PortsUDP $
		bool UseKeepConnect false
	}
	declare VirtualHUB
	{
	}
}
EOF
  # sv NAME NS PROGRAM: start that instance. svq NAME NS ARGS...: vpncmd
  # against it, output on stdout. svcmd NAME NS ARGS...: the same, logged,
  # failing on an error.
  sv() {
    start "$1" "$2" env LD_LIBRARY_PATH="$WORK/$1" \
      setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice "$WORK/$1/$3" start --foreground
  }
  svq() {
    local n=$1 ns=$2; shift 2
    LD_LIBRARY_PATH="$WORK/$n" timeout 20 ip netns exec "$ns" "$WORK/$n/vpncmd" "$@" </dev/null
  }
  svcmd() {
    svq "$@" >>"$WORK/$1-cmd.log" 2>&1 || fail "$1: vpncmd ${*:3} failed: $(tail -n 3 "$WORK/$1-cmd.log")"
  }
  sv svS "$H" vpnserver
  wait_listen "$H" 0.0.0.0 5555 20 "$PID_svS" svS
  svcmd svS "$H" localhost:5555 /SERVER /CMD HubCreate BENCH /PASSWORD:bench
  S=(svS "$H" localhost:5555 /SERVER /HUB:BENCH /PASSWORD:bench /CMD)
  svcmd "${S[@]}" SecureNatDisable
  svcmd "${S[@]}" UserCreate bench /GROUP:none /REALNAME:none /NOTE:none
  svcmd "${S[@]}" UserPasswordSet bench /PASSWORD:bench
  svcmd "${S[@]}" ExtOptionSet DisableUdpAcceleration /VALUE:true
  for c in A B; do
    ns=${!c} n=sv$c i=1; [ $c = B ] && i=2
    sv $n "$ns" vpnclient
    pid=PID_$n; wait_listen "$ns" 127.0.0.1 9931 20 "${!pid}" $n
    C=("$n" "$ns" localhost /CLIENT /CMD)
    svcmd "${C[@]}" KeepDisable
    svcmd "${C[@]}" NicCreate se0
    svcmd "${C[@]}" AccountCreate bench /SERVER:10.79.$i.1:5555 /HUB:BENCH /USERNAME:bench /NICNAME:se0
    svcmd "${C[@]}" AccountPasswordSet bench /PASSWORD:bench /TYPE:standard
    svcmd "${C[@]}" AccountEncryptEnable bench
    svcmd "${C[@]}" AccountCompressDisable bench
    svcmd "${C[@]}" AccountDetailSet bench /MAXTCP:1 /INTERVAL:1 /TTL:0 /HALF:no /BRIDGE:no \
      /MONITOR:no /NOTRACK:no /NOQOS:yes /DISABLEUDP:yes
    svcmd "${C[@]}" AccountConnect bench
    ip -n "$ns" link set vpn_se0 up
    ip -n "$ns" addr add $LANV.$i/24 dev vpn_se0
  done
  # Until both sessions are up (20 s at most), then what they settled on.
  for n in svA svB; do
    ns=$A; [ $n = svB ] && ns=$B
    for ((i = 0; i < 40; i++)); do
      st=$(svq $n "$ns" localhost /CLIENT /CSV /CMD AccountStatusGet bench 2>&1 || true)
      grep -q '^Session Status,Connection Completed' <<<"$st" && break
      sleep 0.5
    done
    grep -q '^Session Status,Connection Completed' <<<"$st" ||
      fail "$n: no SoftEther VPN session within 20s: $(grep -m 1 '^Session Status' <<<"$st" || tail -n 2 <<<"$st")"
    grep -q '^Encryption,Enabled' <<<"$st" || fail "$n: SoftEther VPN session not encrypted"
    grep -q '^Maximum Number of TCP Connections,1$' <<<"$st" || fail "$n: SoftEther VPN session not on one TCP connection"
    grep -q '^Use of Compression,No' <<<"$st" || fail "$n: SoftEther VPN session compressed"
  done
  echo "sevpn: SoftEther VPN $(sed -n 's/^Server Version,//p' <<<"$st") $(sed -n 's/^Server Build,//p' <<<"$st")," \
    "$(sed -n 's/^Encryption,Enabled (\(.*\))$/\1/p' <<<"$st"), one TCP connection"
  ip netns exec "$A" ping -c 3 -w 10 $LANV.2 >/dev/null || fail "no ping over SoftEther VPN"
fi

# The copying relay: its hub on 7800, a card in A and in B with TAP flr0.
if [ "$RELAY" != 0 ]; then
  start rlS "$H" "$RELAY" hub 7800
  wait_listen "$H" 0.0.0.0 7800 10 "$PID_rlS" rlS
  i=1
  for n in A B; do
    ns=${!n}
    start rl$n "$ns" "$RELAY" card flr0 10.79.$i.1 7800
    wait_log rl$n '^up$'
    ip -n "$ns" addr add $LANF.$i/24 dev flr0
    ip -n "$ns" link set flr0 up
    i=$((i + 1))
  done
  ip netns exec "$A" ping -c 3 -w 10 $LANF.2 >/dev/null || fail "no ping over the copying relay"
fi

# rtt NS ADDR [CPU]: the median of 100 pings (2 s), ping on CPU if given.
rtt() {
  local pin=()
  [ -n "${3:-}" ] && pin=(taskset -c "$3")
  ip netns exec "$1" "${pin[@]}" ping -c 100 -i 0.02 -w 15 "$2" |
    sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n |
    awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}' | grep . ||
    fail "no ping from $1 to $2"
}

# pin CPUS PID...: every thread of the processes onto CPUS.
pin() { local c=$1 p; shift; for p in "$@"; do taskset -a -p -c "$c" "$p" >/dev/null; done; }
ALLCPU=0-$(($(nproc) - 1))

# vpn ADDR PID...: 1 and 4 streams A -> ADDR, then the RTT to it, then the RTT
# with the VPN's processes and ping all on CPU 0; sets OUT to bits/s, bytes and
# CPU ticks of PID... for each, then both RTTs.
vpn() {
  local addr=$1 b1 y1 b4 y4 c0 c1 c2 t t1; shift
  c0=$(ticks "$@"); read -r b1 y1 < <(iperf_par 1 "$A" "$B" "$addr")
  c1=$(ticks "$@"); read -r b4 y4 < <(iperf_par 4 "$A" "$B" "$addr")
  c2=$(ticks "$@"); t=$(rtt "$A" "$addr")
  pin 0 "$@"; t1=$(rtt "$A" "$addr" 0); pin "$ALLCPU" "$@"
  OUT="$b1 $y1 $((c1 - c0)) $b4 $y4 $((c2 - c1)) $t $t1"
}

results=()
for ((r = 1; r <= RUNS; r++)); do
  read -r raw1 _ < <(iperf_par 1 "$A" "$H" 10.79.1.1)
  read -r raw4 _ < <(iperf_par 4 "$A" "$H" 10.79.1.1)
  rraw=$(rtt "$A" 10.79.1.1); rraw1=$(rtt "$A" 10.79.1.1 0)
  vpn $LANS.2 "$PID_hub" "$PID_nicA" "$PID_nicB"; se=$OUT
  ov="0 0 0 0 0 0 0 0" sv="0 0 0 0 0 0 0 0" fl="0 0 0 0 0 0 0 0"
  if [ "$OPENVPN" != 0 ]; then vpn $LANO.2 "$PID_ovS" "$PID_ovA" "$PID_ovB"; ov=$OUT; fi
  if [ -n "$SEVPN" ]; then vpn $LANV.2 "$PID_svS" "$PID_svA" "$PID_svB"; sv=$OUT; fi
  if [ "$RELAY" != 0 ]; then vpn $LANF.2 "$PID_rlS" "$PID_rlA" "$PID_rlB"; fl=$OUT; fi
  line=$(python3 - "$HZ" "$raw1" "$raw4" "$rraw" "$rraw1" $se $ov $sv $fl <<'EOF'
import sys
hz, raw1, raw4, rraw, rraw1 = (float(x) for x in sys.argv[1:6])
def vpn(b1, y1, t1, b4, y4, t4, rtt, rtt1):
    cpu = lambda t, y: (t / hz) / (y / 1e9) if y else 0
    return [b1 / 1e9, b4 / 1e9, cpu(t1, y1), cpu(t4, y4), rtt - rraw if rtt else 0,
            rtt1 - rraw1 if rtt1 else 0]
s = vpn(*map(float, sys.argv[6:14]))
o = vpn(*map(float, sys.argv[14:22]))
v = vpn(*map(float, sys.argv[22:30]))
f = vpn(*map(float, sys.argv[30:38]))
q = lambda a, b: a / b if b else 0
print(*(f'{x:.4f}' for x in [raw1 / 1e9, raw4 / 1e9, *s, *o, *v,
      q(s[0], raw1 / 1e9), q(s[1], raw4 / 1e9), q(o[0], raw1 / 1e9), q(o[1], raw4 / 1e9),
      q(v[0], raw1 / 1e9), q(v[1], raw4 / 1e9),
      q(s[0], o[0]), q(s[1], o[1]), q(s[0], v[0]), q(s[1], v[1]), *f,
      q(f[0], raw1 / 1e9), q(f[1], raw4 / 1e9)]))
EOF
)
  read -r R1 R4 S1 S4 SC1 SC4 SR SR1 O1 O4 OC1 OC4 OR OR1 V1 V4 VC1 VC4 VR VR1 \
    _ _ _ _ _ _ _ _ _ _ F1 F4 FC1 FC4 FR FR1 _ <<<"$line"
  printf 'run %d: raw %.2f/%.2f Gbit/s (1/4 streams) | softether %.3f/%.3f Gbit/s, cpu %.2f/%.2f s/GB, +%.3f/+%.3f ms' \
    "$r" "$R1" "$R4" "$S1" "$S4" "$SC1" "$SC4" "$SR" "$SR1"
  [ "$OPENVPN" != 0 ] && printf ' | openvpn %.3f/%.3f Gbit/s, cpu %.2f/%.2f s/GB, +%.3f/+%.3f ms' \
    "$O1" "$O4" "$OC1" "$OC4" "$OR" "$OR1"
  [ -n "$SEVPN" ] && printf ' | sevpn %.3f/%.3f Gbit/s, cpu %.2f/%.2f s/GB, +%.3f/+%.3f ms' \
    "$V1" "$V4" "$VC1" "$VC4" "$VR" "$VR1"
  [ "$RELAY" != 0 ] && printf ' | relay %.3f/%.3f Gbit/s, cpu %.2f/%.2f s/GB, +%.3f/+%.3f ms' \
    "$F1" "$F4" "$FC1" "$FC4" "$FR" "$FR1"
  echo
  results+=("$line")
done

read -r -a med < <(printf '%s\n' "${results[@]}" | medians)
python3 - "$OPENVPN" "${SEVPN:+1}" "$SECS" "$RELAY" "${med[@]}" <<'EOF'
import sys
ovpn, sevpn, secs, relay = sys.argv[1] != "0", sys.argv[2] != "", sys.argv[3], sys.argv[4] != "0"
n = int(float(sys.argv[5]))
(R1, R4, S1, S4, SC1, SC4, SR, SR1, O1, O4, OC1, OC4, OR, OR1, V1, V4, VC1, VC4, VR, VR1,
 SX1, SX4, OX1, OX4, VX1, VX4, SO1, SO4, SV1, SV4,
 F1, F4, FC1, FC4, FR, FR1, FX1, FX4) = (float(x) for x in sys.argv[6:])
print(f"median of {n} run{'s' if n != 1 else ''}, {secs} s per test (cpu: server + both clients):")
print(f"{'':20} {'Gbit/s':>8} {'/raw':>7} {'se/ovpn':>8} {'se/sevpn':>9} {'cpu s/GB':>9} {'added rtt ms':>13} {'on 1 cpu':>9}")
print(f"{'raw 1 stream':20} {R1:8.2f}")
print(f"{'raw 4 streams':20} {R4:8.2f}")
so = lambda x: f"{x:8.2f}" if ovpn else f"{'-':>8}"
sv = lambda x: f"{x:9.2f}" if sevpn else f"{'-':>9}"
print(f"{'softether 1 stream':20} {S1:8.3f} {SX1:7.3f} {so(SO1)} {sv(SV1)} {SC1:9.2f} {SR:13.3f} {SR1:9.3f}")
print(f"{'softether 4 streams':20} {S4:8.3f} {SX4:7.3f} {so(SO4)} {sv(SV4)} {SC4:9.2f}")
if ovpn:
    print(f"{'openvpn 1 stream':20} {O1:8.3f} {OX1:7.3f} {'':8} {'':9} {OC1:9.2f} {OR:13.3f} {OR1:9.3f}")
    print(f"{'openvpn 4 streams':20} {O4:8.3f} {OX4:7.3f} {'':8} {'':9} {OC4:9.2f}")
else:
    print("openvpn: left out")
if sevpn:
    print(f"{'sevpn 1 stream':20} {V1:8.3f} {VX1:7.3f} {'':8} {'':9} {VC1:9.2f} {VR:13.3f} {VR1:9.3f}")
    print(f"{'sevpn 4 streams':20} {V4:8.3f} {VX4:7.3f} {'':8} {'':9} {VC4:9.2f}")
else:
    print("sevpn: left out")
if relay:
    print(f"{'relay 1 stream':20} {F1:8.3f} {FX1:7.3f} {'':8} {'':9} {FC1:9.2f} {FR:13.3f} {FR1:9.3f}")
    print(f"{'relay 4 streams':20} {F4:8.3f} {FX4:7.3f} {'':8} {'':9} {FC4:9.2f}")
    print(f"softether's added rtt above the relay's: +{SR - FR:.3f} ms, +{SR1 - FR1:.3f} ms on 1 cpu")
else:
    print("relay: left out")
EOF

# vpnserver and vpnclient take a few seconds to stop on SIGTERM: let them,
# before the cleanup's SIGKILL.
if [ -n "$SEVPN" ]; then
  kill "$PID_svS" "$PID_svA" "$PID_svB" 2>/dev/null || true
  for p in "$PID_svS" "$PID_svA" "$PID_svB"; do wait_exit "$p" 15; done
fi
