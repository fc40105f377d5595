# shellcheck shell=bash
# Recipe for the bundled `busybox` image (sourced by build-images.sh).
#
# Laid out like the official busybox image: the static busybox binary and one symlink per
# applet in /bin (applets that busybox installs into sbin/ also get a link in /sbin, so
# scripts that call e.g. /sbin/ifconfig work), passwd/group with root, nobody (65534) and
# `app` (1000), /tmp 1777, empty /proc /sys /dev mountpoints. No /etc/hosts, /etc/hostname
# or /etc/resolv.conf: the runtime provides those per pod.
#
# A recipe defines:
#   IMAGE_NAME        full normalized repository name
#   IMAGE_TAGS        tags to publish
#   IMAGE_CONFIG      the image config's "config" object (JSON)
#   image_inputs      prints the paths of the host files the image is built from (hashed
#                     into the build stamp, so a changed input triggers a rebuild)
#   image_populate D  fills the (empty) rootfs directory D

IMAGE_NAME=docker.io/library/busybox
IMAGE_TAGS=(latest 1.28)
IMAGE_CONFIG='{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}'
BUSYBOX_BIN=${BUSYBOX_BIN:-/bin/busybox}

image_inputs() {
    printf '%s\n' "$BUSYBOX_BIN"
}

image_populate() {
    local root=$1 recipe
    recipe=$(dirname "${BASH_SOURCE[0]}")
    if ! "$BUSYBOX_BIN" --list >/dev/null 2>&1; then
        echo "build-images: $BUSYBOX_BIN is missing or not busybox (apt-get install busybox-static)" >&2
        return 1
    fi
    if ldd "$BUSYBOX_BIN" >/dev/null 2>&1; then
        echo "build-images: $BUSYBOX_BIN is dynamically linked; the image needs busybox-static" >&2
        return 1
    fi
    install -d -m 0755 "$root"/{bin,sbin,etc,root,home,home/app,var,var/spool,var/www,usr,usr/bin,usr/sbin,usr/local,usr/local/bin,proc,sys,dev}
    install -d -m 1777 "$root/tmp" "$root/var/tmp"
    chmod 0700 "$root/root"
    install -m 0755 "$BUSYBOX_BIN" "$root/bin/busybox"
    # One symlink per applet. perl (perl-base is Essential in Debian) makes the ~320 links
    # in one process instead of one `ln` each.
    "$BUSYBOX_BIN" --list-full | perl -e '
        my $root = shift;
        while (my $path = <STDIN>) {
            chomp $path;
            my ($dir, $name) = $path =~ m{^(?:(.*)/)?([^/]+)$};
            next if $name eq "busybox";
            symlink("busybox", "$root/bin/$name") or die "symlink $root/bin/$name: $!\n";
            if (defined $dir && $dir eq "sbin") {
                symlink("../bin/busybox", "$root/sbin/$name") or die "symlink $root/sbin/$name: $!\n";
            }
        }' "$root"
    install -m 0644 "$recipe/passwd" "$root/etc/passwd"
    install -m 0644 "$recipe/group" "$root/etc/group"
}
