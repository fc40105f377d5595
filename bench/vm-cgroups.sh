#!/usr/bin/env bash
# Issue 7's benchmark, in the test VM (pure cgroup v2; the host's cgroups are never touched): the
# time to create and remove the cgroup tree of a 3-container pod, relative to a container spawn in
# the same VM. Needs ./build.sh build first. Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/PodShim.Bench -c Release --nologo -v quiet >/dev/null
PODSHIM_VM_TIMEOUT=${PODSHIM_VM_TIMEOUT:-900} exec bash tests/vm/run.sh bench/vm-guest.sh
