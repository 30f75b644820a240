# Shared by the set-up scripts (sourced, not run).

# apt_install PACKAGE...: install the Debian packages that are missing, refreshing the
# package lists first (a machine's lists may be stale or, on a fresh one, empty).
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    echo "==> apt-get install ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The test world's registries (scripts/setup-registry.sh serves them; setup-podman.sh writes
# the registries.conf that points Podman at them). Not Debian's packaged default (:5000):
# on a machine where its service runs, we must not collide with it.
REGISTRY_OPEN=127.0.0.1:5100     # open, plain HTTP: the lab's internal registry and mirror
REGISTRY_AUTH=127.0.0.1:5101     # htpasswd basic auth: for login tests
REGISTRY_SCRATCH=127.0.0.1:5102  # nothing serves it: tests start and stop their own there

# write_if_changed FILE (content on stdin): keep the file, and its date, when nothing changed.
write_if_changed() {
    local file=$1 new
    new=$(cat)
    if [ ! -f "$file" ] || [ "$(cat "$file")" != "$new" ]; then
        printf '%s\n' "$new" >"$file"
    fi
    chmod 644 "$file"
}
