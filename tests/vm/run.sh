#!/usr/bin/env bash
# VM test tier: the only tier that writes cgroups.
#
# Boots Debian's linux-image-amd64 kernel in qemu (TCG: KVM hangs guests on these hosts) with an
# initramfs made here from busybox-static, the kernel modules for virtio, 9p and overlayfs, and the
# shared libraries the .NET runtime needs. The repository and the .NET runtime are shared read-only
# over virtio-9p; the guest mounts a pure cgroup v2 hierarchy with every controller and runs the
# scenario pods of tests/vm/guest.sh with bin/podshim (build it first: ./build.sh build).
#
#   tests/vm/run.sh [guest-script]      default tests/vm/guest.sh; bench/vm-cgroups.sh for the benchmark
#   tests/vm/run.sh --fetch-kernel      only make sure a kernel is there (./build.sh test calls it)
#
# Prints one "PASS vm: ..." or "FAIL vm: ..." line per check and exits non-zero on any failure,
# including a guest that never finished (then its console log is shown). The whole console is kept
# in .build/vm/console.log.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
guest_script=${1:-tests/vm/guest.sh}
work="$top/.build/vm"
timeout_s=${PODSHIM_VM_TIMEOUT:-570}
mkdir -p "$work"

fail() {
	echo "FAIL vm: $*"
	exit 1
}

fetch_only=false
[ "$guest_script" = --fetch-kernel ] && fetch_only=true
if ! $fetch_only; then
	command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed (./build.sh installs qemu-system-x86)"
	[ -x "$top/bin/podshim" ] || fail "bin/podshim missing (run ./build.sh build first)"
	[ -f "$top/$guest_script" ] || fail "no guest script $guest_script"
fi

# ---- kernel: an installed linux-image-*-amd64, else the package downloaded and unpacked here ----
find_kernel() {
	local v
	for v in /boot/vmlinuz-*-amd64; do
		[ -f "$v" ] || continue
		local kv=${v#/boot/vmlinuz-}
		if [ -d "/lib/modules/$kv/kernel/fs/9p" ]; then
			kernel=$v
			modules=/lib/modules/$kv
			return 0
		fi
	done
	v=$(ls -d "$work"/kernel/boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1 || true)
	if [ -n "$v" ]; then
		local kv=${v##*/vmlinuz-}
		kernel=$v
		modules="$work/kernel/lib/modules/$kv"
		[ -d "$modules/kernel/fs/9p" ] && return 0
	fi
	return 1
}

if ! find_kernel; then
	resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
	pkg=$(resolve)
	if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
		# A fresh machine may have no package lists yet.
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(resolve)
	fi
	[ -n "$pkg" ] || fail "cannot resolve linux-image-amd64 with apt-cache"
	rm -rf "$work/kernel" "$work/deb"
	mkdir -p "$work/deb"
	# apt-get download, not install: the host's boot configuration stays as it is.
	(cd "$work/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) || fail "apt-get download $pkg"
	dpkg-deb -x "$work"/deb/*.deb "$work/kernel" || fail "dpkg-deb -x $pkg"
	rm -rf "$work/deb"
	find_kernel || fail "no kernel in $pkg"
fi
kv=${modules##*/}
$fetch_only && exit 0

# ---- initramfs ----
root="$work/initramfs"
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib/modules/$kv"
cp /bin/busybox "$root/bin/busybox"
cp "$top/tests/vm/init.sh" "$root/init"
chmod 755 "$root/init"
for m in kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko \
	kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko \
	kernel/drivers/virtio/virtio_pci.ko kernel/net/9p/9pnet.ko kernel/net/9p/9pnet_virtio.ko \
	kernel/fs/netfs/netfs.ko kernel/fs/fscache/fscache.ko kernel/fs/9p/9p.ko kernel/fs/overlayfs/overlay.ko; do
	for f in "$modules/$m" "$modules/$m.xz"; do
		if [ -f "$f" ]; then
			mkdir -p "$root/lib/modules/$kv/$(dirname "$m")"
			cp "$f" "$root/lib/modules/$kv/$(dirname "$m")/"
		fi
	done
done
cp "$modules"/modules.builtin "$modules"/modules.order "$root/lib/modules/$kv/" 2>/dev/null || true
busybox depmod -b "$root" "$kv"

# The .NET host and runtime's shared libraries (ICU is not needed: InvariantGlobalization), and
# OpenSSL, which the runtime loads with dlopen (the HTTPS probe's SslStream).
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
{
	for f in /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3; do
		[ -f "$f" ] && echo "$f => $f (0)"
	done
	ldd "$dotnet_root/dotnet"
	for f in "$dotnet_root"/shared/Microsoft.NETCore.App/*/*.so "$dotnet_root"/host/fxr/*/*.so "$top"/bin/*.so; do
		ldd "$f" 2>/dev/null || true
	done
} | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\/ld-linux/ { print $1 }' | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# Debian's merged /usr: the runtime also looks in /usr/lib.
mkdir -p "$root/usr"
ln -s ../lib "$root/usr/lib"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initramfs.gz")

# ---- boot ----
# -cpu max: without AVX2 and friends the runtime rejects much of the ReadyToRun code and JITs it.
console="$work/console.log"
: >"$console"
start=$(date +%s)
set +e
timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 2048 -nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 podshim.script=$guest_script" \
	-virtfs "local,path=$top,mount_tag=repo,security_model=none,readonly=on" \
	-virtfs "local,path=$dotnet_root,mount_tag=dotnet,security_model=none,readonly=on" \
	</dev/null 2>&1 | tr -d '\r' | tee "$console" | grep --line-buffered -E '^(PASS|FAIL|INFO) vm' 
qemu_rc=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - start))

passed=$(grep -c '^PASS vm' "$console" || true)
failed=$(grep -c '^FAIL vm' "$console" || true)
if ! grep -q '^VM-DONE' "$console"; then
	echo "---- last lines of $console ----"
	tail -40 "$console" | sed 's/^/  | /'
	echo "FAIL vm: the guest ran to its end (qemu exit $qemu_rc after ${elapsed}s; timeout ${timeout_s}s)"
	exit 1
fi
if [ "$passed" -eq 0 ]; then
	echo "FAIL vm: the guest reported at least one check"
	exit 1
fi
echo "INFO vm tier: $passed checks passed, $failed failed, ${elapsed}s (boot to power-off, TCG)"
[ "$failed" -eq 0 ]
