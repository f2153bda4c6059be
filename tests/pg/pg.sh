# A throwaway PostgreSQL 15 cluster for tests (sourced): unix socket only, in
# a directory of its own, no fsync (about 1 s to make and start).
#   pg_start DIR   makes and starts the cluster in DIR (a new, empty directory);
#                  sets PG_URL (superuser "ccfaas", database "postgres").
#                  Returns 77 with a message when PostgreSQL 15 is not installed.
#   pg_restart / pg_kill / pg_up / pg_stop   (pg_kill: an immediate shutdown, like a crash)
# initdb and postgres refuse to run as root: as root the cluster belongs to
# the unprivileged user "nobody" (runuser); the tests, as root, still reach
# its socket.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg__as() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_start() {
    PG_DIR=$1
    if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
        echo "SKIP: PostgreSQL 15 is not installed ($PG_BIN/initdb; scripts/install-deps adds postgresql-15)"
        return 77
    fi
    if [ "$(id -u)" = 0 ] && ! id nobody >/dev/null 2>&1; then
        echo "SKIP: running as root and no user 'nobody' to own the PostgreSQL cluster"
        return 77
    fi
    [ "$(id -u)" = 0 ] && chown nobody "$PG_DIR"
    chmod 700 "$PG_DIR"
    pg__as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U ccfaas --no-sync -E UTF8 \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    pg_up || return 1
    PG_URL="postgresql://ccfaas@/postgres?host=$PG_DIR"
    export PG_URL
}

pg_up() {
    pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -t 30 \
        -o "-k $PG_DIR -c listen_addresses= -c fsync=off -c max_connections=60" start \
        >/dev/null || { cat "$PG_DIR/pg.log" >&2; return 1; }
}

pg_kill() {
    pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null
}

pg_restart() {
    pg_kill && pg_up
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
        pg__as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    return 0
}
