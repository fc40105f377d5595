# shellcheck shell=bash
# Generic OCI image layout writer for the bundled images (sourced by build-images.sh).
#
# Layout produced under $OCI_DIR:
#   oci-layout, index.json                      OCI image layout (one manifest entry per tag,
#                                               annotated org.opencontainers.image.ref.name =
#                                               the full normalized reference)
#   blobs/sha256/<hex>                          layers (uncompressed tar), configs, manifests
#   layers/sha256/<diffid hex>/                 each layer unpacked once; the runtime uses these
#                                               directories directly as overlayfs lowerdirs
#
# Everything is deterministic: the same inputs give the same digests.

OCI_MT_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_MT_CONFIG=application/vnd.oci.image.config.v1+json
OCI_MT_LAYER=application/vnd.oci.image.layer.v1.tar
OCI_INDEX_ENTRIES=()

# json_str STRING: STRING as a JSON string literal.
json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}

# json_arr ITEMS...: the items as a JSON array of strings.
json_arr() {
    local out='[' sep='' item
    for item in "$@"; do out+="$sep$(json_str "$item")"; sep=','; done
    printf '%s]' "$out"
}

# oci_init DIR: start an empty layout in DIR.
oci_init() {
    OCI_DIR=$1
    OCI_INDEX_ENTRIES=()
    mkdir -p "$OCI_DIR/blobs/sha256" "$OCI_DIR/layers/sha256"
    printf '{"imageLayoutVersion":"1.0.0"}' >"$OCI_DIR/oci-layout"
}

# oci_put_blob FILE: moves FILE into blobs/ and prints "<hex> <size>".
oci_put_blob() {
    local file=$1 hex size
    hex=$(sha256sum "$file" | cut -d' ' -f1)
    size=$(stat -c %s "$file")
    mv -f "$file" "$OCI_DIR/blobs/sha256/$hex"
    printf '%s %s\n' "$hex" "$size"
}

# oci_put_json JSON: writes JSON (exact bytes) as a blob and prints "<hex> <size>".
oci_put_json() {
    local tmp="$OCI_DIR/blobs/.tmp.json"
    printf '%s' "$1" >"$tmp"
    oci_put_blob "$tmp"
}

# oci_layer ROOTFS: tars ROOTFS deterministically into a layer blob, unpacks it into
# layers/sha256/<hex>, prints "<hex> <size>" (uncompressed, so digest == diff_id).
oci_layer() {
    local rootfs=$1 tmp="$OCI_DIR/blobs/.tmp.tar" hex size
    tar --create --file="$tmp" --directory="$rootfs" --format=gnu \
        --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
        --no-recursion --files-from=<(cd "$rootfs" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
    read -r hex size < <(oci_put_blob "$tmp")
    local dir="$OCI_DIR/layers/sha256/$hex"
    if [[ ! -d $dir ]]; then
        mkdir "$dir.tmp"
        local owner=(--same-owner)
        [[ $EUID -eq 0 ]] || owner=(--no-same-owner)
        tar --extract --file="$OCI_DIR/blobs/sha256/$hex" --directory="$dir.tmp" \
            --numeric-owner --same-permissions "${owner[@]}"
        chmod 0755 "$dir.tmp"
        touch -h -d @0 "$dir.tmp"
        mv "$dir.tmp" "$dir"
    fi
    printf '%s %s\n' "$hex" "$size"
}

# oci_image NAME ROOTFS CONFIG_JSON TAG...: writes an image whose top layer is ROOTFS, stacked on
# OCI_BASE_LAYERS (lines "<hex> <size>", lowest first; empty for a one-layer image), with CONFIG_JSON
# (a JSON object) as the config section, tagged NAME:TAG for each TAG. NAME is the full normalized
# repository name, e.g. docker.io/library/busybox. Sets OCI_IMAGE_LAYERS to all its layers.
oci_image() {
    local name=$1 rootfs=$2 config=$3
    shift 3
    local lhex lsize chex csize mhex msize tag line diff_ids='' layers='' history='' sep=''
    read -r lhex lsize < <(oci_layer "$rootfs")
    OCI_IMAGE_LAYERS=()
    for line in "${OCI_BASE_LAYERS[@]}"; do
        [[ -n $line ]] && OCI_IMAGE_LAYERS+=("$line")
    done
    OCI_IMAGE_LAYERS+=("$lhex $lsize")
    for line in "${OCI_IMAGE_LAYERS[@]}"; do
        read -r lhex lsize <<<"$line"
        diff_ids+="$sep\"sha256:$lhex\""
        layers+="$sep$(printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$OCI_MT_LAYER" "$lhex" "$lsize")"
        history+="$sep{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"podshim rootfs/build-images.sh\"}"
        sep=','
    done
    read -r chex csize < <(oci_put_json "$(printf '{"created":"1970-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
        "$config" "$diff_ids" "$history")")
    read -r mhex msize < <(oci_put_json "$(printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"sha256:%s","size":%s},"layers":[%s]}' \
        "$OCI_MT_MANIFEST" "$OCI_MT_CONFIG" "$chex" "$csize" "$layers")")
    for tag in "$@"; do
        OCI_INDEX_ENTRIES+=("$(printf '{"mediaType":"%s","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":%s}}' \
            "$OCI_MT_MANIFEST" "$mhex" "$msize" "$(json_str "$name:$tag")")")
    done
}

# elf_libs FILE: the shared libraries FILE loads, and the dynamic loader, as absolute host paths (from ldd).
elf_libs() {
    local out
    out=$(ldd "$1") || { echo "build-images: ldd $1 failed" >&2; return 1; }
    if grep -q 'not found' <<<"$out"; then
        echo "build-images: $1 needs libraries this host lacks:" >&2
        grep 'not found' <<<"$out" >&2
        return 1
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$out"
}

# copy_elf ROOT FILE DEST: installs the ELF binary FILE at ROOT/DEST with every library it needs,
# each at the path the host loads it from (the loader finds them there without a cache).
copy_elf() {
    local root=$1 file=$2 dest=$3 lib
    install -D -m 0755 "$file" "$root$dest"
    while IFS= read -r lib; do
        [[ -e $root$lib ]] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L --preserve=mode "$lib" "$root$lib"
    done < <(elf_libs "$file")
}

# deb_cache: where downloaded Debian packages are kept between builds.
deb_cache() {
    printf '%s\n' "${PODSHIM_DEB_CACHE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.build/debs}"
}

# fetch_debs PACKAGE...: makes sure DEB_CACHE holds a .deb of each package (apt-get download,
# Debian's archive only); prints nothing. A package already there is not fetched again.
fetch_debs() {
    local cache pkg missing=()
    cache=$(deb_cache)
    mkdir -p "$cache"
    for pkg in "$@"; do
        compgen -G "$cache/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null) || {
        echo "build-images: apt-get download ${missing[*]} failed (needs Debian's package archive)" >&2
        return 1
    }
}

# deb_file PACKAGE: the cached .deb of PACKAGE (the newest if several).
deb_file() {
    local cache
    cache=$(deb_cache)
    compgen -G "$cache/${1}_*.deb" | sort -V | tail -1
}

# oci_finish: writes index.json (entries sorted, so the file is deterministic).
oci_finish() {
    local entries sep='' e
    entries=$(printf '%s\n' "${OCI_INDEX_ENTRIES[@]}" | LC_ALL=C sort)
    local out='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
    while IFS= read -r e; do out+="$sep$e"; sep=','; done <<<"$entries"
    printf '%s]}' "$out" >"$OCI_DIR/index.json"
}
