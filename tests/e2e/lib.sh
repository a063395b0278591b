# lib.sh: shared pieces of the end-to-end tests. Each test sources this, then
# builds its own namespaces, named with a per-run prefix so runs never clash.
# Only loopback and addresses inside these namespaces are ever contacted.
set -euo pipefail

SOFTETHER=${SOFTETHER:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/softether}
[ -x "$SOFTETHER" ] || { echo "no binary at $SOFTETHER (build first)"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: end-to-end tests need root (network namespaces, TAP)"; exit 77
fi

# Whom a hub without a user: setting becomes: the softether user where an
# install (make run, make install, the package) made it, else nobody.
HUB_USER=nobody
id -u softether >/dev/null 2>&1 && HUB_USER=softether

PFX="se$(( $$ % 100000 ))"          # namespace and veth prefix, unique per run
WORK=$(mktemp -d /tmp/softether-e2e.XXXXXX)
chmod 755 "$WORK"   # the hub gives up root: its state directory is in here
NAMESPACES=()
PIDS=()

cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    echo "---- logs ($WORK) ----"
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 40 "$f"; }; done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok()   { echo "ok: $*"; }

# mkns NAME: a namespace with loopback up.
mkns() {
  ip netns add "$1"
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces.
link() {
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"; ip -n "$1" link set "$2" up
  ip -n "$4" addr add "$6" dev "$5"; ip -n "$4" link set "$5" up
}

# cut_link NS IFACE: every packet into or out of IFACE in NS dropped (an
# nftables table "cut") until mend_link NS: a link that goes silent, as a
# pulled cable or a blackholing middlebox makes it.
cut_link() {
  ip netns exec "$1" nft -f - <<NFT
table inet cut {
  chain i { type filter hook input priority 0; iifname "$2" drop; }
  chain o { type filter hook output priority 0; oifname "$2" drop; }
}
NFT
}
mend_link() { ip netns exec "$1" nft delete table inet cut; }

# star N: the usual star. Namespaces $H (hub), $A and $B (cards); A reaches the
# hub at 10.N.1.1 from 10.N.1.2, B at 10.N.2.1 from 10.N.2.2. H does not forward.
star() {
  H=${PFX}h A=${PFX}a B=${PFX}b
  mkns "$H"; mkns "$A"; mkns "$B"
  link "$A" va "10.$1.1.2/24" "$H" ha "10.$1.1.1/24"
  link "$B" vb "10.$1.2.2/24" "$H" hb "10.$1.2.1/24"
}

# start NAME NS CMD...: run in the background, log to $WORK/NAME.log.
start() {
  local name=$1 ns=$2; shift 2
  ip netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$name=$!"
}

# wait_log NAME REGEX [SECONDS]: until the log shows REGEX.
wait_log() {
  local i
  for ((i = 0; i < ${3:-15} * 10; i++)); do
    grep -Eq -- "$2" "$WORK/$1.log" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "$1: no '$2' within ${3:-15}s"
}

# wait_listen NS ADDR PORT [SECONDS [PID [NAME]]]: until something in NS
# listens on TCP ADDR:PORT (polled every 0.1 s, at most SECONDS, default 10).
# With PID, fail at once if that process (the would-be listener) has ended;
# NAME names it in the messages, with the tail of $WORK/NAME.log if there is one.
wait_listen() {
  local ns=$1 addr=$2 port=$3 secs=${4:-10} pid=${5:-} name=${6:-} i
  for ((i = 0; i < secs * 10; i++)); do
    [ -n "$(ip netns exec "$ns" ss -Hltn "src $addr:$port")" ] && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      if [ -n "$name" ] && [ -f "$WORK/$name.log" ]; then
        fail "$name exited: $(tail -n 3 "$WORK/$name.log")"
      fi
      fail "${name:-listener in $ns} exited before listening on $addr:$port"
    fi
    sleep 0.1
  done
  fail "${name:+$name: }nothing listens on $addr:$port in $ns within ${secs}s"
}

# wait_more NAME REGEX SECONDS: until the log shows REGEX more often than it did
# when mark NAME REGEX was called (for events that happen more than once).
mark() { MARK=$(grep -Ec -- "$2" "$WORK/$1.log" 2>/dev/null || true); }
wait_more() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ "$(grep -Ec -- "$2" "$WORK/$1.log" 2>/dev/null || true)" -gt "${MARK:-0}" ] && return 0
    sleep 0.1
  done
  fail "$1: no new '$2' within $3s"
}

# wait_exit PID SECONDS: the process (a child of this shell) ends; its exit
# status goes to $ST ("timeout" if it is still running).
wait_exit() {
  local i
  ST=timeout
  for ((i = 0; i < $2 * 10; i++)); do
    if ! kill -0 "$1" 2>/dev/null; then
      ST=0; wait "$1" || ST=$?
      return 0
    fi
    sleep 0.1
  done
}

# hub_config FILE HUB:USER:PWFILE...: a config with those hubs and users.
hub_config() {
  local file=$1; shift
  {
    echo "listen: [\"0.0.0.0:7777\"]"
    echo "state_dir: $WORK/state"
    echo "hubs:"
    local last=""
    for spec in "$@"; do
      IFS=: read -r hub user pwf <<<"$spec"
      if [ "$hub" != "$last" ]; then
        echo "  - name: $hub"; echo "    users:"; last=$hub
      fi
      echo "      - name: $user"
      echo "        password: \"$("$SOFTETHER" --hash-password <"$pwf")\""
    done
  } >"$file"
}

# runs_as PID USER CAPS: the process has given up root for USER and holds
# exactly the effective capabilities CAPS (hex, as /proc shows them).
runs_as() {
  local uid want caps
  want=$(id -u "$2")
  uid=$(awk '/^Uid:/ {print $2 " " $3 " " $4}' "/proc/$1/status")
  [ "$uid" = "$want $want $want" ] || fail "pid $1 runs as uid $uid, not $2 ($want)"
  caps=$(awk '/^CapEff:/ {print $2}' "/proc/$1/status")
  [ "$caps" = "$3" ] || fail "pid $1 holds capabilities $caps, not $3"
}

# fingerprint LOGNAME: the SHA-256 the hub logged.
fingerprint() {
  sed -n 's/.*certificate fingerprint SHA256 \([0-9a-f]\{64\}\).*/\1/p' "$WORK/$1.log" | head -n 1
}
