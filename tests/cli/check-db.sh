#!/bin/bash
# check-db against a throwaway cluster, judged against the module Bucardo
# would load (a sandbox root holding it: pristine, patched, guarded, partly
# patched, the 5.0 layout): a non-superuser with and without the function, a
# superuser without it, a role granted SET on the parameter, bad passwords, a
# closed port, malformed conninfos, JSON, and a control database laid out as
# Bucardo's (syncs, roles, settings, rebuild_index at both levels). The
# verdicts that Bucardo itself then bears out are in tests/e2e/check-db.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/pg.sh"

pg_start
case $? in
0) ;;
2)	skip "check-db" "no PostgreSQL server installed (postgresql-15)"
	done_testing
	exit ;;
*)	fail "a throwaway PostgreSQL cluster starts"
	done_testing
	exit ;;
esac

# Nothing from the invoking user's environment may answer for the tool.
export HOME=$T PGPASSFILE=$T/no-pgpass
unset PGPASSWORD PGCONNECT_TIMEOUT

PW=Sekr3t-pw-4711
STORED_PW=St0red-by-Bucardo-99
SQL_FUNC="create schema aiven_extras;
	create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language plpgsql security definer
	as \$\$ begin return set_config('session_replication_role', arg_parameter, false); end \$\$;
	revoke execute on function aiven_extras.session_replication_role(text) from public;
	grant usage on schema aiven_extras to public;"

psql -qX -v ON_ERROR_STOP=1 >"$T/setup.log" 2>&1 <<SQL || { fail "set up the cluster" "$(cat "$T/setup.log")"; done_testing; exit; }
create role migrator login password '$PW';
create role setter login password '$PW';
create role stored login password '$STORED_PW';
create database target;
create database target2;
create database nofunc;
create database noexec;
create database control;
\c target
create table items (id int primary key);
create table plain (id int);
create index on plain (id);
create table noidx (id int);
alter table items owner to migrator;
$SQL_FUNC
grant execute on function aiven_extras.session_replication_role(text) to migrator, setter, stored;
create schema broken;
grant usage on schema broken to migrator;
create function broken.srr(arg_parameter text) returns text language sql security definer
	as \$\$ select current_setting('session_replication_role') \$\$;
create schema locked;
create function locked.srr(arg_parameter text) returns text language sql security definer
	as \$\$ select set_config('session_replication_role', arg_parameter, false) \$\$;
\c target2
create table items (id int primary key);
$SQL_FUNC
grant execute on function aiven_extras.session_replication_role(text) to migrator, stored;
\c noexec
$SQL_FUNC
SQL
if [ "$(psql -qAtX -c 'show server_version_num')" -ge 150000 ]; then
	psql -qX -c 'grant set on parameter session_replication_role to setter' >/dev/null
	have_set_grant=1
else
	have_set_grant=0
fi
pg_require_passwords

TCP="host=127.0.0.1 port=$PGPORT"
SOCK="host=$T/pg/sock port=$PGPORT"
READY="$TCP dbname=target user=migrator password=$PW"

# Sandbox roots, one per state of the module Bucardo would load.
mkroot() { sandbox "$1" "$T/r-$2" >/dev/null; }
mkroot "$FIXTURES/patched-5.6.pm" patched
mkroot "$FIXTURES/bucardo-5.6.pm" pristine
mkroot "$FIXTURES/expected/guarded/bucardo-5.6.pm" guarded
mkroot "$FIXTURES/partial-5.6.pm" partial
mkroot "$FIXTURES/patched-5.3-plain.pm" patched50
mkroot "$FIXTURES/expected/bucardo-5.3.pm" guarded50
mkroot "$FIXTURES/bucardo-4.pm" old
mkdir -p "$T/r-none"

# cdb STATE ARGS...: check-db as Bucardo with the STATE module would be judged.
cdb() { local state=$1; shift; run_ba --root "$T/r-$state" check-db "$@"; }
cdbj() { local state=$1; shift; run_ba --root "$T/r-$state" --json check-db "$@"; }

# elapsed STATE ARGS...: cdb, leaving the wall time in whole seconds in $secs.
elapsed() {
	local t0 t1
	t0=$(date +%s%N)
	cdb "$@"
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 1000000000))
}

# no_password NAME: no password (given or stored) on stdout or stderr.
no_password() {
	case "$out$errout" in
	*"$PW"* | *"$STORED_PW"*) fail "$1" "a password was printed" "$out" "$errout" ;;
	*) pass "$1" ;;
	esac
}

# quiet_stderr NAME: nothing failed to run, so stderr is empty (verdicts go to stdout).
quiet_stderr() {
	if [ -z "$errout" ]; then pass "$1"; else fail "$1" "stderr: $errout"; fi
}

# json_check NAME PYTHON: the JSON document on stdout satisfies the assertions (d is the doc).
json_check() {
	printf '%s' "$out" >"$T/doc.json"
	check "$1" python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$2" "$T/doc.json"
}

# --- the module ------------------------------------------------------------

# 1. Ready: the non-superuser may call the function and it sets the value.
cdb patched "$READY"
expect_rc 0 "ready target: exit 0"
contains "$out" "module: $T/r-patched/usr/share/perl5/Bucardo.pm: patched (Bucardo 5.6.0, layout 5.4)" \
	"the module judged is the active copy under --root, and it is patched"
contains "$out" "call 'replica': session_replication_role = replica" "ready target: replica call shown"
contains "$out" "call 'origin': session_replication_role = origin" "ready target: origin call shown"
contains "$out" "superuser: no" "ready target: not a superuser"
contains "$out" "aiven_extras.session_replication_role(text): present, executable" \
	"ready target: function present and executable"
contains "$out" 'SET session_replication_role: refused (permission denied to set parameter' \
	"ready target: SET LOCAL tried and refused"
contains "$out" "verdict: ready — Bucardo with the patched module will work" "ready target: verdict ready"
contains "$out" "overall: ready — every database (1) is ready" "ready target: overall ready"
contains "$out" "user=migrator" "ready target: user line"
quiet_stderr "ready target: nothing on stderr"
no_password "ready target: no password printed"

# The password from PGPASSWORD, as libpq takes it, and as a URI.
PGPASSWORD=$PW cdb patched "postgresql://migrator@127.0.0.1:$PGPORT/target"
expect_rc 0 "URI with PGPASSWORD: exit 0"

# 2. The same target with Bucardo's module unpatched: it would fail there.
cdb pristine "$READY"
expect_rc 1 "pristine module, non-superuser target: exit 1"
contains "$out" "module: $T/r-pristine/usr/share/perl5/Bucardo.pm: pristine" "the pristine module is named"
contains "$out" "verdict: NOT ready — Bucardo.pm is pristine" "pristine module: not ready"
contains "$out" "run \`bucardo-aiven apply\`" "pristine module: the fix is apply"
contains "$out" "would be ready with a Bucardo.pm that is: patched" "pristine module: overall says which state works"
quiet_stderr "pristine module: the verdict is not repeated on stderr"

# 3. A superuser without the function: the patched module calls it there too.
cdb patched "$SOCK dbname=nofunc user=postgres"
expect_rc 1 "superuser without the function, patched module: exit 1"
contains "$out" "superuser: yes" "superuser: reported"
contains "$out" "verdict: NOT ready — aiven_extras.session_replication_role(text) does not exist in this database: the patched module calls it on every database it writes to, superusers included" \
	"superuser without the function, patched module: not ready, and why"
contains "$out" "CREATE EXTENSION aiven_extras;" "superuser without the function: CREATE EXTENSION fix"
contains "$out" "bucardo-aiven revert" "superuser without the function: or run unpatched"
contains "$out" "(\`bucardo-aiven revert\` or \`bucardo-aiven apply --form guarded\`)" \
	"superuser without the function: overall, the commands that would make it ready"
cdb pristine "$SOCK dbname=nofunc user=postgres"
expect_rc 0 "superuser without the function, pristine module: exit 0"
contains "$out" "SET session_replication_role: allowed — ready without the patch" \
	"superuser: SET allowed, ready without the patch"
contains "$out" "works with Bucardo.pm: pristine, guarded" "superuser without the function: the states that work"
cdb guarded "$SOCK dbname=nofunc user=postgres"
expect_rc 0 "superuser without the function, guarded module: exit 0"
contains "$out" "the guarded module sets session_replication_role itself here" "guarded: says how"
cdb patched "$SOCK dbname=target user=postgres"
expect_rc 0 "superuser with the function, patched module: exit 0"

# 4. A role granted SET on the parameter (PostgreSQL 15), as a provider's rule
# lets a role set it without superuser.
if [ "$have_set_grant" = 1 ]; then
	cdb pristine "$TCP dbname=nofunc user=setter password=$PW"
	expect_rc 0 "SET granted, pristine module: exit 0"
	contains "$out" "SET session_replication_role granted: yes" "SET granted: reported"
	contains "$out" "SET session_replication_role: allowed — ready without the patch (a pristine Bucardo.pm works here)" \
		"SET granted: ready without the patch, and which state that implies"
	contains "$out" "verdict: ready — Bucardo's unpatched module works here" "SET granted: verdict"
	cdb patched "$TCP dbname=nofunc user=setter password=$PW"
	expect_rc 1 "SET granted, no function, patched module: exit 1"
	contains "$out" "would be ready with a Bucardo.pm that is: pristine, guarded" \
		"SET granted, patched module: revert or guarded would do"
	cdb patched "$TCP dbname=target user=setter password=$PW"
	expect_rc 0 "SET granted and the function: the patched module works too"
	contains "$out" "works with Bucardo.pm: pristine, patched, guarded" "SET granted and the function: every state"
else
	skip "SET granted" "PostgreSQL before 15 cannot grant SET on a parameter"
fi

# 5. Two targets, one without the function: not ready overall.
cdb patched "$READY" "$TCP dbname=nofunc user=migrator password=$PW"
expect_rc 1 "two targets, one without the function: exit 1"
check "two targets: the first is ready" test "$(grep -c '^verdict: ready' <<<"$out")" = 1
check "two targets: the second is not" test "$(grep -c '^verdict: NOT ready' <<<"$out")" = 1
contains "$out" "overall: NOT ready — 1 of 2 databases is not ready: host=127.0.0.1 port=$PGPORT dbname=nofunc user=migrator" \
	"two targets: overall not ready, naming the one"
quiet_stderr "two targets: the failure is printed once, on stdout"
no_password "two targets: no password printed"

# A partly patched module needs both SET and the function.
cdb partial "$READY"
expect_rc 1 "partly patched module: exit 1"
contains "$out" "only partly patched" "partly patched module: says so"
contains "$out" "to finish the patch" "partly patched module: apply finishes it"

# No module on this host: judged as apply leaves it, and said so.
cdb none "$READY"
expect_rc 0 "no module found: judged as apply leaves it"
contains "$out" "judged as \`bucardo-aiven apply\` leaves it, patched" "no module found: said so"

# A module this tool cannot judge: the check fails, once, on stderr.
cdb old "$READY"
expect_rc 1 "unsupported module: exit 1"
contains "$errout" "unsupported" "unsupported module: said on stderr"
contains "$out" "(cannot be judged)" "unsupported module: the report says it cannot be judged"
contains "$out" "verdict: not judged" "unsupported module: no verdict on the database"
case "$out" in *"verdict: ready"*) fail "unsupported module: no database said ready" "$out" ;; *) pass "unsupported module: no database said ready" ;; esac
contains "$out" "every database would be ready with a Bucardo.pm that is: patched, guarded" \
	"unsupported module: which module would do"

# --- the database ----------------------------------------------------------

# No function in this database: the extension is the fix.
cdb patched "$TCP dbname=nofunc user=migrator password=$PW"
expect_rc 1 "no function: exit 1"
contains "$out" "verdict: NOT ready" "no function: verdict not ready"
contains "$out" "CREATE EXTENSION aiven_extras;" "no function: CREATE EXTENSION fix"
quiet_stderr "no function: not repeated on stderr"
no_password "no function: no password printed"

# Quiet: no report, each verdict that is not ready once on stderr.
run_ba --root "$T/r-patched" -q check-db "$READY" "$TCP dbname=nofunc user=migrator password=$PW"
expect_rc 1 "quiet, one database not ready: exit 1"
check "quiet: nothing on stdout" test -z "$out"
check "quiet: one line on stderr, for the one not ready" test "$(grep -c 'NOT ready' <<<"$errout")" = 1
contains "$errout" "dbname=nofunc user=migrator: NOT ready — aiven_extras.session_replication_role(text) does not exist" \
	"quiet: the line names the database and why"
no_password "quiet: no password printed"

# The function is there but the user may not EXECUTE it.
cdb patched "$TCP dbname=noexec user=migrator password=$PW"
expect_rc 1 "no EXECUTE: exit 1"
contains "$out" "present, not executable" "no EXECUTE: reported"
contains "$out" "GRANT EXECUTE ON FUNCTION aiven_extras.session_replication_role(text) TO migrator;" \
	"no EXECUTE: GRANT fix"

# Wrong password over TCP: fails, says so, quickly.
elapsed patched "$TCP dbname=target user=migrator password=wrong-$PW"
expect_rc 1 "wrong password: exit 1"
contains "$out" "authentication failed" "wrong password: says authentication failed"
check "wrong password: within 5 s ($secs s)" test "$secs" -lt 5
quiet_stderr "wrong password: printed once"
no_password "wrong password: no password printed"

# No password at all where one is required.
cdb patched "$TCP dbname=target user=migrator"
expect_rc 1 "no password: exit 1"
contains "$out" "PGPASSWORD" "no password: says where to put one"

# A port nobody listens on: refused at once.
closed=$(pg_free_port)
elapsed patched "host=127.0.0.1 port=$closed dbname=target user=migrator password=$PW"
expect_rc 1 "closed port: exit 1"
check "closed port: within 5 s ($secs s)" test "$secs" -lt 5
contains "$out" "verdict: NOT ready — cannot connect" "closed port: says it cannot connect"
quiet_stderr "closed port: printed once"
no_password "closed port: no password printed"

# A malformed conninfo: a usage error naming the field, not "cannot connect".
cdb patched "host=127.0.0.1 port=abc dbname=target user=migrator password=$PW"
expect_rc 64 "port that is not a number: usage error (64)"
contains "$errout" "port 'abc' is not a number" "port that is not a number: names the field"
case "$out$errout" in
*"cannot connect"* | *firewall*) fail "port that is not a number: no connection advice" "$out" "$errout" ;;
*) pass "port that is not a number: no connection advice" ;;
esac
check "port that is not a number: nothing on stdout" test -z "$out"
no_password "port that is not a number: no password printed"
cdb patched "$READY sslmode=required"
expect_rc 64 "unknown sslmode: usage error"
contains "$errout" "sslmode 'required' is not an sslmode libpq knows" "unknown sslmode: names it"
cdb patched "$TCP password='$PW with spaces' unparseable"
expect_rc 64 "conninfo libpq cannot parse: usage error"
contains "$errout" "not a valid conninfo string or URI" "conninfo libpq cannot parse: says so"
no_password "conninfo libpq cannot parse: no password printed"
cdb patched "$TCP dbname=target unknownkey=1"
expect_rc 64 "unknown keyword: usage error"
contains "$errout" 'invalid connection option "unknownkey"' "unknown keyword: names it"
run_ba --root "$T/r-patched" check-db
expect_rc 64 "no CONNINFO and no --bucardo-db: usage error"

# Other functions, judged as apply --function NAME would leave the module.
# A function that returns without setting the value is caught by the calls.
cdb none --function broken.srr "$READY"
expect_rc 1 "function that sets nothing: exit 1"
contains "$out" "not replica" "function that sets nothing: caught"

# Without USAGE on the function's schema even the lookup fails.
cdb none --function locked.srr "$READY"
expect_rc 1 "no USAGE on the schema: exit 1"
contains "$out" "GRANT USAGE ON SCHEMA locked TO migrator;" "no USAGE on the schema: GRANT fix"

# Another function name that does not exist: its own fix, not the extension's.
cdb none --function other.srr "$READY"
expect_rc 1 "missing --function: exit 1"
contains "$out" "other.srr(text): missing" "missing --function: reported"
contains "$out" "name the function that exists with --function" "missing --function: fix"
# A module patched for another function than --function: what it calls is named.
cdb patched --function other.srr "$READY"
expect_rc 1 "module calling another function: exit 1"
contains "$errout" "calls aiven_extras.session_replication_role, not other.srr: run check-db with --function aiven_extras.session_replication_role" \
	"module calling another function: says which, once, on stderr"

# JSON: one valid document, per-database verdicts, no password anywhere.
cdbj patched "$READY" "postgres://migrator:$PW@127.0.0.1:$PGPORT/nofunc" \
	"$TCP dbname=target user=migrator password=wrong-$PW"
expect_rc 1 "json: exit 1 (not every database is ready)"
json_check "json: ready flags and fields" '
assert d["command"] == "check-db", d
assert d["ready"] is False and d["failed"] is False and d["error"] is None, d
assert d["module"]["state"] == "patched" and d["module"]["form"] == "patched", d["module"]
assert d["module"]["version"] == "5.6.0" and d["module"]["layout"] == "5.4", d["module"]
a, b, c = d["databases"]
assert a["ready"] is True and a["superuser"] is False and a["can_set"] is False, a
assert a["verdict"] == "ready" and a["error"] is None, a
assert a["function_exists"] is True and a["function_executable"] is True, a
assert [x["value"] for x in a["calls"]] == ["replica", "origin"], a["calls"]
assert all(x["ok"] for x in a["calls"]), a["calls"]
assert a["server_version"] and a["user"] == "migrator", a
assert a["works_with"] == ["patched", "guarded"], a["works_with"]
assert b["ready"] is False and b["function_exists"] is False, b
assert b["verdict"] == "needs-function" and "CREATE EXTENSION" in b["fix"], b
assert "dbname=nofunc" in b["conninfo"] and b["error"].startswith(b["reason"]), b
assert c["ready"] is False and c["connected"] is False, c
assert "authentication failed" in c["reason"], c
assert d["works_with"] == [], d["works_with"]
assert isinstance(d["warnings"], list) and d["bucardo_db"] is None
if int(a["server_version_num"]) >= 150000:
    assert a["set_granted"] is False, a
else:
    assert a["set_granted"] is None, a
'
quiet_stderr "json: nothing failed to run, nothing on stderr"
no_password "json: no password in stdout or stderr"

# Passwords hidden where libpq would not look twice: a URI's query, a
# conninfo given as dbname (which the server would quote back), sslpassword.
cdb patched "postgres://migrator@127.0.0.1:$PGPORT/target?password=$PW" \
	"dbname='host=127.0.0.1 port=$PGPORT dbname=x password=$PW'" \
	"$TCP dbname=target user=migrator password=$PW sslpassword=$PW"
expect_rc 1 "odd places for a password: exit 1"
no_password "odd places for a password: none printed"

# The scheme in capitals: libpq takes the whole URI as a database name and
# the server quotes it back ("database ... does not exist").
cdb patched "POSTGRESQL://migrator:$PW@127.0.0.1:$PGPORT/target"
expect_rc 1 "capitals URI: exit 1"
contains "$out$errout" "does not exist" "capitals URI: the server's answer is shown"
contains "$out$errout" "scheme in lower case" "capitals URI: the fix says why"
no_password "capitals URI: no password printed"
cdbj patched "POSTGRESQL://migrator:$PW@127.0.0.1:$PGPORT/target"
no_password "capitals URI, json: no password printed"
# Long enough for the server to cut the name it quotes inside the password.
long_user=$(printf 'u%.0s' $(seq 1 41))
cdb patched "POSTGRESQL://$long_user:$PW@127.0.0.1:$PGPORT/target"
case "$out$errout" in
*"${PW:0:6}"*) fail "capitals URI cut at 63 bytes: no part of the password printed" "$out" "$errout" ;;
*) pass "capitals URI cut at 63 bytes: no part of the password printed" ;;
esac

# A hostile server: error texts with terminal escapes (ESC, CSI as a C1
# control, DEL) are printed escaped, in text and JSON.
psql -qX -v ON_ERROR_STOP=1 >"$T/evil.log" 2>&1 <<SQL || fail "set up the hostile database" "$(cat "$T/evil.log")"
create database evil;
\c evil
create schema aiven_extras;
grant usage on schema aiven_extras to public;
create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language plpgsql security definer
	as \$\$ begin
		raise notice E'\\033[2J\\033[Hnotice';
		raise exception '%', E'\\033[2J\\033[Hready\\u009b31m\\x7f';
	end \$\$;
grant execute on function aiven_extras.session_replication_role(text) to migrator;
SQL
# raw_controls: how many raw ESC, DEL or C1 bytes stdout and stderr hold.
raw_controls() {
	LC_ALL=C grep -c -e $'\x1b' -e $'\x7f' -e $'\xc2[\x80-\x9f]' "$T/.out" "$T/.err" |
		awk -F: '{ n += $2 } END { print n + 0 }'
}
cdb patched "$TCP dbname=evil user=migrator password=$PW"
expect_rc 1 "hostile server: exit 1"
contains "$out" 'failed: \x1b[2J\x1b[Hready\xc2\x9b31m\x7f' "hostile server: its error is shown escaped"
check "hostile server: no raw ESC, DEL or C1 in the text report" test "$(raw_controls)" = 0
check "hostile server: no raw ESC on stdout (grep -c)" test "$(grep -c $'\x1b' "$T/.out")" = 0
check "hostile server: no raw ESC on stderr (grep -c)" test "$(grep -c $'\x1b' "$T/.err")" = 0
cdbj patched "$TCP dbname=evil user=migrator password=$PW"
check "hostile server json: no raw ESC, DEL or C1" test "$(raw_controls)" = 0
json_check "hostile server json: parses, and the error decodes to the server's text" '
calls = d["databases"][0]["calls"]
assert calls and calls[0]["error"] == "\x1b[2J\x1b[Hready\x9b31m\x7f", calls
'

# A database name with control characters, quoted back by the server.
cdb patched "$TCP dbname='no"$'\e[2J\e[H'"db' user=migrator password=$PW"
expect_rc 1 "control characters in dbname: exit 1"
contains "$out" 'no\x1b[2J\x1b[Hdb' "control characters in dbname: shown escaped"
check "control characters in dbname: no raw ESC, DEL or C1" test "$(raw_controls)" = 0
cdbj patched "$TCP dbname='no"$'\e[2J\e[H'"db' user=migrator password=$PW"
check "control characters in dbname, json: no raw ESC, DEL or C1" test "$(raw_controls)" = 0
json_check "control characters in dbname, json: parses" 'assert d["databases"]'

# --- Bucardo's control database --------------------------------------------

# The tables and columns Bucardo 5.6.0's schema has, and the rows its own
# commands would write (tests/e2e/check-db.sh uses a real one).
psql -qX -v ON_ERROR_STOP=1 -d control >"$T/control.log" 2>&1 <<SQL || fail "set up the control database" "$(cat "$T/control.log")"
create schema bucardo;
create table bucardo.db (name text primary key, dbdsn text not null default '',
	dbtype text not null default 'postgres', dbhost text default '', dbport text default '',
	dbname text, dbuser text, dbpass text, dbconn text not null default '',
	dbservice text default '', status text not null default 'active');
create table bucardo.dbmap (db text, dbgroup text, priority smallint not null default 0,
	role text not null default 'target');
create table bucardo.sync (name text primary key, herd text, dbs text,
	status text not null default 'active', rebuild_index smallint not null default 0,
	onetimecopy smallint not null default 0);
create table bucardo.goat (id serial primary key, db text, schemaname text, tablename text,
	reltype text not null default 'table', rebuild_index smallint);
create table bucardo.herdmap (herd text, goat int, priority smallint not null default 0);
insert into bucardo.db (name, dbhost, dbport, dbname, dbuser, dbpass) values
	('src', '$T/pg/sock', '$PGPORT', 'nofunc', 'postgres', null),
	('dst', '127.0.0.1', '$PGPORT', 'target', 'stored', '$STORED_PW'),
	('dst2', '127.0.0.1', '$PGPORT', 'target2', 'stored', '$STORED_PW'),
	('su', '127.0.0.1', '$PGPORT', 'target2', 'postgres', null),
	('badport', '127.0.0.1', 'abc', 'target', 'stored', '$STORED_PW'),
	('gone', '127.0.0.1', '$PGPORT', 'target', 'stored', '$STORED_PW');
update bucardo.db set status = 'inactive' where name = 'gone';
insert into bucardo.goat (db, schemaname, tablename, rebuild_index) values
	('src', 'public', 'items', null), ('src', 'public', 'plain', null),
	('src', 'public', 'noidx', null);
insert into bucardo.herdmap values ('g', 1), ('g', 2), ('g', 3);
SQL
# ctl SQL: change the control database.
ctl() { psql -qX -v ON_ERROR_STOP=1 -d control -c "$1" >/dev/null; }
# sync NAME DB:ROLE...: a sync of relgroup g over a dbgroup of its own; the previous ones are removed.
sync() {
	local name=$1 m
	shift
	ctl "delete from bucardo.sync; delete from bucardo.dbmap"
	ctl "insert into bucardo.sync (name, herd, dbs) values ('$name', 'g', '$name')"
	for m in "$@"; do
		ctl "insert into bucardo.dbmap (db, dbgroup, role) values ('${m%%:*}', '$name', '${m#*:}')"
	done
}
CTL="$SOCK dbname=control user=postgres"

# One source (a superuser, no function), one target that has it: from 5.4
# on, Bucardo only writes to the target, so only the target is checked.
sync onesrc src:source dst:target gone:target
cdb patched --bucardo-db "$CTL"
expect_rc 0 "bucardo-db, one source: exit 0"
contains "$out" "database dst: host=127.0.0.1 port=$PGPORT db=target user=stored" \
	"bucardo-db: the target is checked, connected as Bucardo stores it"
contains "$out" "syncs: onesrc (target)" "bucardo-db: its sync and role"
contains "$out" "  src (source): only read from" "bucardo-db: the one source is only read from"
contains "$out" "  gone (target): inactive" "bucardo-db: an inactive database is left out"
case "$out" in *"database src:"*) fail "bucardo-db: the source is not checked" "$out" ;; *) pass "bucardo-db: the source is not checked" ;; esac
contains "$out" "overall: ready" "bucardo-db, one source: overall ready"
no_password "bucardo-db: the stored password is never printed"
cdbj patched --bucardo-db "$CTL"
json_check "bucardo-db json: the syncs, their databases and roles" '
k = d["bucardo_db"]
assert k["connected"] is True and k["bucardo_schema"] is True and k["error"] is None, k
(s,) = k["syncs"]
assert s["name"] == "onesrc" and s["active"] is True and s["relgroup"] == "g", s
roles = {m["name"]: (m["role"], m["checked"]) for m in s["databases"]}
assert roles == {"src": ("source", False), "dst": ("target", True), "gone": ("target", False)}, roles
(t,) = d["databases"]
assert t["name"] == "dst" and t["syncs"] == ["onesrc (target)"] and t["ready"], t
assert "password" not in t["conninfo"], t
'
no_password "bucardo-db json: the stored password is never printed"

# The 5.0 layout runs its statement on the source too: the plain form fails
# there, the guarded form (5.0's default) works.
cdb patched50 --bucardo-db "$CTL"
expect_rc 1 "bucardo-db, 5.0 layout, plain form: exit 1 (the source lacks the function)"
contains "$out" "database src: host=$T/pg/sock" "5.0 layout: the source is checked"
contains "$out" "syncs: onesrc (source)" "5.0 layout: as a source"
contains "$out" "overall: NOT ready — 1 of 2 databases is not ready: src" "5.0 layout, plain: names the source"
cdb guarded50 --bucardo-db "$CTL"
expect_rc 0 "bucardo-db, 5.0 layout, guarded form: exit 0"

# Multi-source: every database is written to, the source without the function too.
sync swap src:source dst:source
cdb patched --bucardo-db "$CTL"
expect_rc 1 "multi-source sync, a source without the function: exit 1"
contains "$out" "database src:" "multi-source: the source is checked"
contains "$out" "syncs: swap (source)" "multi-source: as a source"
contains "$out" "does not exist in this database: the patched module calls it" \
	"multi-source: the source without the function is not ready"
contains "$out" "overall: NOT ready — 1 of 2 databases is not ready: src" "multi-source: overall names it"
quiet_stderr "multi-source: printed once, on stdout"

# Two targets, one of them (a superuser) without the function.
sync two src:source dst:target su:target
ctl "update bucardo.db set dbname = 'nofunc' where name = 'su'"
cdb patched --bucardo-db "$CTL"
expect_rc 1 "two targets, one without the function: exit 1"
contains "$out" "overall: NOT ready — 1 of 2 databases is not ready: su" "two targets: names the superuser one"
ctl "update bucardo.db set dbname = 'target2' where name = 'su'"

# rebuild_index: the table's own setting wins over the sync's.
sync idx src:source dst:target
ctl "update bucardo.goat set rebuild_index = 1 where tablename = 'items'"
cdb patched --bucardo-db "$CTL"
expect_rc 1 "table-level rebuild_index, non-superuser target: exit 1"
contains "$out" "rebuild_index: public.items (sync idx, the table's setting): has indexes here" \
	"table-level rebuild_index: reported for the table"
contains "$out" "UPDATE pg_class: refused" "table-level rebuild_index: UPDATE pg_class refused"
contains "$out" "verdict: NOT ready — rebuild_index is set for public.items (sync idx)" \
	"table-level rebuild_index: not ready"
contains "$out" "warning: table public.items has rebuild_index set (its own setting" "table-level rebuild_index: warned"
contains "$out" "bucardo update table public.items rebuild_index=0" "table-level rebuild_index: the command that clears it"
case "$out" in *"public.plain"*) fail "table-level rebuild_index: the other table is not named" "$out" ;; *) pass "table-level rebuild_index: the other table is not named" ;; esac
cdbj patched --bucardo-db "$CTL"
json_check "table-level rebuild_index json" '
(t,) = d["databases"]
assert t["verdict"] == "rebuild-index" and t["pg_class_update"] is False, t
assert t["rebuild_index"] == [{"table": "public.items", "sync": "idx", "from": "table", "has_indexes": True}], t
assert any("bucardo update table public.items rebuild_index=0" in w for w in d["warnings"]), d["warnings"]
'
# A superuser target may update pg_class: ready, with the warning.
sync idxsu src:source su:target
cdb patched --bucardo-db "$CTL"
expect_rc 0 "table-level rebuild_index, superuser target: exit 0"
contains "$out" "warning: table public.items has rebuild_index set" "superuser target: still warned"
# The sync's setting, overridden by the table's 0.
sync idx src:source dst:target
ctl "update bucardo.sync set rebuild_index = 1"
ctl "update bucardo.goat set rebuild_index = 0 where tablename = 'items'"
cdb patched --bucardo-db "$CTL"
expect_rc 1 "sync-level rebuild_index: exit 1 (table plain has no setting of its own)"
contains "$out" "rebuild_index: public.plain (sync idx, the sync's setting): has indexes here" \
	"sync-level rebuild_index: applies to a table without a setting of its own"
contains "$out" "rebuild_index: public.noidx (sync idx, the sync's setting): no index here" \
	"sync-level rebuild_index: a table without an index is looked at"
contains "$out" "verdict: NOT ready — rebuild_index is set for public.plain (sync idx):" \
	"sync-level rebuild_index: only the table with an index makes it not ready"
case "$out" in *"rebuild_index: public.items"*) fail "sync-level rebuild_index: the table's 0 wins" "$out" ;; *) pass "sync-level rebuild_index: the table's 0 wins" ;; esac
contains "$out" "bucardo update sync idx rebuild_index=0" "sync-level rebuild_index: the command that clears it"
ctl "update bucardo.sync set rebuild_index = 0"
ctl "update bucardo.goat set rebuild_index = null"

# A stored port that is not a number: malformed, not "cannot connect".
sync bad src:source badport:target
cdb patched --bucardo-db "$CTL"
expect_rc 1 "stored port that is not a number: exit 1"
contains "$out" "Bucardo's settings for database badport are malformed: port 'abc' is not a number" \
	"stored port that is not a number: named"
contains "$out" "bucardo update db badport dbport=" "stored port that is not a number: the fix"
case "$out$errout" in *firewall*) fail "stored port: no firewall advice" "$out" ;; *) pass "stored port: no firewall advice" ;; esac
no_password "stored port: no password printed"

# A stored DSN: Bucardo 5.5 and 5.6 cannot use it.
sync dsn src:source dst:target
ctl "update bucardo.db set dbdsn = 'dbi:Pg:dbname=target;host=127.0.0.1' where name = 'dst'"
cdb patched --bucardo-db "$CTL"
expect_rc 1 "stored dbdsn: exit 1"
contains "$out" "as \"TEST\" followed by the DSN" "stored dbdsn: says why Bucardo cannot connect"
ctl "update bucardo.db set dbdsn = '' where name = 'dst'"

# An inactive sync is not run, so its databases are not checked.
sync off src:source dst2:target
ctl "update bucardo.sync set status = 'inactive'"
cdb patched --bucardo-db "$CTL"
expect_rc 0 "inactive sync: nothing to check, exit 0"
contains "$out" "sync off: inactive (Bucardo does not run it)" "inactive sync: said so"
contains "$out" "overall: ready — nothing to check" "inactive sync: nothing to check"

# A control database is a server, not the admin: the files its settings
# name are not used as root unless root controls them. A stand-in server
# that offers TLS (it answers S to libpq's SSLRequest) is what makes libpq
# set up OpenSSL, and load an engine named in sslkey ("PATH:key").
ENGINE_SO=${1:+$(realpath "$1")}
if [ -n "$ENGINE_SO" ] && [ -f "$ENGINE_SO" ] && [ "$(id -u)" = 0 ] && command -v openssl >/dev/null; then
	mkdir -p "$T/tlsfake"
	python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
s.settimeout(60)
try:
    while True:
        c, _ = s.accept()
        c.recv(8); c.sendall(b"S"); c.close()
except Exception:
    pass
' >"$T/tlsfake/port" 2>/dev/null &
	tls_pid=$!
	at_exit "kill $tls_pid 2>/dev/null"
	for i in $(seq 50); do [ -s "$T/tlsfake/port" ] && break; sleep 0.1; done
	TLSPORT=$(head -n 1 "$T/tlsfake/port")
	export BA_ENGINE_MARKER=$T/tlsfake/engine-loaded
	# libpq reads the key only when the client certificate is there.
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tlsfake/key.pem" \
		-out "$T/tlsfake/cert.pem" -subj /CN=bucardo -days 1 >/dev/null 2>&1
	ctl "insert into bucardo.db (name, dbhost, dbport, dbname, dbuser, dbpass, dbconn) values
		('eng', '127.0.0.1', '$TLSPORT', 'target', 'stored', '$STORED_PW',
		 'sslmode=require sslcert=$T/tlsfake/cert.pem sslkey=$ENGINE_SO:k')"
	sync engine src:source eng:target
	cdb patched --bucardo-db "$CTL"
	expect_rc 1 "a control database naming an OpenSSL engine in sslkey: not ready, exit 1"
	check "and the engine, a shared object, was never loaded into check-db" test ! -e "$BA_ENGINE_MARKER"
	contains "$out" "engine:key form" "and the verdict says why"
	# A file another user controls (their certificate authority).
	mkdir -p "$T/userca"
	: >"$T/userca/root.crt"
	chown -R 65534:65534 "$T/userca"
	ctl "update bucardo.db set dbconn = 'sslmode=verify-full sslrootcert=$T/userca/root.crt' where name = 'eng'"
	cdb patched --bucardo-db "$CTL"
	expect_rc 1 "a control database naming another user's file: not ready, exit 1"
	contains "$out" "will not use as root" "and the verdict says check-db will not use it as root"
	contains "$out" "uid 65534" "and names whose it is"
	ctl "update bucardo.db set dbconn = 'sslmode=require passfile=relative/pgpass' where name = 'eng'"
	cdb patched --bucardo-db "$CTL"
	contains "$out" "not an absolute path" "a relative file name from a control database is refused"
	# Only where and how to connect: not hostaddr, with which libpq would
	# send root's .pgpass password for host to another address.
	ctl "update bucardo.db set dbconn = 'hostaddr=127.0.0.2' where name = 'eng'"
	cdb patched --bucardo-db "$CTL"
	expect_rc 1 "a control database's hostaddr: not ready, exit 1"
	contains "$out" "hostaddr '127.0.0.2' is not a setting check-db" "and the verdict names the setting"
	unset BA_ENGINE_MARKER
	ctl "delete from bucardo.db where name = 'eng'"
else
	skip "a control database naming local files" "needs root, openssl and tests/cli/engine-marker.so"
fi

# Not a control database: the check cannot run, said once on stderr.
run_ba --root "$T/r-patched" check-db --bucardo-db "$SOCK dbname=postgres user=postgres" "$READY"
expect_rc 1 "bucardo-db without the schema: exit 1"
contains "$errout" "no bucardo schema" "bucardo-db without the schema: on stderr"
case "$out" in *"no bucardo schema"*) fail "bucardo-db without the schema: said once" "$out" ;; *) pass "bucardo-db without the schema: said once" ;; esac
contains "$out" "verdict: ready" "bucardo-db without the schema: the CONNINFO is still judged"
run_ba --root "$T/r-patched" check-db --bucardo-db "host=127.0.0.1 port=abc dbname=control"
expect_rc 64 "bucardo-db with a malformed conninfo: usage error"
contains "$errout" "--bucardo-db" "bucardo-db with a malformed conninfo: names the option"

# libpq is loaded only by check-db: the binary does not link it.
if command -v ldd >/dev/null 2>&1; then
	check "not linked with libpq, libssl or libgit2" \
		sh -c "! ldd '$BUCARDO_AIVEN' | grep -E 'libpq|libssl|libgit2'"
else
	skip "not linked with libpq" "no ldd"
fi

done_testing
