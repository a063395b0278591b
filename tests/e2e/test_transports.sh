#!/usr/bin/env bash
# Through the firewall: a card whose only way out is a proxy host.
#
#   ns B (card)               ns H (hub :7777)             ns P (no forwarding)             ns C (card)
#   vpn0 192.168.83.2/24                                  tinyproxy :3128 open             vpn0 192.168.83.1/24
#                                                         tinyproxy :3129 Basic auth
#                                                         tinyproxy :3130 CONNECT 443 only
#                                                         danted    :1080 no auth
#                                                         danted    :1081 user/password
#                                                         sshd      :2222 root by key
#   vb 10.83.2.2 ------------ hb 10.83.2.1  hp 10.83.3.1 -- ph 10.83.3.2  pc 10.83.4.1 ------ cp 10.83.4.2
#
# C has no route past P. Checks: --via direct fails; through each of HTTP
# CONNECT (open and with Basic credentials), SOCKS4, SOCKS5 (no auth and user
# name/password, against a throwaway system user) and ssh -W, the card joins
# the hub, pings B and carries 20 MB with a matching checksum; wrong proxy
# credentials, a refused CONNECT, a refused ruleset and a refused ssh key each
# fail with their message in the card's log. Through the open HTTP proxy the
# card's connection runs the congestion control --tcp-congestion names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transports_lib.sh"

tr_topology 83
tr_hub
t0=$SECONDS

# A throwaway system user for dante's username method, which checks system
# passwords; tr_cleanup removes it.
user=setr$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
id "$user" >/dev/null 2>&1 && fail "user $user exists already"
useradd -M -N -r -s /usr/sbin/nologin "$user"
TR_USER=$user
SOCKS_PW=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
echo "$TR_USER:$SOCKS_PW" | chpasswd
printf '%s\n' "$SOCKS_PW" >"$WORK/socks.pw"
printf 'http-secret\n' >"$WORK/http.pw"
printf 'wrong\n' >"$WORK/wrong.pw"

tr_tinyproxy tp 3128 7777
tr_tinyproxy tpauth 3129 7777 hu http-secret
tr_tinyproxy tp443 3130 443
tr_danted dante 1080 none
tr_danted danteauth 1081 username
tr_sshd sshd 2222
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$WORK/id_stranger"
ok "proxy host up: 3 tinyproxy, 2 danted, sshd"

# Without a proxy the hub is out of reach.
tr_card direct
wait_log direct "connect to $HUB port 7777: Network is unreachable"
tr_stop direct
ok "--via direct from C: network unreachable"

head -c 20000000 /dev/urandom >"$WORK/blob"
want=$(sha256sum <"$WORK/blob" | cut -d' ' -f1)
port=5000

# through NAME VIA PROXYLOG PROOF ARGS...: join through it, ping B, 20 MB to
# B, leave; PROOF is what the server's log shows for the tunnel.
through() {
  local name=$1 via=$2 slog=$3 proof=$4; shift 4
  local seen i
  seen=$(wc -l <"$WORK/$slog.log")
  tr_card "$name" --via "$via" "$@"
  wait_log "$name" "vpn0 up: connected to $HUB:7777 via $via" 20
  for ((i = 0; i < 50; i++)); do
    tail -n +$((seen + 1)) "$WORK/$slog.log" | grep -Eq -- "$proof" && break
    sleep 0.1
  done
  [ $i -lt 50 ] || fail "$name: no '$proof' in the $slog log"
  [ -z "${THROUGH_HOOK:-}" ] || "$THROUGH_HOOK"
  ip netns exec "$C" ping -c 3 -i 0.2 -W 2 "192.168.83.2" >/dev/null || fail "$name: ping C -> B"
  port=$((port + 1))
  ip netns exec "$B" timeout 60 nc -l -N 192.168.83.2 $port >"$WORK/blob.out" &
  local rx=$!
  wait_listen "$B" 192.168.83.2 $port
  ip netns exec "$C" timeout 60 nc -N 192.168.83.2 $port <"$WORK/blob" || fail "$name: send 20 MB"
  wait $rx || true
  [ "$(sha256sum <"$WORK/blob.out" | cut -d' ' -f1)" = "$want" ] ||
    fail "$name: 20 MB checksum mismatch ($(stat -c %s "$WORK/blob.out") bytes)"
  tr_stop "$name"
  ok "--via $via ($name): joined, ping, 20 MB checksum matches"
}

HP=$PROXY
# Through the open HTTP proxy the card names a congestion control other than
# C's default: its connection to the proxy runs it.
CC=reno
[ "$(ip netns exec "$C" sysctl -n net.ipv4.tcp_congestion_control)" != reno ] ||
  CC=$(tr ' ' '\n' </proc/sys/net/ipv4/tcp_available_congestion_control | grep -vx reno | head -n 1)
proxy_cc() {
  local info
  info=$(ip netns exec "$C" ss -Htin state established dst "$HP:3128" | sed -n 2p)
  grep -Eq "(^|[[:space:]])$CC([[:space:]]|$)" <<<"$info" ||
    fail "http: the connection to the proxy does not run $CC: '$info'"
}
if [ -n "$CC" ]; then
  THROUGH_HOOK=proxy_cc through http http-proxy tp "Request .*: CONNECT $HUB:7777 " \
    --proxy "$HP:3128" --tcp-congestion "$CC"
  ok "--via http-proxy --tcp-congestion $CC: the connection to the proxy runs it"
else
  through http http-proxy tp "Request .*: CONNECT $HUB:7777 " --proxy "$HP:3128"
fi
through httpauth http-proxy tpauth "Request .*: CONNECT $HUB:7777 " --proxy "$HP:3129" \
  --proxy-user hu --proxy-password-file "$WORK/http.pw"
through socks4 socks4 dante "pass\(1\): tcp/connect .*$HUB\.7777" --proxy "$HP:1080"
through socks5 socks5 dante "pass\(1\): tcp/connect .*$HUB\.7777" --proxy "$HP:1080"
through socks5auth socks5 danteauth "pass\(1\): tcp/connect .*$TR_USER.*$HUB\.7777" \
  --proxy "$HP:1081" --proxy-user "$TR_USER" --proxy-password-file "$WORK/socks.pw"
# Through ssh as if started with sudo by nobody: the card becomes nobody and
# ssh runs as nobody, with nobody's copy of the key.
mkdir -m 700 "$WORK/nobody"
cp "$WORK/id_ok" "$WORK/nobody/id_ok"
chown -R nobody "$WORK/nobody"
tr_ssh_opts id_ok nobody
TR_ENV=(env SUDO_UID="$(id -u nobody)" SUDO_GID="$(id -g nobody)")
ssh_runs_as_nobody() {
  local ssh
  ssh=$(pgrep -P "$PID_ssh" -x ssh) || fail "no ssh under the card"
  runs_as "$PID_ssh" nobody 0000000000001000
  runs_as "$ssh" nobody 0000000000000000
  ok "the card and its ssh run as sudo's user (nobody); ssh holds no capability"
}
THROUGH_HOOK=ssh_runs_as_nobody
through ssh ssh sshd "Accepted publickey for root" --ssh "root@$HP:2222" "${SSH_OPTS[@]}"
TR_ENV=() THROUGH_HOOK=
[ "$(grep -c "session [0-9]* up: user=u from=10.83.3.2:" "$WORK/hub.log")" = 6 ] ||
  fail "the hub did not see all six sessions come from the proxy host"
ok "the hub saw every session come from the proxy host"

# refused NAME REGEX ARGS...: the card logs why and keeps retrying until stopped.
refused() {
  local name=$1 re=$2; shift 2
  tr_card "$name" "$@"
  wait_log "$name" "$re" 15
  tr_stop "$name"   # before the next card wants vpn0
  ok "$name: $(grep -Eo -m1 -- "$re" "$WORK/$name.log")"
}
refused badhttp "proxy $HP:3129 refused CONNECT: \"HTTP/1\\.[01] 401 Unauthorized\" \\(wrong proxy user or password\\?\\)" \
  --via http-proxy --proxy "$HP:3129" --proxy-user hu --proxy-password-file "$WORK/wrong.pw"
refused nohttp "proxy $HP:3129 refused CONNECT: \"HTTP/1\\.[01] 407 Proxy Authentication Required\"" \
  --via http-proxy --proxy "$HP:3129"
refused http403 "proxy $HP:3130 refused CONNECT: \"HTTP/1\\.[01] 403 Access violation\"" \
  --via http-proxy --proxy "$HP:3130"
HUBPORT=7778 refused socksrule "SOCKS5 proxy $HP:1080 could not connect to $HUB:7778: connection not allowed by ruleset \\(reply code 2\\)" \
  --via socks5 --proxy "$HP:1080"
refused badsocks "SOCKS5 proxy $HP:1081: proxy user or password refused" \
  --via socks5 --proxy "$HP:1081" --proxy-user "$TR_USER" --proxy-password-file "$WORK/wrong.pw"
tr_ssh_opts id_stranger
refused badkey "ssh exited with status 255: root@$HP: Permission denied \\(publickey\\)" \
  --via ssh --ssh "root@$HP:2222" "${SSH_OPTS[@]}"
wait_log sshd "Connection closed by authenticating user root" 5
echo "figure: transports tested in $((SECONDS - t0)) s after the hub was up"
