#!/usr/bin/env bash
# Lints charts/lbd with real Helm (the helm-sdkpy package bundles Helm's library), renders it with the default
# values and several value sets, validates every rendered object against Kubernetes 1.30 and 1.37 schemas
# (kubernetes-validate, strict), checks deploy/lbd.yaml equals the render, and checks the Dockerfile statically.
# Installs what it needs into a virtual environment under .build-tools/. Fails on any problem; skips nothing.
# The rendered lbd.yaml and plugin files are also checked by the real `lbd check` (LBD, default: the debug build's
# lbd, which must be built: `swift build --product lbd`).
#   scripts/check-chart.sh            check
#   scripts/check-chart.sh --update   also rewrite deploy/lbd.yaml from the chart
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build-tools/venv
stamp="$venv/.lbd-chart-tools-1"
if [[ ! -f "$stamp" ]]; then
  echo "check-chart: installing helm-sdkpy and kubernetes-validate into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # helm-sdkpy declares Python >= 3.12 but works on 3.11 (its Go library does the work).
  "$venv/bin/pip" install --quiet --ignore-requires-python 'helm-sdkpy==0.1.32' 'kubernetes-validate==1.37.0'
  touch "$stamp"
fi

lbd="${LBD:-$(${SWIFT:-swift} build --show-bin-path)/lbd}"
if [[ ! -x "$lbd" ]]; then
  echo "check-chart: $lbd is not built: run 'swift build --product lbd' first, or set LBD=/path/to/lbd" >&2
  exit 1
fi

"$venv/bin/python" scripts/check-dockerfile.py Dockerfile
"$venv/bin/python" scripts/check-chart.py --lbd "$lbd" "$@"
