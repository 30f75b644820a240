#!/usr/bin/env bash
# Build labcontainer's kernel image without any registry: a minimal Debian root file
# system with python3 + ipykernel (mmdebstrap), imported into Podman, rootful and
# rootless. A second, python-only image (no ipykernel) serves the "any python image"
# path of the kernel provisioner.
#
# The root file systems are cached as tarballs in $LABCONTAINER_CACHE so that a local
# re-run only re-imports (seconds). CI starts from an empty cache.
set -euo pipefail

STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
CACHE=${LABCONTAINER_CACHE:-/var/cache/labcontainer}
# shellcheck disable=SC1091
source "$STATE/env"
KERNEL_IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}
PYTHON_IMAGE=${LABCONTAINER_PYTHON_IMAGE:-localhost/labcontainer-python:latest}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$CACHE"

build_rootfs() { # $1 = tarball, $2 = extra packages
    local tarball=$1 packages=$2
    if [ -s "$tarball" ]; then
        echo "==> using cached root file system $tarball"
        return
    fi
    echo "==> building root file system with $packages (about a minute)"
    local t0=$SECONDS
    mmdebstrap --variant=minbase --include="$packages" \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --aptopt='APT::Install-Recommends "false"' \
        --customize-hook='chroot "$1" apt-get clean' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
        --format=tar bookworm "$tarball.part" "$MIRROR" >"$tarball.log" 2>&1 \
        || { tail -20 "$tarball.log" >&2; exit 1; }
    mv "$tarball.part" "$tarball"
    echo "    built in $((SECONDS - t0)) s: $(du -h "$tarball" | cut -f1)"
}

as_lab() {
    runuser -u "$LABCONTAINER_ROOTLESS_USER" -- env XDG_RUNTIME_DIR="$LABCONTAINER_ROOTLESS_RUNTIME_DIR" \
        CONTAINERS_CONF="$CONTAINERS_CONF" HOME="$(getent passwd "$LABCONTAINER_ROOTLESS_USER" | cut -d: -f6)" \
        bash -c 'cd ~ && "$@"' _ "$@"
}

import_image() { # $1 = tarball, $2 = image name, $3 = CMD json; imports rootful and rootless
    local tarball=$1 image=$2 cmd=$3
    local changes=(--change "CMD $cmd" --change "ENV PYDEVD_DISABLE_FILE_VALIDATION=1"
                   --change "LABEL org.labcontainer.built-by=build-kernel-image.sh")
    if ! podman image exists "$image"; then
        echo "==> importing $image (rootful)"
        podman import "${changes[@]}" "$tarball" "$image" >/dev/null
    fi
    if ! as_lab podman image exists "$image"; then
        echo "==> importing $image (rootless, user $LABCONTAINER_ROOTLESS_USER)"
        chmod 644 "$tarball"
        chmod 755 "$CACHE"
        as_lab podman import "${changes[@]}" "$tarball" "$image" >/dev/null
    fi
}

build_rootfs "$CACHE/kernel-rootfs.tar" "python3,python3-ipykernel,procps"
import_image "$CACHE/kernel-rootfs.tar" "$KERNEL_IMAGE" '["python3","-m","ipykernel_launcher"]'
build_rootfs "$CACHE/python-rootfs.tar" "python3"
import_image "$CACHE/python-rootfs.tar" "$PYTHON_IMAGE" '["python3"]'
echo "==> images ready: $KERNEL_IMAGE, $PYTHON_IMAGE"
