# Start a private PostgreSQL server (loopback port $PGPORT) for the test suite,
# installing Debian's package if needed.
#
# The cluster lives in .cache/postgres inside the repository, unless the
# repository is somewhere the server's user cannot reach (a clone in a private
# home such as /root, mode 0700): then it lives in a directory of its own under
# $PG_FALLBACK_PARENT (default /var/tmp), named after the repository's path so
# that two clones never share one.

PGPORT="${PGPORT:-54329}"
PG_FALLBACK_PARENT="${PG_FALLBACK_PARENT:-/var/tmp}"
PG_STARTED_BY_US=0
PGDATA_DIR=""

pg_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$dir" ]; then
        apt_install postgresql
        dir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    echo "$dir"
}

as_pg_owner() {
    # initdb and postgres refuse to run as root. From /, since the current
    # directory may be one the postgres user cannot enter.
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_data_dir() {
    # Where the cluster lives: see the top of this file.
    mkdir -p "$REPO/.cache"
    if [ "$(id -u)" != 0 ] || as_pg_owner test -x "$REPO/.cache"; then
        echo "$REPO/.cache/postgres"
    else
        echo "$PG_FALLBACK_PARENT/dagw-postgres-$(printf '%s' "$REPO" | sha256sum | cut -c1-12)"
    fi
}

create_cluster() {
    # A failed initdb must not leave a half-made, postgres-owned directory.
    local bin="$1"
    log "creating a PostgreSQL cluster in $PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    chmod 0700 "$PGDATA_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"
    if ! as_pg_owner "$bin/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 >/dev/null; then
        rm -rf "$PGDATA_DIR"
        log "initdb failed; removed $PGDATA_DIR"
        return 1
    fi
}

start_postgres() {
    local bin created=0
    bin="$(pg_bin)"
    PGDATA_DIR="$(pg_data_dir)"
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        rm -rf "$PGDATA_DIR"  # the remains of an interrupted initdb, if any
        create_cluster "$bin" || return 1
        created=1
    fi
    if as_pg_owner "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        log "PostgreSQL already running on port $PGPORT"
    else
        log "starting PostgreSQL on 127.0.0.1:$PGPORT"
        if ! as_pg_owner "$bin/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
            -o "-p $PGPORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >/dev/null; then
            cat "$PGDATA_DIR/server.log" >&2 || true
            # A cluster made by this run is removed, so no postgres-owned files remain.
            [ "$created" = 1 ] && rm -rf "$PGDATA_DIR"
            return 1
        fi
        PG_STARTED_BY_US=1
    fi
    export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
}

stop_postgres() {
    if [ "$PG_STARTED_BY_US" = 1 ]; then
        as_pg_owner "$(pg_bin)/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
    fi
}
