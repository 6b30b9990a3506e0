#!/usr/bin/env bash
# Second command of the README: installs dependencies, builds, and runs every
# test (unit, conformance, integration). Usage: scripts/test.sh [release|asan]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
./scripts/install-deps.sh
./scripts/build.sh "$preset"
if [ "$preset" = asan ]; then
  # Leaks are reported by LeakSanitizer; UBSan findings abort (see CMakeLists).
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
# Emulator-backed conformance instances that must run (a skip fails the test).
export CUSTOS_CONFORMANCE_REQUIRED="${CUSTOS_CONFORMANCE_REQUIRED:-s3_aws,s3_aws_locked,s3_wasabi,s3_filebase,s3_ibmcos,s3_oracle,s3_generic}"
ctest --test-dir "build/$preset" --output-on-failure -j "$(nproc)" --timeout 1800
