#!/usr/bin/env python3
"""promcheck.py: a strict reader of the Prometheus text exposition format
(version 0.0.4), for the tests when promtool is not installed.

    promcheck.py [--prefix P] (--url URL | FILE | -) [--get 'NAME k=v,...']...

Checks, line by line: every family has # HELP then # TYPE before its
samples and its samples together; metric and label names are valid (and
start with the prefix); label values are quoted with only \\\\, \\" and \\n
escapes; values are numbers; no series appears twice; counters are named
*_total and are finite and non-negative. With --url it fetches the page
first (status 200, the exposition Content-Type). Each --get prints the
value of that series (labels in any order), or fails if it is missing.
Exit status 0, or 1 with the first problem on stderr.
"""
import argparse
import math
import re
import sys
import urllib.error
import urllib.request

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class Bad(Exception):
    pass


def parse_value(s, where):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s):
        raise Bad(f"{where}: value {s!r} is not a number")
    return float(s)


def parse_labels(text, i, where):
    """text[i] is after '{': returns (labels, index after '}')."""
    labels = {}
    while True:
        if text.startswith("}", i) and not labels:
            return labels, i + 1
        m = LABEL.match(text, i)
        if not m:
            raise Bad(f"{where}: bad label name at column {i + 1}")
        name = m.group(0)
        if name.startswith("__"):
            raise Bad(f"{where}: label {name} is reserved")
        i = m.end()
        if not text.startswith('="', i):
            raise Bad(f"{where}: expected =\" after label {name}")
        i += 2
        val = []
        while True:
            if i >= len(text):
                raise Bad(f"{where}: label {name}'s value is not closed")
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise Bad(f"{where}: bad escape \\{nxt} in label {name}")
                val.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
                continue
            if c == '"':
                i += 1
                break
            val.append(c)
            i += 1
        if name in labels:
            raise Bad(f"{where}: label {name} twice")
        labels[name] = "".join(val)
        if text.startswith(",", i):
            i += 1
            continue
        if text.startswith("}", i):
            return labels, i + 1
        raise Bad(f"{where}: expected , or }} after label {name}")


def check(text, prefix):
    """The samples as {(name, frozenset(labels)): value}."""
    if not text:
        raise Bad("empty page")
    if not text.endswith("\n"):
        raise Bad("the last line has no newline")
    families = {}      # name -> type
    done = set()       # families whose samples are over
    cur = None         # (name, type) of the family being read
    help_for = None
    series = {}
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {n}"
        if line == "":
            raise Bad(f"{where}: empty line")
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[0] != "#" or parts[1] not in ("HELP", "TYPE"):
                raise Bad(f"{where}: a comment that is neither HELP nor TYPE")
            name = parts[2]
            if not METRIC.fullmatch(name) or not name.startswith(prefix):
                raise Bad(f"{where}: bad family name {name!r}")
            if parts[1] == "HELP":
                if name in families or name == help_for:
                    raise Bad(f"{where}: family {name} described twice")
                if len(parts) < 4 or not parts[3].strip():
                    raise Bad(f"{where}: HELP of {name} is empty")
                if re.search(r"\\[^\\n]", parts[3]):
                    raise Bad(f"{where}: bad escape in HELP of {name}")
                if cur is not None:
                    done.add(cur[0])
                help_for, cur = name, None
                continue
            if help_for != name:
                raise Bad(f"{where}: TYPE of {name} without its HELP just before")
            if len(parts) != 4 or parts[3] not in TYPES:
                raise Bad(f"{where}: bad TYPE line")
            families[name] = parts[3]
            cur, help_for = (name, parts[3]), None
            continue
        m = METRIC.match(line)
        if not m:
            raise Bad(f"{where}: bad metric name")
        name = m.group(0)
        if cur is None:
            raise Bad(f"{where}: sample {name} before its family's HELP and TYPE")
        fam, typ = cur
        ok = name == fam or (typ in ("histogram", "summary") and
                             name in (fam + "_sum", fam + "_count", fam + "_bucket"))
        if not ok:
            if name in done or name in families:
                raise Bad(f"{where}: samples of {name} are not together")
            raise Bad(f"{where}: sample {name} in family {fam}")
        i = m.end()
        labels = {}
        if line.startswith("{", i):
            labels, i = parse_labels(line, i + 1, where)
        if not line.startswith(" ", i):
            raise Bad(f"{where}: expected a space before the value")
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2):
            raise Bad(f"{where}: expected a value and at most a timestamp")
        value = parse_value(rest[0], where)
        if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
            raise Bad(f"{where}: bad timestamp")
        if typ == "counter":
            if not fam.endswith("_total"):
                raise Bad(f"{where}: counter {fam} is not named *_total")
            if not math.isfinite(value) or value < 0:
                raise Bad(f"{where}: counter {name} is {rest[0]}")
        key = (name, frozenset(labels.items()))
        if key in series:
            raise Bad(f"{where}: series {line.rsplit(' ', 1)[0]} twice")
        series[key] = value
    if help_for is not None:
        raise Bad(f"family {help_for} has HELP but no TYPE")
    return series


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            if r.status != 200:
                raise Bad(f"{url}: status {r.status}")
            ct = r.headers.get("Content-Type")
            if ct != CONTENT_TYPE:
                raise Bad(f"{url}: Content-Type {ct!r}, expected {CONTENT_TYPE!r}")
            return r.read().decode("utf-8")
    except urllib.error.URLError as e:
        raise Bad(f"{url}: {e}")


def get(series, spec):
    name, _, labels = spec.partition(" ")
    want = {}
    for kv in filter(None, labels.replace(" ", "").split(",")):
        k, _, v = kv.partition("=")
        want[k] = v
    value = series.get((name, frozenset(want.items())))
    if value is None:
        raise Bad(f"no series {spec}")
    return str(int(value)) if value.is_integer() else repr(value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", default="softether_")
    ap.add_argument("--url")
    ap.add_argument("--get", action="append", default=[])
    ap.add_argument("file", nargs="?")
    a = ap.parse_args()
    try:
        if a.url:
            text = fetch(a.url)
        elif a.file in (None, "-"):
            text = sys.stdin.read()
        else:
            with open(a.file, encoding="utf-8") as f:
                text = f.read()
        series = check(text, a.prefix)
        for spec in a.get:
            print(get(series, spec))
    except Bad as e:
        print(f"promcheck: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
