#!/usr/bin/env bash
# Two builds of `custos` side by side on 64-client durable writes:
#
#   bench/records_ab.sh ROUNDS BIN_A BIN_B [SECONDS] [TRAINEES]
#
# Runs bench/records_bench.py --clients 64 (a fresh server and data directory
# each time) alternating A-B-B-A for ROUNDS rounds, so that the VM's drift
# hits both builds alike, then prints the medians of writes/s, of server and
# writer-thread CPU per write and of the server's peak resident memory, and in
# how many adjacent A/B pairs B wrote more (and spent less writer CPU).
# With TRAINEES (default 1), the writes are spread over that many trainees'
# enrollments (records_bench.py --trainees).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=$1 a=$2 b=$3 secs=${4:-6} trainees=${5:-1}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() {
  CUSTOS_BIN=$2 python3 bench/records_bench.py --clients 64 --seconds "$secs" --trainees "$trainees" 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["load"][0]; print(sys.argv[1], r["writes_per_s"], r["server_cpu_us_per_write"], r["writer_cpu_us_per_write"], r["server_peak_rss_mib"])' "$1" |
    tee -a "$out"
}
for ((i = 0; i < rounds; i++)); do
  run A "$a"; run B "$b"; run B "$b"; run A "$a"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def col(i):
    return {k: [float(r[i]) for r in rows if r[0] == k] for k in "AB"}
def med(i, k):
    return statistics.median(col(i)[k])
# Each round is A B B A: rows [0:2] and [2:4] of it are the adjacent pairs.
pairs = [dict((r[0], r) for r in rows[i:i + 2]) for i in range(0, len(rows), 2)]
wins = sum(1 for p in pairs if float(p["B"][1]) > float(p["A"][1]))
writer_wins = sum(1 for p in pairs if float(p["B"][3]) < float(p["A"][3]))
ma, mb = med(1, "A"), med(1, "B")
print(f"writes/s median A {ma:.0f}  B {mb:.0f}  B/A {mb / ma:.3f}  (B ahead in {wins} of {len(pairs)} pairs)")
print(f"server CPU us/write median A {med(2, 'A'):.1f}  B {med(2, 'B'):.1f}")
print(f"writer thread CPU us/write median A {med(3, 'A'):.1f}  B {med(3, 'B'):.1f}"
      f"  (B lower in {writer_wins} of {len(pairs)} pairs)")
print(f"server peak RSS MiB median A {med(4, 'A'):.1f}  B {med(4, 'B'):.1f}")
PY
