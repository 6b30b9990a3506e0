#!/usr/bin/env bash
# First command of the README: installs dependencies, builds, and runs the main
# job on embedded defaults (a local vault: init, backup of generated sample
# records, snapshots, restore, verify, check).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh release
./scripts/demo.sh
