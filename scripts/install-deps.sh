#!/usr/bin/env bash
# Installs everything cellfit needs to build, test and run, from Debian
# packages (Debian 12 or newer). Works as root or through sudo; never asks.
# Set CELLFIT_SKIP_DEPS=1 to skip (e.g. on a machine without network access
# that already has the packages).
set -euo pipefail

if [[ "${CELLFIT_SKIP_DEPS:-0}" == "1" ]]; then
  echo "install-deps: skipped (CELLFIT_SKIP_DEPS=1)"
  exit 0
fi

PACKAGES=(
  build-essential cmake ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libeigen3-dev libnlopt-cxx-dev libnlopt-dev
  libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev libbenchmark-dev
  libgoogle-glog-dev libtomlplusplus-dev nlohmann-json3-dev
  clang
  python3-brian python3-grpcio python3-protobuf python3-numpy python3-scipy
  python3-pytest python3-pandas python3-tqdm python3-pycodestyle
)

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo > /dev/null; then
    echo "install-deps: not root and no sudo; install these packages:" >&2
    echo "  ${PACKAGES[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update; then
  echo "install-deps: apt-get update failed; using the package lists already" \
       "on this machine" >&2
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
