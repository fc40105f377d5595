#!/usr/bin/env bash
# Builds the bundled images into an OCI image layout at OUTDIR (build.sh: bin/images).
#
#   rootfs/build-images.sh OUTDIR
#
# Each image is a recipe directory rootfs/<name>/ with an image.sh (see busybox/image.sh for
# the variables and functions a recipe defines). The generic layout writer is rootfs/lib.sh.
#
# Idempotent: OUTDIR/.stamp holds a hash of every file under rootfs/ plus the checksums of
# the host files the recipes build from; when it matches, nothing is done. A build is written
# to a temporary sibling directory and moved into place, so a half-built store is never seen
# at OUTDIR. Concurrent invocations for the same OUTDIR are serialized with flock.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$(dirname "$1")"
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
umask 022
export LC_ALL=C

# shellcheck source=lib.sh
source "$here/lib.sh"

recipes=()
for r in "$here"/*/image.sh; do recipes+=("$r"); done

# Serialize concurrent builds of the same OUTDIR (e.g. build.sh and a test run).
exec 9>"$out.lock"
flock 9

stamp() {
    (
        cd "$here"
        find . -type f ! -name '*.swp' | sort | xargs -d '\n' sha256sum
        for r in "${recipes[@]}"; do
            (
                # shellcheck source=/dev/null
                source "$r"
                image_inputs | while IFS= read -r f; do sha256sum "$f"; done
            )
        done
        printf 'uid-is-root=%s\n' "$([[ $EUID -eq 0 ]] && echo yes || echo no)"
    ) | sha256sum | cut -d' ' -f1
}
want=$(stamp)
if [[ -f $out/.stamp && $(<"$out/.stamp") == "$want" ]]; then
    exit 0
fi

start=$(date +%s%N)
tmp=$(mktemp -d "$out.tmp.XXXXXX")
cleanup() { rm -rf "$tmp" "${old:-}"; }
trap cleanup EXIT

oci_init "$tmp/layout"
for r in "${recipes[@]}"; do
    (
        # shellcheck source=/dev/null
        source "$r"
        rootfs="$tmp/rootfs-$(basename "$(dirname "$r")")"
        mkdir "$rootfs"
        image_populate "$rootfs"
        oci_image "$IMAGE_NAME" "$rootfs" "$IMAGE_CONFIG" "${IMAGE_TAGS[@]}"
        printf '%s\n' "${OCI_INDEX_ENTRIES[@]}" >"$tmp/entries-$(basename "$(dirname "$r")")"
        rm -rf "$rootfs"
    )
done
mapfile -t OCI_INDEX_ENTRIES < <(cat "$tmp"/entries-*)
oci_finish
printf '%s\n' "$want" >"$tmp/layout/.stamp"

# Swap into place: OUTDIR is either the old complete store, absent for an instant, or the
# new complete store.
old=
if [[ -e $out ]]; then
    old="$out.old.$$"
    mv "$out" "$old"
fi
mv "$tmp/layout" "$out"
rm -rf "$tmp" "${old:-}"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "build-images: ${#recipes[@]} image(s) -> $out (${ms} ms)"
