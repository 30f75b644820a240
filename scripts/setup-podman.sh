#!/usr/bin/env bash
# Install Podman from Debian and start its REST API service, rootful and rootless.
#
# Idempotent: safe to run again; it only installs what is missing and only starts a
# service whose socket does not answer. Leaves /etc/containers untouched: the
# machine quirks (runc instead of crun, lower ulimits) live in a CONTAINERS_CONF file.
#
# Exports nothing; writes $LABCONTAINER_STATE/env, which callers source:
#   LABCONTAINER_ROOTFUL_URL, LABCONTAINER_ROOTLESS_URL, LABCONTAINER_ROOTLESS_USER, CONTAINERS_CONF,
#   CONTAINERS_REGISTRIES_CONF (the test world's registries: scripts/setup-registry.sh serves them)
set -euo pipefail

STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
LAB_USER=${LABCONTAINER_ROOTLESS_USER:-lab}
mkdir -p "$STATE"
chmod 755 "$STATE"

# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
apt_install podman runc uidmap slirp4netns fuse-overlayfs catatonit mmdebstrap curl

# Two quirks of these VMs: crun refuses the hybrid cgroup layout, and the default
# ulimits are above what the VM grants.
CONF="$STATE/containers.conf"
cat >"$CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
chmod 644 "$CONF"

# Where images come from, in the test world: the registries scripts/setup-registry.sh serves
# on this machine, plain HTTP as a lab's internal mirror often is, and docker.io served through
# one of them (a mirror). Given to Podman as CONTAINERS_REGISTRIES_CONF, never in /etc.
# Rewritten only when it changes: a service started before the change is restarted below.
REGISTRIES_CONF="$STATE/registries.conf"
write_if_changed "$REGISTRIES_CONF" <<EOF
# Written by scripts/setup-podman.sh (CONTAINERS_REGISTRIES_CONF of the test world).
unqualified-search-registries = ["$REGISTRY_OPEN"]

[[registry]]
location = "$REGISTRY_OPEN"
insecure = true

[[registry]]
location = "$REGISTRY_AUTH"
insecure = true

[[registry]]
location = "$REGISTRY_SCRATCH"
insecure = true

[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "$REGISTRY_OPEN/mirror"
insecure = true
EOF

socket_answers() { # $1 = socket path, $2 = user to ask as (optional)
    local sock=$1
    [ -S "$sock" ] || return 1
    curl -sf --max-time 3 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1
}

# The pid of the process listening on a unix socket (empty if none is found).
# The pid of the `podman system service` serving socket $1, or nothing when none does (a
# fresh machine): read from /proc, so it needs no tool, and never fails under `set -e`.
socket_pid() {
    local cmdline
    for cmdline in /proc/[0-9]*/cmdline; do
        if tr '\0' ' ' <"$cmdline" 2>/dev/null | grep -q -- "system service --time=0 unix://$1\( \|$\)"; then
            basename "$(dirname "$cmdline")"
            return 0
        fi
    done
    return 0
}

# A running service reads registries.conf once, when it starts: one started without ours, or
# before ours last changed, must be restarted to see it. So must one started elsewhere than
# `/` (by an older copy of this script): conmon inherits the service's working directory and
# refuses to start any container once that directory is deleted or unreadable. Only a podman process is restarted
# (never, say, systemd holding a socket-activated one: that is the admin's).
restart_if_stale() { # $1 = socket
    local sock=$1 pid started
    pid=$(socket_pid "$sock")
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = podman ] || return 0
    started=$(( $(date +%s) - $(ps -o etimes= -p "$pid") ))
    if tr '\0' '\n' <"/proc/$pid/environ" | grep -qxF "CONTAINERS_REGISTRIES_CONF=$REGISTRIES_CONF" &&
        [ "$started" -ge "$(stat -c %Y "$REGISTRIES_CONF")" ] &&
        [ "$(readlink "/proc/$pid/cwd")" = / ]; then
        return 0
    fi
    echo "==> restarting the podman service on $sock so that it reads $REGISTRIES_CONF and runs from /"
    kill "$pid"
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$sock"
}

wait_for_socket() {
    local sock=$1
    for _ in $(seq 1 100); do
        socket_answers "$sock" && return 0
        sleep 0.1
    done
    echo "Podman service on $sock did not answer within 10 s; see $STATE/*.log" >&2
    return 1
}


# --- rootful service at the standard path, so discovery works without settings.
ROOTFUL_SOCK=/run/podman/podman.sock
restart_if_stale "$ROOTFUL_SOCK"
if ! socket_answers "$ROOTFUL_SOCK"; then
    echo "==> starting rootful podman system service on $ROOTFUL_SOCK"
    mkdir -p /run/podman
    rm -f "$ROOTFUL_SOCK"
    env --chdir=/ CONTAINERS_CONF="$CONF" CONTAINERS_REGISTRIES_CONF="$REGISTRIES_CONF" setsid nohup podman system service --time=0 "unix://$ROOTFUL_SOCK" \
        >"$STATE/podman-rootful.log" 2>&1 </dev/null &
    wait_for_socket "$ROOTFUL_SOCK"
fi

# --- rootless: the way lab members run Podman.
if ! id "$LAB_USER" >/dev/null 2>&1; then
    echo "==> creating user $LAB_USER (with subuid/subgid ranges)"
    useradd -m -s /bin/bash "$LAB_USER"
fi
LAB_UID=$(id -u "$LAB_USER")
LAB_HOME=$(getent passwd "$LAB_USER" | cut -d: -f6)
LAB_RUNTIME=/run/user/$LAB_UID
mkdir -p "$LAB_RUNTIME"
chown "$LAB_USER:" "$LAB_RUNTIME"
chmod 700 "$LAB_RUNTIME"
# slirp4netns (the rootless default network) needs the tun device; it is 0600 on these VMs.
[ -e /dev/net/tun ] && chmod 666 /dev/net/tun || true

LAB_STORAGE_CONF="$LAB_HOME/.config/containers/storage.conf"
if [ ! -f "$LAB_STORAGE_CONF" ]; then
    # vfs (the rootless default here) copies whole layers: overlay is much faster.
    runuser -u "$LAB_USER" -- mkdir -p "$(dirname "$LAB_STORAGE_CONF")"
    printf '[storage]\ndriver = "overlay"\n' >"$LAB_STORAGE_CONF"
    chown "$LAB_USER:" "$LAB_STORAGE_CONF"
    runuser -u "$LAB_USER" -- env XDG_RUNTIME_DIR="$LAB_RUNTIME" CONTAINERS_CONF="$CONF" \
        podman system reset -f >/dev/null 2>&1 || true
fi

ROOTLESS_SOCK=$LAB_RUNTIME/podman/podman.sock
restart_if_stale "$ROOTLESS_SOCK"
if ! socket_answers "$ROOTLESS_SOCK"; then
    echo "==> starting rootless podman system service for $LAB_USER on $ROOTLESS_SOCK"
    runuser -u "$LAB_USER" -- mkdir -p "$LAB_RUNTIME/podman"
    rm -f "$ROOTLESS_SOCK"
    # Podman 4.3.1: the process that creates the user's namespace (and its pause process)
    # answers every `commit` with "CommitFailure: runroot must be set"; processes that join
    # an existing namespace commit fine (measured). So a throwaway `podman unshare` creates
    # the namespace first and the service joins it.
    runuser -u "$LAB_USER" -- env --chdir=/ XDG_RUNTIME_DIR="$LAB_RUNTIME" CONTAINERS_CONF="$CONF" \
        HOME="$LAB_HOME" podman unshare true
    runuser -u "$LAB_USER" -- env --chdir=/ XDG_RUNTIME_DIR="$LAB_RUNTIME" CONTAINERS_CONF="$CONF" \
        CONTAINERS_REGISTRIES_CONF="$REGISTRIES_CONF" HOME="$LAB_HOME" setsid nohup podman system service --time=0 "unix://$ROOTLESS_SOCK" \
        >"$STATE/podman-rootless.log" 2>&1 </dev/null &
    wait_for_socket "$ROOTLESS_SOCK"
fi

cat >"$STATE/env" <<EOF
export CONTAINERS_CONF=$CONF
export CONTAINERS_REGISTRIES_CONF=$REGISTRIES_CONF
export LABCONTAINER_ROOTFUL_URL=unix://$ROOTFUL_SOCK
export LABCONTAINER_ROOTLESS_URL=unix://$ROOTLESS_SOCK
export LABCONTAINER_ROOTLESS_USER=$LAB_USER
export LABCONTAINER_ROOTLESS_RUNTIME_DIR=$LAB_RUNTIME
# The registries' addresses and test login, once scripts/setup-registry.sh has run.
if [ -f "$STATE/registry.env" ]; then . "$STATE/registry.env"; fi
EOF
chmod 644 "$STATE/env"
echo "==> Podman ready: rootful $ROOTFUL_SOCK, rootless ($LAB_USER) $ROOTLESS_SOCK"
