#!/usr/bin/env bash
# Runs the benchmarks (root): spawn [N], run [N], manifest, or all of them. Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project bench/PodShim.Bench -- "$@"
