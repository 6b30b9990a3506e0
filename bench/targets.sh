#!/usr/bin/env bash
# The records issue's two speed targets, measured in turns over a stretch of
# time, so that a noisy machine's fast and slow spells both show:
#
#   bench/targets.sh ROUNDS DIR [SECONDS] [TRAINEES]
#
# Each round runs, one after the other,
#   - bench/records_bench.py --clients 64 --seconds SECONDS (default 5): a
#     fresh server and data directory, durable audited writes over HTTP;
#     target >= 20,000 writes/s;
#   - build/release/bench/audit_bench --dir DIR --verify-only --runs 3: the
#     median of three verifications of DIR in one process; target
#     >= 1,000,000 entries/s. DIR is made once with
#     `audit_bench --dir DIR --entries 1000000`.
# and bench/machine_probe's syscall cost, a gauge of the VM's speed at that
# moment. Prints one line per round, then per target the median, the range
# and in how many rounds it was met.
# With TRAINEES (default 1), the writes are spread over that many trainees'
# enrollments (records_bench.py --trainees); fill DIR with the same
# `audit_bench --trainees` for a like-for-like verification.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: $0 ROUNDS DIR [SECONDS] [TRAINEES]" >&2
  exit 2
fi
rounds=$1 dir=$2 secs=${3:-5} trainees=${4:-1}
build=build/release  # as records_bench.py (which also honours CUSTOS_BIN)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%-6s %12s %14s %10s\n' round writes/s verify/s syscall_us
for ((i = 1; i <= rounds; i++)); do
  w=$(python3 bench/records_bench.py --clients 64 --seconds "$secs" --trainees "$trainees" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["load"][0]["writes_per_s"])')
  v=$("$build/bench/audit_bench" --dir "$dir" --verify-only --runs 3 2>/dev/null | tail -1 |
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"], "verify failed"; print(d["verify_entries_per_s"])')
  p=$("$build/bench/machine_probe" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["syscall_us"])' 2>/dev/null || echo -)
  printf '%-6s %12.0f %14.0f %10s\n' "$i" "$w" "$v" "$p"
  echo "$w $v" >>"$out"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1])]
for col, name, target in ((0, "writes/s at 64 clients", 20000), (1, "audit verify entries/s", 1000000)):
    xs = [r[col] for r in rows]
    met = sum(1 for x in xs if x >= target)
    print(f"{name}: median {statistics.median(xs):,.0f}, range {min(xs):,.0f}-{max(xs):,.0f}, "
          f"target {target:,} met in {met} of {len(xs)} rounds")
PY
