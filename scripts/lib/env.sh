# Shared by scripts/test and scripts/demo: a virtual environment with the
# project installed, re-created only when pyproject.toml changes.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$REPO/.venv"
PY="${PYTHON:-python3}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root to run: $*"; return 1
    fi
}

apt_install() {
    log "installing Debian packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_venv() {
    local extras="$1" stamp want
    want="$(sha256sum "$REPO/pyproject.toml" | cut -c1-16)-$extras"
    stamp="$VENV/.installed"
    if [ ! -x "$VENV/bin/python" ]; then
        if ! "$PY" -m venv "$VENV" 2>/dev/null; then
            apt_install python3-venv
            "$PY" -m venv "$VENV"
        fi
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing Python packages ($extras) into .venv"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e "$REPO[$extras]"
        echo "$want" >"$stamp"
    fi
}
