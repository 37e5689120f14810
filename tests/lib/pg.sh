# tests/lib/pg.sh: a throwaway PostgreSQL cluster for one test script.
# Source after tap.sh. pg_start creates and starts a cluster under $T/pg on a
# free loopback port, with its socket in $T/pg/sock; it is stopped and removed
# at exit, by PID, whatever happens. Sets PGHOST, PGPORT, PGUSER for psql.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

# Run a command as the cluster's owner: initdb and postgres refuse root.
as_pg_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A port nobody listens on now, from a random place in a wide range: test
# scripts run in parallel, and two that probed the same first free port
# would race for it.
pg_free_port() {
	local port tries
	for tries in $(seq 1 200); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

pg_stop() {
	local pid
	[ -f "$T/pg/data/postmaster.pid" ] || return 0
	pid=$(head -n 1 "$T/pg/data/postmaster.pid")
	as_pg_owner "$PG_BIN/pg_ctl" -D "$T/pg/data" -m immediate -w -t 20 stop >/dev/null 2>&1
	# pg_ctl may fail if the data directory is half gone: end it by PID.
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
	fi
}

# pg_start: start the cluster. Returns 2 when PostgreSQL is not installed
# (the caller skips), 1 when it is but the cluster would not start (the
# caller fails: that is a broken test machine, not a reason to test less).
pg_start() {
	[ -x "$PG_BIN/initdb" ] || { echo "# no PostgreSQL server binaries found" >&2; return 2; }
	mkdir -p "$T/pg/sock"
	chmod 755 "$T"
	if [ "$(id -u)" = 0 ]; then chown -R postgres: "$T/pg"; fi
	PGPORT=$(pg_free_port) || return 1
	as_pg_owner "$PG_BIN/initdb" -D "$T/pg/data" -U postgres --auth=trust \
		--no-sync -E UTF8 --locale=C >"$T/pg/initdb.log" 2>&1 || {
		sed 's/^/# /' "$T/pg/initdb.log"; return 1; }
	at_exit pg_stop
	# Another script may take the port between the probe and the bind: then
	# try another, a few times.
	local attempt
	for attempt in 1 2 3 4 5; do
		as_pg_owner "$PG_BIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $T/pg/sock -c fsync=off" \
			start >/dev/null 2>&1 && break
		if [ "$attempt" = 5 ] || ! grep -q "Address already in use" "$T/pg/server.log"; then
			sed 's/^/# /' "$T/pg/server.log"
			return 1
		fi
		PGPORT=$(pg_free_port) || return 1
	done
	export PGHOST=$T/pg/sock PGPORT PGUSER=postgres PGDATABASE=postgres
	unset PGPASSWORD PGSERVICE
}

# Allow password logins over TCP for the given roles (the rest stays trust on the socket).
pg_require_passwords() {
	cat >"$T/pg/data/pg_hba.conf" <<HBA
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
	[ "$(id -u)" = 0 ] && chown postgres: "$T/pg/data/pg_hba.conf"
	psql -qAt -c 'select pg_reload_conf()' >/dev/null
}
