# shellcheck shell=bash
# Recipe for the bundled `busyboxplus` image (sourced by build-images.sh): the seeds' busybox
# "with extras" (radial/busyboxplus), i.e. the busybox image plus curl. One layer on top of
# busybox: Debian's curl with the shared libraries it loads, at the paths the host loads them
# from (/lib/x86_64-linux-gnu, /lib64/ld-linux-x86-64.so.2).
IMAGE_NAME=docker.io/library/busyboxplus
IMAGE_TAGS=(latest curl)
IMAGE_BASE=busybox
IMAGE_CONFIG='{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}'
CURL_BIN=${CURL_BIN:-/usr/bin/curl}

image_inputs() {
    printf '%s\n' "$CURL_BIN"
    elf_libs "$CURL_BIN"
}

image_populate() {
    local root=$1
    if [[ ! -x $CURL_BIN ]]; then
        echo "build-images: $CURL_BIN is missing (apt-get install curl)" >&2
        return 1
    fi
    copy_elf "$root" "$CURL_BIN" /usr/bin/curl
}
