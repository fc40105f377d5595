#!/bin/busybox sh
# PID 1 of the test VM (copied into the initramfs by tests/vm/run.sh).
#
# Stage 1 copies the initramfs into a tmpfs and switch_roots into it: pivot_root (which every
# container does) refuses to work while / is the initial rootfs. Stage 2 loads the modules, mounts
# the 9p shares, a tmpfs for podshim's state (overlayfs needs an upper directory on a filesystem
# that supports it; 9p is read-only anyway) and a pure cgroup2 hierarchy, then runs the guest
# script named on the kernel command line and powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

if [ "$1" != stage2 ]; then
	/bin/busybox mkdir -p /proc /newroot
	/bin/busybox mount -t proc proc /proc
	/bin/busybox mount -t tmpfs -o mode=0755 root /newroot
	for d in bin lib lib64 usr init; do
		[ -e "/$d" ] && /bin/busybox cp -a "/$d" /newroot/
	done
	/bin/busybox umount /proc
	exec /bin/busybox switch_root /newroot /init stage2
fi

echo # the firmware's last line does not end with a newline
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /sbin /usr/bin /usr/sbin /repo /usr/share/dotnet /etc
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
echo "root:x:0:0:root:/root:/bin/sh" >/etc/passwd
echo "root:x:0:" >/etc/group
hostname podshim-vm

for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe "$m" || echo "INFO vm: modprobe $m failed"
done
opts=trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro
mount -t 9p -o "$opts" repo /repo || echo "FAIL vm: mount the repository over 9p"
mount -t 9p -o "$opts" dotnet /usr/share/dotnet || echo "FAIL vm: mount the .NET runtime over 9p"
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || echo "FAIL vm: mount cgroup2"

script=$(sed -n 's/.*podshim\.script=\([^ ]*\).*/\1/p' /proc/cmdline)
# Under TCG, tiering (a quick JIT, then PGO and a rejit) costs more than it brings to processes
# this short: the ReadyToRun code is used as it is, the rest compiled once.
export DOTNET_ROOT=/usr/share/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
	DOTNET_TieredPGO=0 DOTNET_TieredCompilation=0 HOME=/root
mkdir -p /root
cd /repo
sh "/repo/$script"
echo "VM-DONE"
sync
reboot -f
