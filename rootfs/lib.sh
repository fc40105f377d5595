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

# oci_image NAME ROOTFS CONFIG_JSON TAG...: writes one single-layer image whose config
# section is CONFIG_JSON (a JSON object), tagged NAME:TAG for each TAG.
# NAME is the full normalized repository name, e.g. docker.io/library/busybox.
oci_image() {
    local name=$1 rootfs=$2 config=$3
    shift 3
    local lhex lsize chex csize mhex msize tag
    read -r lhex lsize < <(oci_layer "$rootfs")
    read -r chex csize < <(oci_put_json "$(printf '{"created":"1970-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"podshim rootfs/build-images.sh"}]}' \
        "$config" "$lhex")")
    read -r mhex msize < <(oci_put_json "$(printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"%s","digest":"sha256:%s","size":%s}]}' \
        "$OCI_MT_MANIFEST" "$OCI_MT_CONFIG" "$chex" "$csize" "$OCI_MT_LAYER" "$lhex" "$lsize")")
    for tag in "$@"; do
        OCI_INDEX_ENTRIES+=("$(printf '{"mediaType":"%s","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":%s}}' \
            "$OCI_MT_MANIFEST" "$mhex" "$msize" "$(json_str "$name:$tag")")")
    done
}

# oci_finish: writes index.json (entries sorted, so the file is deterministic).
oci_finish() {
    local entries sep='' e
    entries=$(printf '%s\n' "${OCI_INDEX_ENTRIES[@]}" | LC_ALL=C sort)
    local out='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
    while IFS= read -r e; do out+="$sep$e"; sep=','; done <<<"$entries"
    printf '%s]}' "$out" >"$OCI_DIR/index.json"
}
