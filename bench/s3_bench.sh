#!/usr/bin/env bash
# Backup to and restore from an S3 bucket in moto: Custos vs restic, same data,
# same server, same run. moto runs without signature enforcement here because
# restic signs uploads with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, which moto
# rejects (Custos signs the payload's SHA-256 and passes enforcement in tests).
#
#   bench/s3_bench.sh [scale=0.05] [runs=3]
# CUSTOS_BIN names the custos binary (default build/release/src/cli/custos).
# Prints per-run wall times and the medians with the custos/restic ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-0.05}"
runs="${2:-3}"
CUSTOS="${CUSTOS_BIN:-$PWD/build/release/src/cli/custos}"
work=$(mktemp -d /tmp/custos-s3-bench-XXXXXX)
trap 'kill "${MOTO_PID:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
eval "$(tests/servers/moto.sh --no-auth)"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION=us-east-1
export CUSTOS_PASSWORD=bench-password RESTIC_PASSWORD=bench-password
python3 ../shared/bench/gen_dataset.py "$work/src" "$scale" >/dev/null
echo "dataset: $(du -sh "$work/src" | cut -f1) at scale $scale; moto at $MOTO_ENDPOINT" >&2
t() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }
declare -a cb cr rb rr
for i in $(seq 1 "$runs"); do
  repo="s3://custos-$i/v?endpoint=$MOTO_ENDPOINT&region=us-east-1"
  "$CUSTOS" -r "$repo" init >/dev/null
  cb+=("$(t "$CUSTOS" -r "$repo" backup "$work/src")")
  cr+=("$(t "$CUSTOS" -r "$repo" restore latest --target "$work/cr$i")")
  aws --endpoint-url "$MOTO_ENDPOINT" s3 mb "s3://restic-$i" >/dev/null
  export RESTIC_REPOSITORY="s3:$MOTO_ENDPOINT/restic-$i/v"
  restic init >/dev/null 2>&1
  rb+=("$(t restic backup "$work/src")")
  rr+=("$(t restic restore latest --target "$work/rr$i")")
  diff -rq "$work/src" "$work/cr$i$work/src" >/dev/null || { echo "custos restore differs" >&2; exit 1; }
  echo "run $i: custos backup ${cb[-1]} s restore ${cr[-1]} s | restic backup ${rb[-1]} s restore ${rr[-1]} s" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mcb=$(median "${cb[@]}"); mcr=$(median "${cr[@]}"); mrb=$(median "${rb[@]}"); mrr=$(median "${rr[@]}")
echo "| operation (S3, moto) | custos (s) | restic (s) | custos/restic |"
echo "|---|---:|---:|---:|"
printf "| backup | %.2f | %.2f | %.2f |\n" "$mcb" "$mrb" "$(echo "$mcb / $mrb" | bc -l)"
printf "| restore | %.2f | %.2f | %.2f |\n" "$mcr" "$mrr" "$(echo "$mcr / $mrr" | bc -l)"
