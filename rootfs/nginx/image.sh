# shellcheck shell=bash
# Recipe for the bundled `nginx` image (sourced by build-images.sh): Debian's nginx package,
# laid out like the official image. One layer on top of busybox (so `sh` and the usual tools are
# there, as in the official image): /usr/sbin/nginx from the `nginx` .deb with the libraries it
# loads, mime.types and friends from `nginx-common`, the official image's nginx.conf and
# conf.d/default.conf (port 80, root /usr/share/nginx/html), the access and error logs linked to
# /dev/stdout and /dev/stderr, user nginx (101), runs in the foreground, stops on SIGQUIT.
# The .debs come from Debian's archive (apt-get download) into .build/debs, once.
IMAGE_NAME=docker.io/library/nginx
IMAGE_TAGS=(latest 1.22 1.22.1)
IMAGE_BASE=busybox
IMAGE_CONFIG='{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","NGINX_VERSION=1.22.1"],"Cmd":["nginx","-g","daemon off;"],"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGQUIT"}'

image_fetch() {
    fetch_debs nginx nginx-common
}

image_inputs() {
    deb_file nginx
    deb_file nginx-common
    local tmp
    tmp=$(mktemp -d)
    dpkg-deb -x "$(deb_file nginx)" "$tmp"
    elf_libs "$tmp/usr/sbin/nginx"
    rm -rf "$tmp"
}

image_populate() {
    local root=$1 recipe unpacked f
    recipe=$(dirname "${BASH_SOURCE[0]}")
    unpacked=$(mktemp -d)
    dpkg-deb -x "$(deb_file nginx)" "$unpacked"
    dpkg-deb -x "$(deb_file nginx-common)" "$unpacked"
    copy_elf "$root" "$unpacked/usr/sbin/nginx" /usr/sbin/nginx
    install -d -m 0755 "$root/etc/nginx/conf.d" "$root/usr/share/nginx/html" "$root/var/log/nginx" \
        "$root/var/cache/nginx" "$root/var/lib/nginx" "$root/run" "$root/var/lock" "$root/usr/lib/nginx/modules"
    for f in mime.types fastcgi_params fastcgi.conf scgi_params uwsgi_params koi-utf koi-win win-utf; do
        install -m 0644 "$unpacked/etc/nginx/$f" "$root/etc/nginx/$f"
    done
    install -m 0644 "$recipe/nginx.conf" "$root/etc/nginx/nginx.conf"
    install -m 0644 "$recipe/default.conf" "$root/etc/nginx/conf.d/default.conf"
    install -m 0644 "$unpacked/usr/share/nginx/html/index.html" "$root/usr/share/nginx/html/index.html"
    install -m 0644 "$recipe/50x.html" "$root/usr/share/nginx/html/50x.html"
    # As in the official image: logs go to the container's stdout and stderr.
    ln -s /dev/stdout "$root/var/log/nginx/access.log"
    ln -s /dev/stderr "$root/var/log/nginx/error.log"
    ln -s ../run "$root/var/run"
    install -m 0644 "$recipe/passwd" "$root/etc/passwd"
    install -m 0644 "$recipe/group" "$root/etc/group"
    rm -rf "$unpacked"
}
