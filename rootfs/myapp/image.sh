# shellcheck shell=bash
# Recipe for the bundled `myapp` image (sourced by build-images.sh): the seeds' demo web app
# (ikubernetes/myapp), nginx serving /usr/share/nginx/html on port 80 with index.html
# ("Hello MyApp | Version: v1 | Pod Name") and hostname.html, which holds the pod's hostname
# and is written when the container starts. One layer on top of the nginx image.
IMAGE_NAME=docker.io/library/myapp
IMAGE_TAGS=(v1)
IMAGE_BASE=nginx
IMAGE_CONFIG='{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","NGINX_VERSION=1.22.1"],"Entrypoint":["/usr/local/bin/myapp-entrypoint"],"Cmd":["nginx","-g","daemon off;"],"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGQUIT"}'

image_inputs() {
    :
}

image_populate() {
    local root=$1 recipe
    recipe=$(dirname "${BASH_SOURCE[0]}")
    install -d -m 0755 "$root/usr/share/nginx/html" "$root/usr/local/bin"
    install -m 0644 "$recipe/index.html" "$root/usr/share/nginx/html/index.html"
    install -m 0755 "$recipe/myapp-entrypoint" "$root/usr/local/bin/myapp-entrypoint"
}
