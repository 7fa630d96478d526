#!/usr/bin/env bash
# Installs kdx's build and test dependencies from Debian 12's archive (idempotent).
set -euo pipefail
PKGS=(build-essential cmake pkg-config xz-utils
      libelf-dev libdw-dev zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev liblzma-dev
      libcapstone-dev libcli11-dev libfmt-dev nlohmann-json3-dev libedit-dev libdebuginfod-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      debuginfod gdb)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
