#!/usr/bin/env bash
# Installs what lbd's build and tests need on a fresh Debian machine: the packages of scripts/apt-packages.txt
# that are missing. It needs root (or sudo) only when something is missing. It fails loudly, never skips.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: the Swift toolchain (swift 6.1 or newer) is not on PATH; install it first (swift.org)" >&2
    exit 1
fi
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/apt-packages.txt")
missing=()
for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
