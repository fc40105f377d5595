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
# to a temporary sibling directory and then moved into place (see "Install" below), so a
# half-built store is never seen at OUTDIR. Concurrent invocations for the same OUTDIR are
# serialized with flock on OUTDIR.lock.
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

# Recipes in build order: a recipe whose IMAGE_BASE names another comes after it.
recipes=()
add_recipe() {
    local r=$1 base
    [[ " ${recipes[*]} " == *" $r "* ]] && return
    base=$(source "$r"; printf '%s' "${IMAGE_BASE:-}")
    if [[ -n $base ]]; then
        [[ -f $here/$base/image.sh ]] || { echo "build-images: $r: IMAGE_BASE=$base has no recipe" >&2; exit 1; }
        add_recipe "$here/$base/image.sh"
    fi
    recipes+=("$r")
}
for r in "$here"/*/image.sh; do add_recipe "$r"; done

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
# Inputs that must be downloaded (Debian packages) are fetched before they are hashed.
for r in "${recipes[@]}"; do
    (
        # shellcheck source=/dev/null
        source "$r"
        if declare -F image_fetch >/dev/null; then image_fetch; fi
    )
done
want=$(stamp)
if [[ -f $out/.stamp && $(<"$out/.stamp") == "$want" ]]; then
    exit 0
fi

start=$(date +%s%N)
tmp=$(mktemp -d "$out.tmp.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

oci_init "$tmp/layout"
for r in "${recipes[@]}"; do
    (
        # shellcheck source=/dev/null
        source "$r"
        recipe=$(basename "$(dirname "$r")")
        OCI_BASE_LAYERS=()
        if [[ -n ${IMAGE_BASE:-} ]]; then
            mapfile -t OCI_BASE_LAYERS <"$tmp/layers-$IMAGE_BASE"
        fi
        rootfs="$tmp/rootfs-$recipe"
        mkdir "$rootfs"
        image_populate "$rootfs"
        oci_image "$IMAGE_NAME" "$rootfs" "$IMAGE_CONFIG" "${IMAGE_TAGS[@]}"
        printf '%s\n' "${OCI_INDEX_ENTRIES[@]}" >"$tmp/entries-$recipe"
        printf '%s\n' "${OCI_IMAGE_LAYERS[@]}" >"$tmp/layers-$recipe"
        rm -rf "$rootfs"
    )
done
mapfile -t OCI_INDEX_ENTRIES < <(cat "$tmp"/entries-*)
oci_finish
printf '%s\n' "$want" >"$tmp/layout/.stamp"

# Install. A fresh OUTDIR is renamed into place whole. An existing one is updated in place,
# in an order that keeps it consistent for readers: content-addressed blobs and layer
# directories (each complete, renamed in) first, then index.json, then the stamp. Nothing is
# deleted: an older layer directory may be the overlayfs lowerdir of a running container.
if [[ ! -e $out ]]; then
    mv "$tmp/layout" "$out"
else
    mkdir -p "$out/blobs/sha256" "$out/layers/sha256"
    shopt -s nullglob
    for kind in blobs layers; do
        for f in "$tmp/layout/$kind/sha256"/*; do
            [[ -e $out/$kind/sha256/${f##*/} ]] || mv "$f" "$out/$kind/sha256/"
        done
    done
    for f in oci-layout index.json .stamp; do
        mv -f "$tmp/layout/$f" "$out/$f"
    done
fi
rm -rf "$tmp"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "build-images: ${#recipes[@]} image(s) -> $out (${ms} ms)"
