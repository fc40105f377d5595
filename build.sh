#!/usr/bin/env bash
# PodShim build entry point, for a fresh Debian 12 as root.
#
#   ./build.sh            install what is missing, build native/, the .NET solution and the bundled images
#   ./build.sh test       build, then run every test tier this machine supports
#   ./build.sh run FILE   build, then bin/podshim run -f FILE
#   ./build.sh bench      build, then run the benchmarks in bench/
#
# Idempotent: a second run with nothing changed only checks time stamps.
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
bin="$top/bin"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '==> %s\n' "$*" >&2; }

install_deps() {
	local missing=() pkg
	# command -> Debian package
	for pkg in gcc:gcc make:make musl-gcc:musl-tools busybox:busybox-static ip:iproute2 tar:tar gzip:gzip sha256sum:coreutils; do
		command -v "${pkg%%:*}" >/dev/null 2>&1 || missing+=("${pkg#*:}")
	done
	# busybox-static specifically (a dynamic busybox cannot run inside an image)
	dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
	# The bundled images: curl (busyboxplus) and the libraries Debian's nginx loads (its .deb is fetched, not installed).
	for pkg in curl libpcre2-8-0 libssl3 zlib1g libcrypt1; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "build.sh: missing packages ${missing[*]}; run as root to install them" >&2
			exit 1
		fi
		log "installing ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	command -v dotnet >/dev/null 2>&1 || { echo "build.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
}

# What only the tests need: podman, to make archives with a real tool (`podman save`) for the import tests.
install_test_deps() {
	command -v podman >/dev/null 2>&1 && return
	if [ "$(id -u)" -ne 0 ]; then
		echo "note: podman is missing (the image import tests need it); run as root to install it" >&2
		return
	fi
	log "installing podman (import tests)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman >/dev/null
}

# The VM tier's needs: qemu (apt-get install) and Debian's kernel (apt-get download, unpacked under
# .build/vm: the host's boot configuration is left alone).
install_vm_deps() {
	if ! command -v qemu-system-x86_64 >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
		log "installing qemu-system-x86"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null
	fi
	bash tests/vm/run.sh --fetch-kernel || true # a failure shows as a FAIL line of the VM tier
}

build_native() {
	make -s -C native OUT="$bin"
}

# Newest modification time (seconds) of the inputs of the managed build.
managed_inputs_stamp() {
	find src Directory.Build.props Directory.Packages.props global.json -type f \
		\( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' \) \
		-not -path '*/bin/*' -not -path '*/obj/*' -printf '%T@\n' | sort -n | tail -1
}

build_managed() {
	local stamp_file="$bin/.managed-stamp" stamp
	stamp=$(managed_inputs_stamp)
	if [ -f "$bin/podshim" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
		return
	fi
	log "publishing bin/podshim (ReadyToRun)"
	mkdir -p .build
	if ! dotnet publish src/PodShim.Cli/PodShim.Cli.csproj -c Release -o "$bin" --nologo -v quiet \
		-p:PublishReadyToRun=true -p:DebugType=none >.build/publish.txt 2>&1; then
		grep -E 'error|warning' .build/publish.txt >&2 || cat .build/publish.txt >&2
		echo "build.sh: dotnet publish failed (full output: .build/publish.txt)" >&2
		exit 1
	fi
	echo "$stamp" >"$stamp_file"
}

build_images() {
	bash rootfs/build-images.sh "$bin/images"
}

build_all() {
	install_deps
	mkdir -p "$bin"
	build_native
	build_managed
	build_images
}

# Sums the "Passed!/Failed!" summaries of dotnet test, the native tests and the VM tier's PASS/FAIL
# lines into one closing line.
run_tests() {
	local out="$top/.build/test-output.txt" rc=0
	mkdir -p "$top/.build"
	: >"$out"
	log "native unit tests"
	make -s -C native OUT="$bin" test 2>&1 | tee -a "$out" || rc=1
	log "dotnet tests (unit, manifest, host integration)"
	if [ "$(id -u)" -ne 0 ]; then
		echo "note: not root: host integration tests will be skipped (each prints its reason)" >&2
	fi
	local dotnet_out="$top/.build/dotnet-test.txt" drc=0
	dotnet test Shim.sln -c Release --nologo -v quiet --logger "console;verbosity=normal" >"$dotnet_out" 2>&1 || drc=$?
	cat "$dotnet_out" >>"$out"
	# Failures in full, skips with their reason; passing tests only counted.
	grep -vE '^\s+Passed ' "$dotnet_out" | grep -vE '^\s*$' || true
	[ "$drc" -eq 0 ] || rc=1
	log "VM tier (qemu, TCG, pure cgroup v2)"
	install_vm_deps
	bash tests/vm/run.sh 2>&1 | tee -a "$out" || rc=1
	summarize "$out"
	return $rc
}

summarize() {
	awk '
		/^[a-z-]+: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
		/^  Passed PodShim\./ { p++ }
		/^  Failed PodShim\./ { f++ }
		/^  Skipped PodShim\./ { s++ }
		/^PASS vm: / { p++ }
		/^FAIL vm: / { f++ }
		END { printf "%d passed, %d failed, %d skipped\n", p, f, s }
	' "$1"
}

cmd=${1:-build}
case "$cmd" in
build)
	build_all
	;;
test)
	build_all
	install_test_deps
	run_tests
	;;
run)
	[ $# -ge 2 ] || { echo "usage: ./build.sh run FILE" >&2; exit 2; }
	build_all
	exec "$bin/podshim" run -f "$2"
	;;
bench)
	build_all
	shift
	exec bash bench/run.sh "$@"
	;;
*)
	echo "usage: ./build.sh [build|test|run FILE|bench]" >&2
	exit 2
	;;
esac
