#!/usr/bin/env bash
# README's "Two machines on one LAN in five minutes", run as written: every
# line of its sh blocks that starts with a machine's prompt (A#, B#, C#) is
# taken from README.md and run on that machine (a network namespace), and
# the README must hold exactly the commands this test knows how to check, so
# neither can change without the other. Only these substitutions are made:
#   - `softether` is the binary under test;
#   - `make run` (deps, build, then build/softether --hub) is the hub started
#     as make run starts it, but with its state directory under the test's
#     own directory (never /var/lib/softether), which A's `softether --admin`
#     commands are then told too;
#   - in B's and C's pasted lines, the part up to the fingerprint is the line
#     this hub printed for the address they reach (as the user pastes it);
#   - B pings the address C's card says it got by DHCP (README's example
#     address stands for it).
#
#   ns B (card) -- veth -- ns A (hub, no forwarding) -- veth -- ns C (card)
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
README=$SRC/README.md
A=${PFX}a B=${PFX}b C=${PFX}c
mkns "$A"; mkns "$B"; mkns "$C"
link "$B" vb 10.81.1.2/24 "$A" ab 10.81.1.1/24
link "$C" vc 10.81.2.2/24 "$A" ac 10.81.2.1/24

# The walkthrough's commands, in order: "MACHINE COMMAND".
mapfile -t STEPS < <(awk '
  /^## / { on = ($0 ~ /^## Two machines on one LAN/) }
  on && /^```sh$/ { code = 1; next }
  on && /^```$/ { code = 0; next }
  on && code && /^[ABC]# / { print substr($0, 1, 1) " " substr($0, 4) }' "$README")
[ "${#STEPS[@]}" -gt 0 ] || fail "no walkthrough commands found in README.md"
printf '%s\n' "${STEPS[@]}" >"$WORK/steps.txt"

# Each step must be one this test knows how to check (in this order).
EXPECT=(
  'A make run'
  'B echo * | softether --nic --connect * --fingerprint * &'
  'C echo * | softether --nic --connect * --fingerprint * &'
  'C softether --admin --nic'
  'B ping -c 3 *'
  'A printf * > bob.pw'
  "A softether --admin -e 'user add DEFAULT bob' --password-file bob.pw"
  "A softether --admin -e 'user list DEFAULT'"
)
[ "${#STEPS[@]}" -eq "${#EXPECT[@]}" ] ||
  fail "README has ${#STEPS[@]} walkthrough commands, this test checks ${#EXPECT[@]}: $(cat "$WORK/steps.txt")"
for i in "${!EXPECT[@]}"; do
  # shellcheck disable=SC2053
  [[ ${STEPS[$i]} == ${EXPECT[$i]} ]] ||
    fail "walkthrough step $((i + 1)) is '${STEPS[$i]}', not of the form '${EXPECT[$i]}'"
done
ok "README's walkthrough: ${#STEPS[@]} commands, each checked below"

STATE=$WORK/state
# on MACHINE CMD: the command as README has it, in that machine's
# namespace, in $WORK, with the binary under test as softether.
on() {
  local ns
  case $1 in A) ns=$A ;; B) ns=$B ;; C) ns=$C ;; esac
  ip netns exec "$ns" env PATH="$WORK/bin:$PATH" sh -c "cd '$WORK' && $2"
}
mkdir -p "$WORK/bin"
ln -s "$SOFTETHER" "$WORK/bin/softether"

for step in "${STEPS[@]}"; do
  m=${step%% *} cmd=${step#* }
  case $cmd in
  'make run')
    start hub "$A" "$SOFTETHER" --hub --state-dir "$STATE"
    wait_log hub 'hub running'
    LINE=$(grep -E "^  echo '[^']+' \| softether --nic --connect 10\.81\.1\.1:443 " "$WORK/hub.log") ||
      fail "the hub printed no line for 10.81.1.1"
    ok "A: make run's hub printed: ${LINE%% --fingerprint*} --fingerprint ..."
    POOL=$(sed -n 's/^Cards on hub DEFAULT get addresses by DHCP from \([0-9.]*\)\.0\/24 .*/\1/p' \
      "$WORK/hub.log")
    [ -n "$POOL" ] || fail "the hub did not say which /24 its DHCP server hands out"
    ok "A: its cards get addresses by DHCP from $POOL.0/24"
    ;;
  'echo '*)
    # The pasted line: what the hub printed, then what README adds.
    pasted="$(sed -E 's/^ +//' <<<"$LINE")$(sed -E 's/.*--fingerprint [^ ]+//' <<<"$cmd")"
    [ "$m" = C ] && pasted=${pasted/10.81.1.1/10.81.2.1}
    name=card$m
    on "$m" "${pasted% &}" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    wait_log "$name" 'vpn0 up'
    # The card runs under sh: stop it too at the end.
    PIDS+=($(ip netns pids "$([ "$m" = B ] && echo "$B" || echo "$C")"))
    ok "$m: the pasted line brings the card up"
    ;;
  'ping '*)
    # README's example address is C's: the one C's card said it got.
    [ -n "${C_ADDR:-}" ] || fail "$m: $cmd: C's address is not known yet"
    cmd="ping -c 3 $C_ADDR"
    # B pings from its own leased address (the card took it by now, or
    # soon: its status says).
    for ((i = 0; i < 100; i++)); do
      ip -n "$B" -4 addr show dev vpn0 | grep -q "inet $POOL\." && break
      sleep 0.1
    done
    on "$m" "$cmd" >"$WORK/ping.log" 2>&1 || fail "$m: $cmd: $(cat "$WORK/ping.log")"
    grep -q '3 received' "$WORK/ping.log" || fail "$m: $cmd: $(cat "$WORK/ping.log")"
    ok "$m: $cmd: 3 answers across the virtual LAN"
    ;;
  'softether --admin --nic')
    # The lease follows the login by a DHCP exchange: asked again until
    # the card names an address (at most 15 s).
    for ((i = 0; i < 150; i++)); do
      out=$(on "$m" "$cmd" 2>&1) || fail "$m: $cmd: $out"
      grep -Eq "^address +$POOL\.[0-9]+/24 \(dhcp" <<<"$out" && break
      sleep 0.1
    done
    grep -Eq '(^|[^a-z-])up([^a-z-]|$)' <<<"$out" || fail "$m: $cmd does not say up: $out"
    grep -q '10\.81\.2\.1' <<<"$out" || fail "$m: $cmd does not name the hub: $out"
    C_ADDR=$(sed -En "s/^address +($POOL\.[0-9]+)\/24 \(dhcp.*/\1/p" <<<"$out")
    [ -n "$C_ADDR" ] || fail "$m: $cmd names no address from $POOL.0/24 by DHCP: $out"
    ok "$m: $cmd says the card is up, on 10.81.2.1, with $C_ADDR/24 by DHCP"
    ;;
  'printf '*)
    on "$m" "$cmd" || fail "$m: $cmd"
    ;;
  'softether --admin '*)
    out=$(on "$m" "$cmd --state-dir '$STATE'" 2>&1) || fail "$m: $cmd: $out"
    echo "$out" >>"$WORK/admin.log"
    case $cmd in
    *'user list'*) grep -q 'bob' <<<"$out" || fail "$m: $cmd does not list bob: $out" ;;
    esac
    ok "$m: $cmd"
    ;;
  *) fail "no check for walkthrough step '$step'" ;;
  esac
done

# Bob's password works: a card logs in as bob.
ip netns exec "$C" "$SOFTETHER" --nic --connect 10.81.2.1:443 --user bob \
  --password-file "$WORK/bob.pw" --fingerprint "$(fingerprint hub)" --tap vpn1 \
  >"$WORK/bob.log" 2>&1 &
PIDS+=($!)
wait_log bob 'vpn1 up'
ok "the added user logs in with the password given"
