#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking Custos needs.
# This is the only place dependencies are listed. Idempotent; works as root or through sudo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  # libraries
  libssl-dev libsodium-dev libzstd-dev nlohmann-json3-dev libcli11-dev
  libcurl4-openssl-dev libtinyxml2-dev libtomlplusplus-dev libcpp-httplib-dev libmicrohttpd-dev libsqlite3-dev
  libjemalloc-dev
  # tests
  libgtest-dev libgmock-dev python3 sqlite3 time curl openssl
  # benchmarks: the tools users compare Custos with
  restic borgbackup libbenchmark-dev
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all packages present"
fi
