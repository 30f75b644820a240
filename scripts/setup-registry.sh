#!/usr/bin/env bash
# A real container registry on this machine, for the tests: Debian's docker-registry (the
# CNCF distribution registry), seeded with the project's images by `podman push`.
#
#   127.0.0.1:5100  open, plain HTTP: the lab's internal registry (lab/python, lab/kernel,
#                   lab/pulltest: one layer not on this machine), and its docker.io mirror
#                   (mirror/library/...; registries.conf sends docker.io/library/NAME there)
#   127.0.0.1:5101  the same with htpasswd basic auth, for login tests
#   127.0.0.1:5102  left free: tests start (and stop) a registry of their own there
# Podman finds them through the registries.conf scripts/setup-podman.sh writes (run it first).
#
# Idempotent and quick on a second run: a registry that answers is left alone, one that does
# not is (re)started as a background process with its config, storage and log under
# $LABCONTAINER_STATE/registry; an image is pushed again only when the local one changed.
# Writes $LABCONTAINER_STATE/registry.env (sourced by $LABCONTAINER_STATE/env).
set -euo pipefail

STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
# shellcheck disable=SC1091
source "$STATE/env"
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
apt_install docker-registry apache2-utils curl
KERNEL_IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}
PYTHON_IMAGE=${LABCONTAINER_PYTHON_IMAGE:-localhost/labcontainer-python:latest}
ROOT=$STATE/registry
USER_NAME=labtest
MIRRORED=labcontainer-python:latest # served as docker.io/library/$MIRRORED

# configure NAME ADDRESS [HTPASSWD]: the registry's own config and storage folder.
configure() {
    local name=$1 address=$2 htpasswd=${3:-}
    mkdir -p "$ROOT/$name/data"
    write_if_changed "$ROOT/$name/config.yml" <<EOF
# Written by scripts/setup-registry.sh
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $ROOT/$name/data
  delete:
    enabled: true
http:
  addr: $address
EOF
    if [ -n "$htpasswd" ]; then
        printf 'auth:\n  htpasswd:\n    realm: labcontainer-tests\n    path: %s\n' "$htpasswd" >>"$ROOT/$name/config.yml"
    fi
}

# The HTTP status of the registry's API root: 200 when open, 401 when it wants a login.
api_status() { # $1 = address
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$1/v2/" || true
}

# ensure_running NAME ADDRESS EXPECTED_STATUS: leave an answering registry alone, else
# stop our old process (if any) and start one.
ensure_running() {
    local name=$1 address=$2 expected=$3 pidfile=$ROOT/$1/pid
    if [ "$(api_status "$address")" = "$expected" ]; then
        return
    fi
    if [ -f "$pidfile" ] && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" = docker-registry ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        sleep 0.5
    fi
    echo "==> starting the $name registry on $address"
    setsid nohup docker-registry serve "$ROOT/$name/config.yml" >"$ROOT/$name/log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        [ "$(api_status "$address")" = "$expected" ] && return
        sleep 0.1
    done
    echo "The $name registry did not answer on $address within 10 s (is the port taken?):" >&2
    tail -5 "$ROOT/$name/log" >&2
    exit 1
}

# seed IMAGE ADDRESS/REPO:TAG [USER:PASSWORD]: push unless this very image is there already.
seed() {
    local image=$1 target=$2 creds=${3:-} id stamp
    id=$(podman image inspect --format '{{.Id}}' "$image")
    stamp="$ROOT/seeded-$(echo "$target" | tr '/:' '__')"
    local address=${target%%/*} path=${target#*/}
    local manifest="http://$address/v2/${path%:*}/manifests/${path##*:}"
    local auth=()
    [ -z "$creds" ] || auth=(-u "$creds")
    if [ "$(cat "$stamp" 2>/dev/null)" = "$id" ] &&
        curl -sf -o /dev/null --max-time 5 "${auth[@]}" -I \
            -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
            -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "$manifest"; then
        return
    fi
    echo "==> pushing $image to $target"
    podman push --tls-verify=false ${creds:+--creds "$creds"} "$image" "$target" >"$ROOT/push.log" 2>&1 \
        || { tail -5 "$ROOT/push.log" >&2; exit 1; }
    echo "$id" >"$stamp"
}

# seed_unique ADDRESS/REPO:TAG: an image with a layer of its own (32 MB of random bytes on the
# python image) that is in the registry only, so that pulling it really downloads (the
# project's images are already on this machine: pulling those only adds a name).
seed_unique() {
    local target=$1 base_id stamp build=$ROOT/build local_name=localhost/labcontainer-pulltest:latest
    base_id=$(podman image inspect --format '{{.Id}}' "$PYTHON_IMAGE")
    stamp="$ROOT/seeded-$(echo "$target" | tr '/:' '__')"
    local address=${target%%/*} path=${target#*/}
    if [ "$(cat "$stamp" 2>/dev/null)" = "$base_id" ] && curl -sf -o /dev/null --max-time 5 -I \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$address/v2/${path%:*}/manifests/${path##*:}"; then
        return
    fi
    echo "==> building and pushing $target (a layer of its own)"
    rm -rf "$build" && mkdir -p "$build"
    head -c 32M /dev/urandom >"$build/blob"
    printf 'FROM %s\nCOPY blob /opt/pulltest.bin\nLABEL org.labcontainer.test=pull\n' "$PYTHON_IMAGE" >"$build/Containerfile"
    podman build -q -t "$local_name" "$build" >/dev/null
    podman push --tls-verify=false "$local_name" "$target" >"$ROOT/push.log" 2>&1 || { tail -5 "$ROOT/push.log" >&2; exit 1; }
    podman rmi "$local_name" >/dev/null # its only name: the layer leaves this machine
    rm -rf "$build"
    echo "$base_id" >"$stamp"
}

mkdir -p "$ROOT/auth"
PASSWORD_FILE=$ROOT/auth/password
[ -s "$PASSWORD_FILE" ] || head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$PASSWORD_FILE"
PASSWORD=$(cat "$PASSWORD_FILE")
HTPASSWD=$ROOT/auth/htpasswd
htpasswd -vb "$HTPASSWD" "$USER_NAME" "$PASSWORD" >/dev/null 2>&1 || htpasswd -Bbc "$HTPASSWD" "$USER_NAME" "$PASSWORD" 2>/dev/null

configure open "$REGISTRY_OPEN"
configure auth "$REGISTRY_AUTH" "$HTPASSWD"
ensure_running open "$REGISTRY_OPEN" 200
ensure_running auth "$REGISTRY_AUTH" 401

seed "$PYTHON_IMAGE" "$REGISTRY_OPEN/lab/python:latest"
seed "$KERNEL_IMAGE" "$REGISTRY_OPEN/lab/kernel:latest"
seed "$PYTHON_IMAGE" "$REGISTRY_OPEN/mirror/library/$MIRRORED"
seed_unique "$REGISTRY_OPEN/lab/pulltest:latest"
seed "$PYTHON_IMAGE" "$REGISTRY_AUTH/lab/python:latest" "$USER_NAME:$PASSWORD"

write_if_changed "$STATE/registry.env" <<EOF
# Written by scripts/setup-registry.sh: the test world's registries (see that script).
export LABCONTAINER_REGISTRY=$REGISTRY_OPEN
export LABCONTAINER_REGISTRY_AUTH=$REGISTRY_AUTH
export LABCONTAINER_REGISTRY_SCRATCH=$REGISTRY_SCRATCH
export LABCONTAINER_REGISTRY_MIRRORED=docker.io/library/$MIRRORED
export LABCONTAINER_REGISTRY_USER=$USER_NAME
export LABCONTAINER_REGISTRY_PASSWORD=$PASSWORD
EOF
echo "==> registries ready: $REGISTRY_OPEN (and docker.io mirror), $REGISTRY_AUTH (user $USER_NAME)"
