#!/usr/bin/env bash
# Build labcontainer's kernel image without any container registry: a minimal Debian
# root file system (mmdebstrap) with python3 from Debian and ipykernel from PyPI,
# imported into Podman, rootful and rootless. Two python-only images (no ipykernel) serve the "any python image"
# path of the kernel provisioner: one with the host's Python (bookworm, 3.11), one with another
# version (trixie, 3.13), which gets an ipykernel bundle built for its Python. A fourth, Debian's
# python3-ipykernel untouched, is the ordinary image the cold-start benchmark measures.
#
# The root file systems are cached as tarballs in $LABCONTAINER_CACHE so that a local
# re-run only re-imports (seconds). CI starts from an empty cache.
set -euo pipefail

STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
CACHE=${LABCONTAINER_CACHE:-/var/cache/labcontainer}
# shellcheck disable=SC1091
source "$STATE/env"
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
KERNEL_IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}
PYTHON_IMAGE=${LABCONTAINER_PYTHON_IMAGE:-localhost/labcontainer-python:latest}
PYTHON313_IMAGE=${LABCONTAINER_PYTHON313_IMAGE:-localhost/labcontainer-python313:latest}
PLAIN_IMAGE=${LABCONTAINER_PLAIN_IMAGE:-localhost/labcontainer-debian-ipykernel:latest}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$CACHE"

build_rootfs() { # $1 = tarball, $2 = Debian suite, $3 = Debian packages, $4 = optional folder copied into site-packages
    local tarball=$1 suite=$2 packages=$3 site=${4:-}
    if [ -s "$tarball" ]; then
        echo "==> using cached root file system $tarball"
        return
    fi
    echo "==> building $suite root file system with $packages${site:+ + pip packages} (about a minute)"
    local t0=$SECONDS hooks=()
    if [ -n "$site" ]; then
        # mmdebstrap clamps file dates, so timestamp-checked .pyc files would look stale and
        # every container would recompile them: compile once, unchecked, with the image's python.
        hooks+=(--customize-hook="mkdir -p \"\$1/usr/local/lib/python3.11/dist-packages\" && cp -a $site/. \"\$1/usr/local/lib/python3.11/dist-packages/\"")
        hooks+=(--customize-hook='chroot "$1" python3 -m compileall -q -f --invalidation-mode unchecked-hash /usr/local/lib/python3.11/dist-packages /usr/lib/python3.11 >/dev/null || true')
    fi
    mmdebstrap --variant=minbase --include="$packages" \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --aptopt='APT::Install-Recommends "false"' \
        "${hooks[@]}" \
        --customize-hook='chroot "$1" apt-get clean' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
        --format=tar "$suite" "$tarball.part" "$MIRROR" >"$tarball.log" 2>&1 \
        || { tail -20 "$tarball.log" >&2; exit 1; }
    mv "$tarball.part" "$tarball"
    echo "    built in $((SECONDS - t0)) s: $(du -h "$tarball" | cut -f1)"
}

# ipykernel from PyPI for the image's python (Debian bookworm's 3.11, the same as the host's
# /usr/bin/python3): a kernel imports it in about half the time of Debian's ipykernel 6.
pip_site() { # prints a folder holding ipykernel and its dependencies
    local site=$CACHE/kernel-site-packages
    if [ ! -f "$site/.complete" ]; then
        apt_install python3-venv
        local tool=$CACHE/pip-venv
        [ -x "$tool/bin/pip" ] || "$PYTHON" -m venv "$tool" >&2
        rm -rf "$site"
        "$tool/bin/pip" install -q --no-compile --target "$site" "ipykernel>=6.29" >&2
        touch "$site/.complete"
    fi
    echo "$site"
}

as_lab() {
    runuser -u "$LABCONTAINER_ROOTLESS_USER" -- env XDG_RUNTIME_DIR="$LABCONTAINER_ROOTLESS_RUNTIME_DIR" \
        CONTAINERS_CONF="$CONTAINERS_CONF" HOME="$(getent passwd "$LABCONTAINER_ROOTLESS_USER" | cut -d: -f6)" \
        bash -c 'cd ~ && "$@"' _ "$@"
}

import_image() { # $1 = tarball, $2 = image name, $3 = CMD json; imports rootful and rootless
    local tarball=$1 image=$2 cmd=$3
    # The image remembers which tarball it came from, so a rebuilt one replaces it.
    local origin
    origin="$(basename "$tarball")-$(stat -c %s-%Y "$tarball")"
    local changes=(--change "CMD $cmd" --change "ENV PYDEVD_DISABLE_FILE_VALIDATION=1"
                   --change "LABEL org.labcontainer.built-by=build-kernel-image.sh"
                   --change "LABEL org.labcontainer.rootfs=$origin")
    local format='{{index .Labels "org.labcontainer.rootfs"}}'
    if [ "$(podman image inspect --format "$format" "$image" 2>/dev/null)" != "$origin" ]; then
        echo "==> importing $image (rootful)"
        podman import "${changes[@]}" "$tarball" "$image" >/dev/null
    fi
    if [ "$(as_lab podman image inspect --format "$format" "$image" 2>/dev/null)" != "$origin" ]; then
        echo "==> importing $image (rootless, user $LABCONTAINER_ROOTLESS_USER)"
        chmod 644 "$tarball"
        chmod 755 "$CACHE"
        as_lab podman import "${changes[@]}" "$tarball" "$image" >/dev/null
    fi
}

PYTHON=/usr/bin/python3
build_rootfs "$CACHE/kernel-rootfs-pip.tar" bookworm "python3,procps" "$(pip_site)"
import_image "$CACHE/kernel-rootfs-pip.tar" "$KERNEL_IMAGE" '["python3","-m","ipykernel_launcher"]'
build_rootfs "$CACHE/python-rootfs.tar" bookworm "python3"
import_image "$CACHE/python-rootfs.tar" "$PYTHON_IMAGE" '["python3"]'
# Python 3.13, a minor version the server (3.11) cannot lend its own ipykernel to.
build_rootfs "$CACHE/python313-rootfs.tar" trixie "python3"
import_image "$CACHE/python313-rootfs.tar" "$PYTHON313_IMAGE" '["python3"]'
# An ordinary image, nothing tuned: Debian's own python3-ipykernel, as a user's image would
# have it. The benchmark measures cold start on it beside the tuned image above.
build_rootfs "$CACHE/debian-ipykernel-rootfs.tar" bookworm "python3-ipykernel"
import_image "$CACHE/debian-ipykernel-rootfs.tar" "$PLAIN_IMAGE" '["python3","-m","ipykernel_launcher"]'
echo "==> images ready: $KERNEL_IMAGE, $PYTHON_IMAGE, $PYTHON313_IMAGE, $PLAIN_IMAGE"
