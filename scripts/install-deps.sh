#!/usr/bin/env bash
# Installs the Debian packages the build and its tests need (librsvg2-bin: the CLI test renders
# a report figure to PNG; libboost-dev: the GBDT trainer sorts with Boost's header-only
# spreadsort). As root it runs apt-get; otherwise it prints the exact command to run and fails
# when something is missing.
set -euo pipefail

packages=(cmake g++ make python3 doctest-dev libbenchmark-dev zlib1g-dev nlohmann-json3-dev libboost-dev librsvg2-bin)
# Callers add packages for their own jobs (cross compilers, emulators) through this variable.
read -r -a extra <<< "${DPA_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "missing Debian packages; run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
