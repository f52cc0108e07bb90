# Start a private PostgreSQL server (data dir in .cache/postgres, loopback
# port $PGPORT) for the test suite, installing Debian's package if needed.

PGPORT="${PGPORT:-54329}"
PGDATA_DIR="$REPO/.cache/postgres"
PG_STARTED_BY_US=0

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
    # initdb and postgres refuse to run as root.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
    local bin
    bin="$(pg_bin)"
    mkdir -p "$PGDATA_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        log "creating a PostgreSQL cluster in .cache/postgres"
        as_pg_owner "$bin/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    if as_pg_owner "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        log "PostgreSQL already running on port $PGPORT"
    else
        log "starting PostgreSQL on 127.0.0.1:$PGPORT"
        as_pg_owner "$bin/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
            -o "-p $PGPORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >/dev/null
        PG_STARTED_BY_US=1
    fi
    export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
}

stop_postgres() {
    if [ "$PG_STARTED_BY_US" = 1 ]; then
        as_pg_owner "$(pg_bin)/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
    fi
}
