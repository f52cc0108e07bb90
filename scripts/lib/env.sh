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
    # $1: comma-separated extras. The stamp records the pyproject hash and the
    # extras installed, so the demo reuses a test environment and vice versa.
    local wanted="$1" stamp hash installed missing=0 extra
    hash="$(sha256sum "$REPO/pyproject.toml" | cut -c1-16)"
    stamp="$VENV/.installed"
    if [ ! -x "$VENV/bin/python" ]; then
        if ! "$PY" -m venv "$VENV" 2>/dev/null; then
            apt_install python3-venv
            "$PY" -m venv "$VENV"
        fi
    fi
    installed="$(cat "$stamp" 2>/dev/null || true)"
    if [ "${installed%%:*}" != "$hash" ]; then installed="$hash:"; missing=1; fi
    for extra in ${wanted//,/ }; do
        case ",${installed#*:}," in *",$extra,"*) ;; *) missing=1 ;; esac
    done
    if [ "$missing" = 1 ]; then
        local all
        all="$(printf '%s\n' ${wanted//,/ } $(tr ',' ' ' <<<"${installed#*:}") | sort -u | paste -sd, -)"
        log "installing Python packages [$all] into ${VENV#"$REPO"/}"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        # --no-compile: pip's byte-compiling of every installed module took half
        # the install; Python compiles the modules it imports, once, on use.
        "$VENV/bin/python" -m pip install -q --no-compile -e "$REPO[$all]"
        echo "$hash:$all" >"$stamp"
    fi
}
