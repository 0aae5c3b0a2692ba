#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# census_compare.py CENSUS DEBUG2: compare the agentless census with the same
# process's goroutine?debug=2 goroutine by goroutine: id, state and wait
# reason (wait minutes dropped: the two are taken at different instants),
# and every frame's function and file:line +0x (argument values dropped:
# they are live data).  Running goroutines are excluded on both sides.
# Goroutines present on one side only are allowed only when created or
# ended between the two snapshots: at most --slack of them.
# Prints one line per difference (at most 20) and "OK N" on success.
import re, sys

def parse(path):
    gs, cur = {}, None
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^goroutine (\d+) \[([^\]]*)\]:$", line)
        if m:
            state = re.sub(r", \d+ minutes", "", m.group(2))
            cur = [state, []]
            gs[int(m.group(1))] = cur
            continue
        if cur is None or not line.strip():
            continue
        if line.startswith("\t"):
            cur[1].append(line.strip())
        elif line.startswith("created by ") or line.startswith("..."):
            cur[1].append(line)
        else:
            i = line.rfind("(")
            cur[1].append(line[:i] if line.endswith(")") and i > 0 else line)
    return {k: v for k, v in gs.items() if not v[0].startswith("running")}

slack = 0
args = [a for a in sys.argv[1:] if not a.startswith("--slack=")]
for a in sys.argv[1:]:
    if a.startswith("--slack="):
        slack = int(a[8:])
c, d = parse(args[0]), parse(args[1])
diffs = []
only = [k for k in c if k not in d] + [k for k in d if k not in c]
if len(only) > slack:
    diffs.append("%d goroutines on one side only (census-only %s, debug2-only %s)" % (
        len(only), sorted(k for k in c if k not in d)[:5], sorted(k for k in d if k not in c)[:5]))
for k in sorted(set(c) & set(d)):
    if c[k][0] != d[k][0]:
        diffs.append("goroutine %d: state census=%r debug2=%r" % (k, c[k][0], d[k][0]))
    elif c[k][1] != d[k][1]:
        a, b = c[k][1], d[k][1]
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        diffs.append("goroutine %d: frame %d census=%r debug2=%r" % (
            k, i, a[i] if i < len(a) else None, b[i] if i < len(b) else None))
for x in diffs[:20]:
    print(x)
if diffs:
    print("DIFF %d of %d goroutines compared" % (len(diffs), len(set(c) & set(d))))
    sys.exit(1)
print("OK %d" % len(set(c) & set(d)))
