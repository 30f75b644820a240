#!/usr/bin/env bash
# A second "GPU server" on this machine, for the remote-connection tests (issue #21): Debian's
# openssh-server on 127.0.0.1 with its own sshd_config and host key under $LABCONTAINER_STATE
# (never the system's sshd), and behind it the Linux user `gpu2` with its own rootless
# `podman system service`, reached the way a lab member reaches another server:
#   podman system connection add gpu2 ssh://gpu2@127.0.0.1:PORT/run/user/UID/podman/podman.sock
#
# Run after setup-podman.sh and build-kernel-image.sh (it copies the kernel image from the
# rootful store). Idempotent: it only installs, creates, starts and loads what is missing.
# The test users (root, and $LABCONTAINER_ROOTLESS_USER) each get their own key pair (if
# missing), authorized for gpu2, and a known_hosts entry for [127.0.0.1]:PORT written here:
# labcontainer always checks host keys, so the tests trust this server the way a user would.
#
# Writes $LABCONTAINER_STATE/remote.env (sourced by $STATE/env): LABCONTAINER_REMOTE_SSH_PORT,
# LABCONTAINER_REMOTE_USER, LABCONTAINER_REMOTE_SOCKET, LABCONTAINER_REMOTE_URI,
# LABCONTAINER_REMOTE_RUNTIME_DIR. The port: $LABCONTAINER_SSH_PORT, else the one this state
# used before, else 2222 for the default state dir and one derived from its path for another
# (two state dirs on one machine need two ports; they share gpu2).
set -euo pipefail

STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
# shellcheck disable=SC1091
source "$STATE/env"
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
apt_install openssh-server openssh-client

REMOTE_USER=gpu2
KERNEL_IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}
SSHD_DIR=$STATE/sshd
REMOTE_ENV=$STATE/remote.env
PORT=${LABCONTAINER_SSH_PORT:-}
if [ -z "$PORT" ] && [ -f "$REMOTE_ENV" ]; then
    PORT=$(sed -n 's/^export LABCONTAINER_REMOTE_SSH_PORT=//p' "$REMOTE_ENV")
fi
if [ -z "$PORT" ] && [ "$STATE" != /var/lib/labcontainer-dev ]; then
    # Another state dir (a second checkout set up beside the first): its own port, or its
    # sshd could not start and its host key would replace the first one's in known_hosts.
    PORT=$(( 2300 + $(printf '%s' "$STATE" | cksum | cut -d' ' -f1) % 600 ))
fi
PORT=${PORT:-2222}

# --- gpu2: a user with its own rootless Podman service (as setup-podman.sh does for `lab`).
if ! id "$REMOTE_USER" >/dev/null 2>&1; then
    echo "==> creating user $REMOTE_USER (the remote server's lab member)"
    useradd -m -s /bin/bash "$REMOTE_USER"
fi
# useradd leaves the account locked ('!'), and sshd refuses even key logins to a locked
# account; '*' means "no password" without the lock.
[ "$(getent shadow "$REMOTE_USER" | cut -d: -f2)" = '*' ] || usermod -p '*' "$REMOTE_USER"
REMOTE_UID=$(id -u "$REMOTE_USER")
REMOTE_HOME=$(getent passwd "$REMOTE_USER" | cut -d: -f6)
REMOTE_RUNTIME=/run/user/$REMOTE_UID
REMOTE_SOCK=$REMOTE_RUNTIME/podman/podman.sock
mkdir -p "$REMOTE_RUNTIME"
chown "$REMOTE_USER:" "$REMOTE_RUNTIME"
chmod 700 "$REMOTE_RUNTIME"

as_remote() {
    runuser -u "$REMOTE_USER" -- env --chdir=/ XDG_RUNTIME_DIR="$REMOTE_RUNTIME" CONTAINERS_CONF="$CONTAINERS_CONF" \
        HOME="$REMOTE_HOME" "$@"
}

STORAGE_CONF=$REMOTE_HOME/.config/containers/storage.conf
if [ ! -f "$STORAGE_CONF" ]; then
    # vfs (the rootless default here) copies whole layers: overlay is much faster.
    runuser -u "$REMOTE_USER" -- mkdir -p "$(dirname "$STORAGE_CONF")"
    printf '[storage]\ndriver = "overlay"\n' >"$STORAGE_CONF"
    chown "$REMOTE_USER:" "$STORAGE_CONF"
    as_remote podman system reset -f >/dev/null 2>&1 || true
fi

socket_answers() { # $1 = socket path
    [ -S "$1" ] && curl -sf --max-time 3 --unix-socket "$1" http://d/_ping >/dev/null 2>&1
}

if ! socket_answers "$REMOTE_SOCK"; then
    echo "==> starting rootless podman system service for $REMOTE_USER on $REMOTE_SOCK"
    runuser -u "$REMOTE_USER" -- mkdir -p "$REMOTE_RUNTIME/podman"
    rm -f "$REMOTE_SOCK"
    # Podman 4.3.1: the process that creates the user namespace fails every commit, so a
    # throwaway `podman unshare` creates it and the service joins it (setup-podman.sh).
    as_remote podman unshare true
    as_remote setsid nohup podman system service --time=0 "unix://$REMOTE_SOCK" \
        >"$STATE/podman-$REMOTE_USER.log" 2>&1 </dev/null &
    for _ in $(seq 1 100); do
        socket_answers "$REMOTE_SOCK" && break
        sleep 0.1
    done
    socket_answers "$REMOTE_SOCK" || { echo "gpu2's Podman did not answer within 10 s; see $STATE/podman-$REMOTE_USER.log" >&2; exit 1; }
fi

# The kernel image, as the rootful store has it (build-kernel-image.sh built it): same id there.
WANT=$(podman image inspect --format '{{.Id}}' "$KERNEL_IMAGE")
if [ "$(as_remote podman image inspect --format '{{.Id}}' "$KERNEL_IMAGE" 2>/dev/null)" != "$WANT" ]; then
    echo "==> loading $KERNEL_IMAGE into $REMOTE_USER's storage"
    podman save "$KERNEL_IMAGE" | as_remote podman load >/dev/null
    as_remote podman tag "$WANT" "$KERNEL_IMAGE"
fi

# --- sshd: our own config, host key and pid file; the system's sshd (if any) is left alone.
mkdir -p "$SSHD_DIR" /run/sshd
chmod 755 "$SSHD_DIR"
HOST_KEY=$SSHD_DIR/ssh_host_ed25519_key
[ -f "$HOST_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "labcontainer test sshd" -f "$HOST_KEY"
SSHD_CONFIG=$SSHD_DIR/sshd_config
write_if_changed "$SSHD_CONFIG" <<EOF
# Written by scripts/setup-remote.sh: the test world's "other server" (issue #21).
ListenAddress 127.0.0.1
Port $PORT
HostKey $HOST_KEY
PidFile $SSHD_DIR/sshd.pid
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $REMOTE_USER
UsePAM no
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
AuthorizedKeysFile .ssh/authorized_keys
# gpu2's ~/.ssh/environment puts ~gpu2/bin (the stand-in nvidia-smi) first on its PATH.
PermitUserEnvironment PATH
EOF

sshd_pid() { # ours: the pid in our pid file, alive and started with our config
    local pid
    pid=$(cat "$SSHD_DIR/sshd.pid" 2>/dev/null) || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-f $SSHD_CONFIG" && echo "$pid"
    return 0
}

PID=$(sshd_pid)
if [ -n "$PID" ] && [ "$(stat -c %Y "$SSHD_CONFIG")" -gt $(( $(date +%s) - $(ps -o etimes= -p "$PID") )) ]; then
    echo "==> restarting the test sshd: its config changed"
    kill "$PID"
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    PID=
fi
if [ -z "$PID" ]; then
    echo "==> starting the test sshd on 127.0.0.1:$PORT ($SSHD_CONFIG)"
    /usr/sbin/sshd -t -f "$SSHD_CONFIG"
    /usr/sbin/sshd -f "$SSHD_CONFIG" -E "$STATE/sshd.log"
    for _ in $(seq 1 50); do [ -n "$(sshd_pid)" ] && break; sleep 0.1; done
fi

# --- the test users' keys, authorized for gpu2, and gpu2's host key in their known_hosts.
AUTHORIZED=$REMOTE_HOME/.ssh/authorized_keys
runuser -u "$REMOTE_USER" -- mkdir -p -m 700 "$REMOTE_HOME/.ssh"
runuser -u "$REMOTE_USER" -- touch "$AUTHORIZED"
chmod 600 "$AUTHORIZED"
KNOWN_ENTRY="[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$HOST_KEY.pub")"

trust_for() { # $1 = a test user: own key (made if missing), authorized for gpu2; our host key known
    local user=$1 home
    home=$(getent passwd "$user" | cut -d: -f6)
    runuser -u "$user" -- mkdir -p -m 700 "$home/.ssh"
    [ -f "$home/.ssh/id_ed25519" ] || runuser -u "$user" -- ssh-keygen -q -t ed25519 -N '' -C "$user@labcontainer-tests" -f "$home/.ssh/id_ed25519"
    local pub
    pub=$(cut -d' ' -f1,2 "$home/.ssh/id_ed25519.pub")
    grep -qF "$pub" "$AUTHORIZED" || echo "$pub $user@labcontainer-tests" >>"$AUTHORIZED"
    local known=$home/.ssh/known_hosts
    runuser -u "$user" -- touch "$known"
    if ! grep -qxF "$KNOWN_ENTRY" "$known"; then
        # A host key made by an earlier set-up of this port is replaced, not kept beside it.
        runuser -u "$user" -- ssh-keygen -q -R "[127.0.0.1]:$PORT" -f "$known" >/dev/null 2>&1 || true
        echo "$KNOWN_ENTRY" | runuser -u "$user" -- tee -a "$known" >/dev/null
    fi
}
trust_for root
trust_for "$LABCONTAINER_ROOTLESS_USER"

# --- gpu2's GPUs: a stand-in nvidia-smi answering from recorded CSV, on gpu2's PATH only
# (~gpu2/bin, through ~/.ssh/environment: ssh commands through our sshd see it; this machine
# itself has no nvidia-smi, as tests/test_gpu_smi.py checks).
REPO=$(cd "$(dirname "$0")/.." && pwd)
REMOTE_SMI=$REMOTE_HOME/lib/labcontainer-smi
runuser -u "$REMOTE_USER" -- mkdir -p "$REMOTE_HOME/bin" "$REMOTE_SMI/apps.d"
install -o "$REMOTE_USER" -m 755 "$REPO/scripts/remote-nvidia-smi" "$REMOTE_HOME/bin/nvidia-smi"
for part in gpus.csv apps.csv list.txt table.txt; do
    install -o "$REMOTE_USER" -m 644 "$REPO/tests/data/handmade-2gpu-smi-$part" "$REMOTE_SMI/$part"
done
echo "PATH=$REMOTE_HOME/bin:/usr/local/bin:/usr/bin:/bin" >"$REMOTE_HOME/.ssh/environment"
chown "$REMOTE_USER:" "$REMOTE_HOME/.ssh/environment"
chmod 600 "$REMOTE_HOME/.ssh/environment"

cat >"$REMOTE_ENV" <<EOF
export LABCONTAINER_REMOTE_SSH_PORT=$PORT
export LABCONTAINER_REMOTE_USER=$REMOTE_USER
export LABCONTAINER_REMOTE_RUNTIME_DIR=$REMOTE_RUNTIME
export LABCONTAINER_REMOTE_SOCKET=$REMOTE_SOCK
export LABCONTAINER_REMOTE_URI=ssh://$REMOTE_USER@127.0.0.1:$PORT$REMOTE_SOCK
EOF
chmod 644 "$REMOTE_ENV"
# $STATE/env (setup-podman.sh rewrites it each run) sources remote.env as it does registry.env.
grep -qF remote.env "$STATE/env" || echo "if [ -f \"$REMOTE_ENV\" ]; then . \"$REMOTE_ENV\"; fi" >>"$STATE/env"

# The proof: the user's own ssh, host key checked, reaches gpu2's Podman.
runuser -u "$LABCONTAINER_ROOTLESS_USER" -- ssh -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=yes \
    "$REMOTE_USER@127.0.0.1" test -S "$REMOTE_SOCK"
echo "==> remote server ready: ssh://$REMOTE_USER@127.0.0.1:$PORT$REMOTE_SOCK"
