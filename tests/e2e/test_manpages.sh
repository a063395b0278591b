#!/usr/bin/env bash
# The manual pages say what the binary does, no more and no less:
#
#   mandoc -T lint -W warning ---------------> both pages: nothing to say
#   softether --help (every --option) <------> softether.8 (.It Fl -option)
#   unknown-key errors, hub and card  <------> softether.yaml.5 (.It Ic key,
#     (known: ...), one list per mapping          in that mapping's section)
#
# No hub or card runs: the binary only prints its help and checks files.
. "$(dirname "$0")/lib.sh"

MAN=$(cd "$(dirname "$0")/../.." && pwd)/man
P8=$MAN/softether.8
P5=$MAN/softether.yaml.5
command -v mandoc >/dev/null ||
  fail "mandoc is not installed (scripts/deps.sh installs it: apt-get install mandoc)"

# diffsets WHAT A-LIST B-LIST A-NAME B-NAME: both ways, or fail naming them.
diffsets() {
  local only_a only_b
  only_a=$(comm -23 <(sort -u <<<"$2") <(sort -u <<<"$3") | tr '\n' ' ')
  only_b=$(comm -13 <(sort -u <<<"$2") <(sort -u <<<"$3") | tr '\n' ' ')
  [ -z "$only_a$only_b" ] ||
    fail "$1:${only_a:+ $4 has, $5 lacks: $only_a;}${only_b:+ $5 has, $4 lacks: $only_b}"
}

# (a) Both pages are clean mdoc.
lint=$(mandoc -T lint -W warning "$P8" "$P5" 2>&1) && [ -z "$lint" ] ||
  fail "mandoc -T lint -W warning:
$lint"
ok "mandoc lint: nothing to say about either page"

# (b) The options --help prints are the options softether.8 documents as
# list entries; every long option the pages name anywhere is one of them.
help=$("$SOFTETHER" --help) || fail "softether --help failed"
help_opts=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u)
[ "$(wc -l <<<"$help_opts")" -gt 30 ] || fail "--help shows too few options: $help_opts"
page_opts=$(grep -E '^\.It ' "$P8" | grep -oE 'Fl -[a-z][a-z0-9-]*' |
  sed 's/^Fl /-/' | sort -u)
diffsets "softether.8 options" "$help_opts" "$page_opts" "--help" "softether.8's .It entries"
named=$(cat "$P8" "$P5" | grep -oE 'Fl -[a-z][a-z0-9-]*' | sed 's/^Fl /-/' | sort -u)
stray=$(comm -13 <(echo "$help_opts") <(echo "$named") | tr '\n' ' ')
[ -z "$stray" ] || fail "the pages name options --help does not: $stray"
ok "softether.8 documents the $(wc -l <<<"$help_opts") long options of --help, and only those"

# (c) Each mapping's keys, as the program lists them when it meets an
# unknown key, are the .It Ic entries of that mapping's section of
# softether.yaml.5.
known() {	# known ROLE YAML: the "(known: ...)" list, one key a line
  local out
  printf '%b' "$2" >"$WORK/probe.yaml"
  if [ "$1" = nic ]; then
    out=$("$SOFTETHER" --nic --check-config -c "$WORK/probe.yaml" 2>&1) || true
  else
    out=$("$SOFTETHER" --check-config -c "$WORK/probe.yaml" 2>&1) || true
  fi
  grep -q "unknown key 'nope' (known: " <<<"$out" ||
    fail "$1 file '$2': no unknown-key error listing the keys: $out"
  sed -n "s/.*unknown key 'nope' (known: \(.*\))$/\1/p" <<<"$out" | tr -d ' ' | tr ',' '\n'
}
section() {	# section TITLE: the keys listed in .Ss/.Sh TITLE
  awk -v t="$1" '
    /^\.S[sh] / { on = (substr($0, 5) == t); next }
    on && /^\.It Ic / { print $3 }' "$P5"
}
n=0
while IFS='|' read -r role title yaml; do
  keys=$(known "$role" "$yaml")
  [ -n "$keys" ] || fail "$role file '$yaml': an empty list of keys"
  doc=$(section "$title")
  [ -n "$doc" ] || fail "softether.yaml.5 has no section '$title' with keys"
  diffsets "softether.yaml.5 section '$title' (for '${yaml%\\n}')" "$keys" "$doc" \
    "the $role's error" "the page"
  n=$((n + $(wc -l <<<"$keys")))
done <<'EOF'
hub|Top level|nope: 1\n
hub|tls|tls: {nope: 1}\n
hub|log|log: {nope: 1}\n
hub|admin|admin: {nope: 1}\n
hub|metrics|metrics: {nope: 1}\n
hub|limits|limits: {nope: 1}\n
hub|hubs|hubs: [{name: X, nope: 1}]\n
hub|users|hubs: [{name: X, users: [{name: u, nope: 1}]}]\n
hub|dhcp|hubs: [{name: X, dhcp: {nope: 1}}]\n
hub|Static leases|hubs: [{name: X, dhcp: {static: [{ip: 10.0.0.1, nope: 1}]}}]\n
hub|Policies|hubs: [{name: X, default_policy: {nope: 1}}]\n
hub|Policies|hubs: [{name: X, users: [{name: u, policy: {nope: 1}}]}]\n
hub|Policies|bridges: [{interface: eth1, hub: DEFAULT, policy: {nope: 1}}]\n
hub|bridges|bridges: [{nope: 1}]\n
nic|CARD FILE|nope: 1\n
EOF
ok "softether.yaml.5 documents every key of the hub's and the card's files ($n, by section), and only those"
