#!/usr/bin/env bash
# Side-by-side `audit verify` timing of two audit_bench binaries on one data
# directory, alternated A-B-B-A so that a noisy machine's drift falls on both.
#   bench/verify_ab.sh ROUNDS BIN_A BIN_B DIR
# DIR is made once with `audit_bench --dir DIR --entries 1000000`. Prints each
# run (wall and CPU seconds), then the medians, B/A ratios, B's entries/s and
# in how many adjacent A/B pairs B was faster.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 ROUNDS BIN_A BIN_B DIR" >&2
  exit 2
fi
rounds=$1 a=$2 b=$3 dir=$4
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() {
  "$2" --dir "$dir" --verify-only | tail -1 | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
if not d["ok"]:
    sys.exit("verify failed")
print(sys.argv[1], d["verify_seconds"], d["verify_cpu_seconds"], d["entries"])' "$1" | tee -a "$out"
}
for _ in $(seq "$rounds"); do
  run A "$a"; run B "$b"; run B "$b"; run A "$a"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(tag, col):
    return statistics.median(float(r[col]) for r in rows if r[0] == tag)
wa, wb, ca, cb = med("A", 1), med("B", 1), med("A", 2), med("B", 2)
entries = int(rows[0][3])
# Each round is A B B A: rows [0:2] and [2:4] of it are adjacent pairs, run
# close enough in time that the VM's drift falls on both.
pairs = [dict((r[0], r) for r in rows[i:i + 2]) for i in range(0, len(rows), 2)]
wins = sum(1 for p in pairs if float(p["B"][1]) < float(p["A"][1]))
print(f"median wall A {wa:.2f} s, B {wb:.2f} s (B/A {wb / wa:.3f}); "
      f"CPU A {ca:.2f} s, B {cb:.2f} s (B/A {cb / ca:.3f}); "
      f"B {entries / wb:,.0f} entries/s; B faster in {wins} of {len(pairs)} pairs")
PY
