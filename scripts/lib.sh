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
