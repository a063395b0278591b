#!/usr/bin/env bash
# The console's changes survive kill -9 at any moment: 100 times, a burst of
# 200 "user add" changes is cut by kill -9 at a random moment; the state
# directory always loads, and holds exactly a prefix of the burst.
#
#   ns H: hub on 127.0.0.1:7790, its state in $WORK/state
. "$(dirname "$0")/lib.sh"

H=${PFX}p
mkns "$H"
printf 'pw\n' >"$WORK/pw"
cat >"$WORK/hub.yaml" <<YAML
listen: ["127.0.0.1:7790"]
state_dir: $WORK/state
hubs:
  - name: DEFAULT
    users:
      - name: keep
        password: "$("$SOFTETHER" --hash-password <"$WORK/pw")"
YAML
HASH=$("$SOFTETHER" --hash-password <"$WORK/pw")
for ((i = 1; i <= 200; i++)); do printf "user add DEFAULT u%03d --hash '%s'\n" "$i" "$HASH"; done >"$WORK/burst"
admin() { "$SOFTETHER" --admin -c "$WORK/hub.yaml" "$@"; }

RUNS=${PERSIST_RUNS:-100}
longest=0 cut=0
for ((run = 1; run <= RUNS; run++)); do
  rm -f "$WORK/state/managed.yaml"
  start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
  for ((i = 0; i < 100; i++)); do [ -S "$WORK/state/control.sock" ] && break; sleep 0.05; done
  admin <"$WORK/burst" >/dev/null 2>&1 &
  burst=$!
  sleep "0.$(printf '%03d' $((RANDOM % 400)))"
  kill -9 "$PID_hub"; wait "$PID_hub" 2>/dev/null || true
  wait "$burst" 2>/dev/null || true
  start hub "$H" "$SOFTETHER" --hub -c "$WORK/hub.yaml" -q
  for ((i = 0; i < 100; i++)); do admin -e status >/dev/null 2>&1 && break; sleep 0.05; done
  n=$(admin --json -e 'user list DEFAULT' | python3 -c '
import json, sys
names = [u["name"] for u in json.load(sys.stdin)["users"] if u["name"] != "keep"]
want = ["u%03d" % i for i in range(1, len(names) + 1)]
print(len(names) if names == want else -1)') || fail "run $run: the state does not load"
  [ "$n" -ge 0 ] || fail "run $run: the users are not a prefix of the burst"
  [ "$n" -gt "$longest" ] && longest=$n
  [ "$n" -gt 0 ] && [ "$n" -lt 200 ] && cut=$((cut + 1))
  kill -TERM "$PID_hub"; wait "$PID_hub" 2>/dev/null || true
done
ok "$RUNS kill -9 during a burst of changes: the state always loaded and held a prefix ($cut cut mid-burst, longest $longest of 200)"
