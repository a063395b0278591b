#!/usr/bin/env bash
# The tunnel's own work per packet, counted rather than timed: user-space
# instructions of the hub and of each card (valgrind's callgrind) while
# card A pings card B across the hub, divided by the pings. Unlike the added
# RTT (bench/compare.sh), which on a virtual machine is mostly the cost of
# waking idle CPUs and of cold caches, this figure does not move with the
# machine's noise, so a change to the data path shows in it as it is.
#
#   ns A (card, callgrind) -- veth -- ns H (hub, callgrind) -- veth -- ns B (card, callgrind)
#
# The cards log in by key (a password would make each login an Argon2id hash
# under valgrind). Counting starts once all three are up and a few pings have
# gone (callgrind_control -i on), stops after PINGS pings (default 200, one
# every 20 ms), and each process dumps its counts; the script prints the
# instructions per ping of each (two packets: the echo and its reply) and the
# heaviest functions of the hub. Installs valgrind with apt-get if missing.
# SOFTETHER=path picks the binary (default build/softether). Figures only.
set -euo pipefail
SOFTETHER=${SOFTETHER:-$(cd "$(dirname "$0")/.." && pwd)/build/softether}
PINGS=${PINGS:-200}
export SOFTETHER
. "$(dirname "$0")/../tests/e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
  echo "valgrind missing: apt-get install -y valgrind"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get install -y -q valgrind >"$WORK/apt.log" 2>&1 ||
    { timeout 300 apt-get update -q >>"$WORK/apt.log" 2>&1 &&
      timeout 300 apt-get install -y -q valgrind >>"$WORK/apt.log" 2>&1; } ||
    fail "valgrind cannot be installed: $(tail -n 1 "$WORK/apt.log")"
fi

star 74
LAN=192.168.74
for n in a b; do
  pub=$("$SOFTETHER" --gen-key "$WORK/$n.key" | sed -n 's/^public_key: "\(.*\)"$/\1/p')
  [ -n "$pub" ] || fail "--gen-key gave no public key"
  eval "PUB_$n=\$pub"
done
# user: root, so that callgrind_control (as root) may speak to the hub.
cat >"$WORK/hub.yaml" <<EOF
listen: ["0.0.0.0:7777"]
state_dir: $WORK/state
user: root
hubs:
  - name: DEFAULT
    users:
      - name: a
        public_key: "$PUB_a"
      - name: b
        public_key: "$PUB_b"
EOF
CG=(valgrind --tool=callgrind --instr-atstart=no)
start hub "$H" "${CG[@]}" --callgrind-out-file="$WORK/cg.hub" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
wait_listen "$H" 0.0.0.0 7777 60 "$PID_hub" hub
start nicA "$A" "${CG[@]}" --callgrind-out-file="$WORK/cg.nicA" "$SOFTETHER" --nic \
  --connect 10.74.1.1:7777 --user a --key-file "$WORK/a.key" --known-hubs "$WORK/kh" --ip $LAN.1/24
start nicB "$B" "${CG[@]}" --callgrind-out-file="$WORK/cg.nicB" "$SOFTETHER" --nic \
  --connect 10.74.2.1:7777 --user b --key-file "$WORK/b.key" --known-hubs "$WORK/kh" --ip $LAN.2/24
wait_log nicA 'vpn0 up' 120; wait_log nicB 'vpn0 up' 120
ip netns exec "$A" ping -c 5 -W 5 $LAN.2 >/dev/null || fail "no ping over softether"

# cg PID ARG...: callgrind_control on one process, quiet unless it fails.
cg() { callgrind_control "$@" >"$WORK/cgc.log" 2>&1 || fail "callgrind_control $*: $(tail -n 2 "$WORK/cgc.log")"; }
for p in "$PID_hub" "$PID_nicA" "$PID_nicB"; do cg -i on "$p"; done
ip netns exec "$A" ping -q -c "$PINGS" -i 0.02 -W 5 $LAN.2 >"$WORK/ping.log" ||
  fail "pings lost: $(tail -n 2 "$WORK/ping.log")"
for p in "$PID_hub" "$PID_nicA" "$PID_nicB"; do cg -i off "$p"; cg -d "$p"; done

# total FILE...: the instructions counted in the dumps (the last part of each).
total() { local f; for f in "$@"; do callgrind_annotate "$f" 2>/dev/null |
  sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,; done |
  awk '{t += $1} END {print t + 0}'; }
echo "user-space instructions per ping ($PINGS pings A -> B at 20 ms, echo and reply):"
for n in hub nicA nicB; do
  files=("$WORK"/cg.$n.*)
  [ -e "${files[0]}" ] || fail "no callgrind dump of $n"
  t=$(total "${files[@]}")
  awk -v n="$n" -v t="$t" -v p="$PINGS" \
    'BEGIN {printf "  %-5s %9.0f a ping, %7.0f a packet\n", n, t / p, t / p / 2}'
done
echo "the hub's heaviest functions (all of the counted pings):"
callgrind_annotate "$WORK"/cg.hub.* 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,14p'
