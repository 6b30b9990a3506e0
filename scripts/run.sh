#!/usr/bin/env bash
# First command of the README: installs dependencies, builds, runs the vault
# demo (init, backup of generated sample records, restore, verify, check) and
# then starts `custos serve --demo` on embedded defaults (SQLite and a local
# data directory in ./demo/data, demo records loaded), printing the URL and
# the admin token. Stop it with Ctrl-C.
#   CUSTOS_LISTEN (default 127.0.0.1:8080), CUSTOS_ADMIN_TOKEN (optional)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh release
./scripts/demo.sh
DATA="${CUSTOS_DEMO_DIR:-$PWD/demo}/data"
echo
echo "== custos serve --demo (data directory $DATA)"
exec "$PWD/build/release/src/cli/custos" serve --data "$DATA" --demo \
  --listen "${CUSTOS_LISTEN:-127.0.0.1:8080}"
