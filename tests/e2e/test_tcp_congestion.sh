#!/usr/bin/env bash
# tcp_congestion: the tunnel's own TCP connections run the congestion control the
# hub's config and the card's option name, whatever their namespace's default.
#
#   ns A: card, --tcp-congestion CC, started as if through sudo by nobody
#   ns H: hub, tcp_congestion: CC (every connection it accepts)
#   ns B: card with no option (its own side stays on the namespace's default)
#
# Every namespace defaults to reno here; CC is another the kernel has (cubic where
# it is built in, as in Debian's kernels). Checks, with ss in each namespace: both
# ends of A's connection and the hub's end of B's run CC, B's own end reno; the same
# once the hub has restarted and A, which kept only CAP_NET_ADMIN, has reconnected;
# each card's status (softether --admin --nic --json) names its own;
# a name the kernel lacks stops hub and card with what it has; --via ssh refuses it.
. "$(dirname "$0")/lib.sh"

star 83
for ns in "$H" "$A" "$B"; do
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control=reno
done
CC=
for c in cubic bbr $(cat /proc/sys/net/ipv4/tcp_available_congestion_control); do
  if [ "$c" != reno ] && grep -qw "$c" /proc/sys/net/ipv4/tcp_available_congestion_control; then
    CC=$c; break
  fi
done
[ -n "$CC" ] || { echo "SKIP: the kernel has no congestion control but reno"; exit 77; }
echo "tunnel on $CC, namespaces on reno"
NAMES=$(tr ' ' '|' </proc/sys/net/ipv4/tcp_available_congestion_control)

printf 'alice-secret\n' >"$WORK/alice.pw"
printf 'bob-secret\n' >"$WORK/bob.pw"
hub_config "$WORK/hub.yaml" DEFAULT:alice:"$WORK/alice.pw" DEFAULT:bob:"$WORK/bob.pw"
echo "tcp_congestion: $CC" >>"$WORK/hub.yaml"

# A name the kernel lacks: refused by --check-config and by a start, hub and card,
# saying which the kernel has.
sed "s/^tcp_congestion: .*/tcp_congestion: nosuchcc/" "$WORK/hub.yaml" >"$WORK/bad.yaml"
has="this kernel has no TCP congestion control \"nosuchcc\" (it has: "
for check in --check-config ""; do
  out=$(ip netns exec "$H" timeout 10 "$SOFTETHER" --hub $check -c "$WORK/bad.yaml" 2>&1) &&
    fail "hub ${check:-start} took tcp_congestion: nosuchcc"
  grep -qF "bad.yaml: tcp_congestion: $has" <<<"$out" || fail "hub ${check:-start}: '$out'"
  out=$(ip netns exec "$A" timeout 10 "$SOFTETHER" --nic $check --connect 10.83.1.1:7777 \
    --user alice --password-file "$WORK/alice.pw" --tap vpnx --tcp-congestion nosuchcc 2>&1) &&
    fail "card ${check:-start} took --tcp-congestion nosuchcc"
  grep -qF -- "--tcp-congestion: $has" <<<"$out" || fail "card ${check:-start}: '$out'"
  out=$(ip netns exec "$A" timeout 10 "$SOFTETHER" --nic $check --connect 10.83.1.1:7777 \
    --user alice --password-file "$WORK/alice.pw" --tap vpnx --via ssh --ssh gw.example.net \
    --tcp-congestion "$CC" 2>&1) && fail "card ${check:-start} took --tcp-congestion with ssh"
  grep -qF -- "--tcp-congestion: goes with --via direct, http-proxy, socks4 or socks5, not ssh" \
    <<<"$out" || fail "card ${check:-start} with ssh: '$out'"
done
ip -n "$A" link show vpnx >/dev/null 2>&1 && fail "a refused card left its TAP"
ok "a congestion control the kernel lacks, or one with --via ssh, is refused with why"

start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_log hub "listening on 0.0.0.0:7777 \(TCP congestion control $CC\)"
FP=$(fingerprint hub)
mkdir "$WORK/nobody" && chown nobody "$WORK/nobody"
start nicA "$A" env SUDO_UID="$(id -u nobody)" SUDO_GID="$(id -g nobody)" \
  "$SOFTETHER" --nic --connect 10.83.1.1:7777 --user alice --password-file "$WORK/alice.pw" \
  --fingerprint "$FP" --ip 192.168.83.1/24 --tcp-congestion "$CC"
start nicB "$B" "$SOFTETHER" --nic --connect 10.83.2.1:7777 --user bob \
  --password-file "$WORK/bob.pw" --fingerprint "$FP" --ip 192.168.83.2/24
wait_log nicA 'vpn0 up'; wait_log nicB 'vpn0 up'
wait_log nicA 'keeping only CAP_NET_ADMIN'

# cc NS FILTER: the congestion control of the one established connection ss finds.
cc() {
  local out
  out=$(ip netns exec "$1" ss -Htin state established "$2")
  [ "$(grep -c . <<<"$out")" -ge 2 ] || fail "ss in $1 '$2' finds no connection: '$out'"
  # The info line: [ts] [sack] [ecn] NAME wscale:... (NAME one the kernel has).
  sed -n 2p <<<"$out" | grep -oE "(^|[[:space:]])($NAMES)([[:space:]]|$)" | head -n 1 |
    tr -d ' \t'

}
check_all() { # WHEN
  local got
  got=$(cc "$A" "dst 10.83.1.1:7777"); [ "$got" = "$CC" ] || fail "$1: card A's end runs $got"
  got=$(cc "$H" "dst 10.83.1.2"); [ "$got" = "$CC" ] || fail "$1: hub's end to A runs $got"
  got=$(cc "$H" "dst 10.83.2.2"); [ "$got" = "$CC" ] || fail "$1: hub's end to B runs $got"
  got=$(cc "$B" "dst 10.83.2.1:7777"); [ "$got" = reno ] || fail "$1: card B's end runs $got"
  ip netns exec "$A" ping -c 3 -i 0.2 -W 2 192.168.83.2 >/dev/null || fail "$1: no ping A -> B"
  # Each card's status says what its connection runs.
  got=$(status_cc "$A"); [ "$got" = "$CC" ] || fail "$1: card A's status says $got"
  got=$(status_cc "$B"); [ "$got" = reno ] || fail "$1: card B's status says $got"
}
status_cc() { # NS: tcp_congestion in the card's --admin --nic --json
  ip netns exec "$1" "$SOFTETHER" --admin --nic vpn0 --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["tcp_congestion"])'
}
check_all "first connection"
ok "the hub's end of every connection and card A's run $CC, card B's own end reno; the cards' status says so"

# The hub restarts: A, no longer root, makes a new connection on its own.
mark nicA 'vpn0 up'
kill "$PID_hub"; wait_exit "$PID_hub" 10
[ "$ST" != timeout ] || fail "the hub did not stop"
start hub2 "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
wait_more nicA 'vpn0 up' 30; wait_log nicB 'vpn0 up'
for ((i = 0; i < 100; i++)); do
  [ -n "$(ip netns exec "$B" ss -Htn state established dst 10.83.2.1:7777)" ] &&
    ip netns exec "$A" ping -c 1 -W 1 192.168.83.2 >/dev/null && break
  sleep 0.2
done
check_all "after the hub's restart"
ok "after a restart card A (CAP_NET_ADMIN only) reconnects on $CC"

# A reload does not change the listeners: it says so, and what runs stays on CC.
sed -i "s/^tcp_congestion: .*/tcp_congestion: system/" "$WORK/hub.yaml"
kill -HUP "$PID_hub2"
wait_log hub2 'configuration reloaded'
grep -q 'reload: listen, tcp_congestion, state_dir and tls take effect at the next start' \
  "$WORK/hub2.log" || fail "a reload changing tcp_congestion did not say it waits for a start"
check_all "after a reload"
ok "a reload with another tcp_congestion says it takes a start; the connections keep $CC"
