# tests/lib/bucardo.sh: a throwaway Bucardo 5.6.0 for one test script, in the
# style of tests/e2e/replicate.sh. Source after tap.sh and pg.sh.
#   bucardo_prereqs         skip the whole script (and exit) without Bucardo,
#                           PostgreSQL or PL/Perl, or when the machine's
#                           Bucardo.pm is not the unpatched module
#   bucardo_sandbox         HOME, the PID directory and the log directory in $T;
#                           call before pg_start (its teardown must run first)
#   bucardo_install         the control database, with every file Bucardo
#                           writes pointed into the sandbox
#   bc ARGS...              the bucardo command against that control database
#   start_bucardo NAME DIR  start the daemon with Bucardo.pm from DIR (PERL5LIB)
#   stop_bucardo, expect_stopped NAME, expect_log TEXT NAME, log_has TEXT
# Nothing of the machine's Bucardo is used: /etc/bucardorc, /var/log/bucardo
# and /var/run/bucardo are never read or written.

real_pm=/usr/share/perl5/Bucardo.pm
# Seconds a wait may take; after the first wait that times out, 5.
WAIT=${WAIT:-30}

# bail NAME FILE...: a setup step failed; later cases would only time out.
bail() {
	local name=$1 f
	shift
	fail "$name" "$(for f in "$@"; do echo "== $f"; head -c 2000 "$f"; done)"
	done_testing
	exit
}

# The unpatched module: both SET statements, no aiven_extras.
pristine_code() {
	local code
	code=$(sed '/^__END__/,$d' "$1")
	[ "$(grep -c "SET session_replication_role = 'replica'" <<<"$code")" = 1 ] &&
	[ "$(grep -c "SET session_replication_role = default" <<<"$code")" = 1 ] &&
	! grep -q aiven_extras <<<"$code"
}

bucardo_prereqs() {
	local why=
	if ! command -v bucardo >/dev/null 2>&1 || [ ! -f "$real_pm" ]; then
		why="package bucardo is not installed (no bucardo command or $real_pm)"
	elif [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/psql" ]; then
		why="no PostgreSQL server found under /usr/lib/postgresql (install postgresql-15)"
	elif [ ! -f "$PG_BIN/../lib/plperl.so" ]; then
		why="PL/Perl missing for $PG_BIN (install postgresql-plperl-15)"
	else
		cp "$real_pm" "$T/Bucardo.pm.orig"
		pristine_code "$T/Bucardo.pm.orig" ||
			why="$real_pm is not the unpatched module"
	fi
	if [ -n "$why" ]; then
		skip "Bucardo end to end" "$why"
		done_testing
		exit
	fi
}

bucardo_running=
bucardo_sandbox() {
	local tmpbase=${TMPDIR:-/tmp}
	# Bucardo lower-cases its piddir: give it a name that is lower case already.
	[ "$tmpbase" = "$(printf %s "$tmpbase" | tr A-Z a-z)" ] || tmpbase=/tmp
	piddir=$tmpbase/ba-e2e-pid.$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	mkdir -m 700 "$piddir" || { echo "Bail out! cannot create $piddir"; exit 1; }
	# bucardo install appends the bucardo user's password to ~/.pgpass.
	export HOME=$T/home
	mkdir -p "$HOME" "$T/log"
	# bucardo stop writes restart-reason files into the current directory.
	cd "$T" || exit 1
	export PGBINDIR=$PG_BIN
	unset PERL5LIB
	# Bucardo must be down before PostgreSQL goes: registered before pg_start.
	at_exit bucardo_teardown
}

bucardo_teardown() {
	[ -z "$bucardo_running" ] || stop_bucardo || true
	pg_stop
	rm -rf "$piddir"
}

bc() { bucardo --no-bucardorc -h "$PGHOST" -p "$PGPORT" "$@"; }

# sql DB STATEMENT: run as postgres, print unaligned tuples.
sql() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds or time is up.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.25
	done
}

bucardo_install() {
	bucardo install --batch --no-bucardorc -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres \
		--piddir "$piddir" >"$T/install.out" 2>&1 </dev/null
	grep -q 'Installation is now complete' "$T/install.out" ||
		bail "bucardo install --batch into a throwaway control database" "$T/install.out"
	bc set "piddir=$piddir" "reason_file=$T/log/restart.reason" \
		"warning_file=$T/log/warning.log" "log_conflict_file=$T/log/conflict.log" \
		>"$T/set.out" 2>&1
	bc show piddir reason_file >"$T/show.out" 2>&1
	grep -q "^piddir *= $piddir *\$" "$T/show.out" &&
	grep -q "^reason_file *= $T/log/restart.reason *\$" "$T/show.out" ||
		bail "Bucardo's settings point into the sandbox" "$T/set.out" "$T/show.out"
	pass "bucardo install --batch into a throwaway control database"
}

# The PIDs recorded in our PID directory (the MCP file holds more than a PID).
bucardo_pids() {
	local f
	for f in "$piddir"/*.pid; do
		[ -f "$f" ] && head -n 1 "$f" | grep -o '^[0-9]\+'
	done
}

# Is PID one of Bucardo's processes? (They retitle themselves "Bucardo ...".)
is_bucardo() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -q '^Bucardo'; }

alive_pids() {
	local pid
	for pid in $1; do is_bucardo "$pid" && echo "$pid"; done
}

no_bucardo_sessions() {
	[ "$(sql postgres "select count(*) from pg_stat_activity where application_name like 'bucardo%'")" = 0 ]
}

# stop_bucardo: bucardo stop, wait for every process of ours, KILL what is
# left after 30 s (and fail then).
stop_bucardo() {
	local seen alive deadline=$((SECONDS + 30))
	seen=$(bucardo_pids)
	bucardo --no-bucardorc stop --piddir "$piddir" >"$T/stop.out" 2>&1 </dev/null
	while :; do
		seen=$(printf '%s\n' $seen $(bucardo_pids) | sort -u)
		alive=$(alive_pids "$seen")
		[ -n "$alive" ] || break
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "# Bucardo processes still alive after 30 s, killing:" $alive
			kill -KILL $alive 2>/dev/null
			bucardo_running=
			return 1
		fi
		sleep 0.25
	done
	bucardo_running=
}

# start_bucardo NAME MODULE_DIR: Bucardo.pm from MODULE_DIR (PERL5LIB), log in $T/log/NAME.
start_bucardo() {
	mkdir -p "$T/log/$1"
	log=$T/log/$1/log.bucardo
	bucardo_running=1
	PERL5LIB=$2 bc start --log-destination "$T/log/$1" "scenario $1" \
		>"$T/log/$1/start.out" 2>&1 </dev/null
}

log_tail() { grep -v '^ ' "$log" 2>/dev/null | tail -n 6; }
log_has() { grep -qF -- "$1" "$log"; }

# expect_log TEXT NAME: wait (bounded) for TEXT in the current log.
expect_log() {
	if wait_until "$WAIT" log_has "$1"; then pass "$2"
	else fail "$2" "not in $log after $WAIT s: $1" "$(log_tail)"; WAIT=5; fi
}

expect_stopped() {
	if stop_bucardo; then pass "$1: every Bucardo process exited after bucardo stop"
	else fail "$1: every Bucardo process exited after bucardo stop" "had to KILL some"; fi
	check "$1: no Bucardo session left in PostgreSQL" wait_until 10 no_bucardo_sessions
}
