# transports_lib.sh: the "behind a firewall" topology that test_transports.sh
# and bench/transports.sh share: a hub, a card beside it, a proxy host running
# throwaway proxy and ssh servers, and a client whose only way out is that host.
# Sourced after lib.sh.
#
#   ns B (card)              ns H (hub :7777)             ns P (proxies)            ns C (client)
#   vb 10.N.2.2 ------------ hb 10.N.2.1  hp 10.N.3.1 ---- ph 10.N.3.2  pc 10.N.4.1 ---- cp 10.N.4.2
#
# P never forwards and C knows no route past P, so from C the hub is reached
# only through a server in P. tr_topology N routed makes P a plain router
# instead (for the benchmark's direct baseline over the same hops).

# tr_topology N [routed]
tr_topology() {
  TR_N=$1
  H=${PFX}h P=${PFX}p C=${PFX}c B=${PFX}b
  mkns "$H"; mkns "$P"; mkns "$C"; mkns "$B"
  link "$B" vb "10.$1.2.2/24" "$H" hb "10.$1.2.1/24"
  link "$P" ph "10.$1.3.2/24" "$H" hp "10.$1.3.1/24"
  link "$C" cp "10.$1.4.2/24" "$P" pc "10.$1.4.1/24"
  HUB=10.$1.3.1 PROXY=10.$1.4.1
  if [ "${2:-}" = routed ]; then
    ip netns exec "$P" sysctl -qw net.ipv4.ip_forward=1
    ip -n "$C" route add "10.$1.3.0/24" via "$PROXY"
    ip -n "$H" route add "10.$1.4.0/24" via "10.$1.3.2"
  else
    ip netns exec "$P" sysctl -qw net.ipv4.ip_forward=0
  fi
}

# tr_cleanup: the servers first, and whatever they forked (dante's children
# outlive their parent for a moment), then a throwaway user, then lib.sh's.
TR_USER=""
tr_cleanup() {
  local rc=$? ns i p
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for ns in "${NAMESPACES[@]}"; do
    for ((i = 0; i < 30; i++)); do
      [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
      sleep 0.1
    done
    # Only processes inside namespaces this run made are left here.
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p"; done
  done
  [ -n "$TR_USER" ] && userdel "$TR_USER" 2>/dev/null
  (exit $rc)
  cleanup
}
trap tr_cleanup EXIT
# An interrupted run cleans up too (it may have made a system user).
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_port NAME NS ADDR PORT: until server NAME (started by start) listens;
# lib.sh's wait_listen, failing at once if NAME has exited.
wait_port() {
  local pid
  eval "pid=\$PID_$1"
  wait_listen "$2" "$3" "$4" 10 "$pid" "$1"
}

# tr_hub: the hub in H and card B (192.168.N.2) beside it; sets FP.
tr_hub() {
  printf 'card-secret\n' >"$WORK/pw"
  hub_config "$WORK/hub.yaml" DEFAULT:u:"$WORK/pw"
  start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml"
  wait_log hub 'listening on 0.0.0.0:7777'
  FP=$(fingerprint hub)
  [ ${#FP} -eq 64 ] || fail "hub did not log its fingerprint"
  start nicB "$B" "$SOFTETHER" --nic --connect "10.$TR_N.2.1:7777" --user u \
      --password-file "$WORK/pw" --fingerprint "$FP" --mac 5e:00:00:00:00:0b \
      --ip "192.168.$TR_N.2/24"
  wait_log nicB 'vpn0 up'
}

# tr_card NAME ARGS...: the card in C (192.168.N.1, fixed MAC so B's
# neighbour entry stays right from one transport to the next), started
# through the command in TR_ENV (an array) if set.
TR_ENV=()
tr_card() {
  local name=$1; shift
  start "$name" "$C" ${TR_ENV[@]+"${TR_ENV[@]}"} "$SOFTETHER" --nic --connect "$HUB:${HUBPORT:-7777}" --user u \
      --password-file "$WORK/pw" --fingerprint "$FP" --mac 5e:00:00:00:00:0c \
      --ip "192.168.$TR_N.1/24" "$@"
}

# tr_stop NAME: the card says goodbye and exits.
tr_stop() {
  local pid
  eval "pid=\$PID_$1"
  kill -TERM "$pid" 2>/dev/null || true
  wait_exit "$pid" 10
  [ "$ST" = 0 ] || fail "$1 did not stop cleanly on SIGTERM ($ST)"
}

# tr_tinyproxy NAME PORT CONNECTPORT [USER PASSWORD]: HTTP CONNECT on PROXY:PORT,
# allowing CONNECT to CONNECTPORT only, with Basic credentials when given.
tr_tinyproxy() {
  {
    echo "Port $2"
    echo "Listen $PROXY"
    echo "Timeout 60"
    echo "MaxClients 16"
    echo "LogLevel Connect"
    echo "Allow 10.$TR_N.4.0/24"
    echo "ConnectPort $3"
    [ $# -ge 5 ] && echo "BasicAuth $4 $5"
  } >"$WORK/$1.conf"
  start "$1" "$P" tinyproxy -d -c "$WORK/$1.conf"
  wait_port "$1" "$P" "$PROXY" "$2"
}

# tr_danted NAME PORT METHOD: SOCKS4 and SOCKS5 on PROXY:PORT, CONNECT to the
# hub's port 7777 only; METHOD none, or username (system users' passwords).
tr_danted() {
  cat >"$WORK/$1.conf" <<EOF
logoutput: stderr
internal: $PROXY port = $2
external: 10.$TR_N.3.2
clientmethod: none
socksmethod: $3
user.privileged: root
user.unprivileged: nobody
client pass {
  from: 10.$TR_N.4.0/24 to: 0.0.0.0/0
}
socks pass {
  from: 10.$TR_N.4.0/24 to: $HUB/32 port = 7777
  command: connect
  log: connect
}
socks block {
  from: 0.0.0.0/0 to: 0.0.0.0/0
  log: connect error
}
EOF
  start "$1" "$P" danted -f "$WORK/$1.conf" -N 1
  wait_port "$1" "$P" "$PROXY" "$2"
}

# tr_sshd NAME PORT: OpenSSH on PROXY:PORT, root by key ($WORK/id_ok) only.
tr_sshd() {
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C "$1-host" -f "$WORK/$1_host"
  [ -f "$WORK/id_ok" ] || ssh-keygen -q -t ed25519 -N '' -C ok -f "$WORK/id_ok"
  cp "$WORK/id_ok.pub" "$WORK/$1_authorized_keys"
  cat >"$WORK/$1.conf" <<EOF
Port $2
ListenAddress $PROXY
HostKey $WORK/$1_host
PidFile none
UsePAM no
StrictModes no
AllowUsers root
PermitRootLogin prohibit-password
AuthenticationMethods publickey
AuthorizedKeysFile $WORK/$1_authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
PermitOpen $HUB:7777
PermitTTY no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOF
  start "$1" "$P" /usr/sbin/sshd -D -e -f "$WORK/$1.conf"
  wait_port "$1" "$P" "$PROXY" "$2"
}

# tr_ssh_opts KEY [DIR]: the client's ssh options for the throwaway known_hosts
# (in DIR under $WORK, if given, with the key).
tr_ssh_opts() {
  local d=$WORK${2:+/$2}
  SSH_OPTS=(--ssh-option "IdentityFile=$d/$1" --ssh-option IdentitiesOnly=yes
      --ssh-option "UserKnownHostsFile=$d/known_hosts"
      --ssh-option GlobalKnownHostsFile=/dev/null
      --ssh-option StrictHostKeyChecking=accept-new --ssh-option UpdateHostKeys=no)
}
