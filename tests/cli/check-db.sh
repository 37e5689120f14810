#!/bin/bash
# check-db against a throwaway cluster: a non-superuser with and without the
# function, a superuser, bad passwords, a closed port, JSON, and Bucardo's
# control database.
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
SQL_FUNC="create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language plpgsql security definer
	as \$\$ begin return set_config('session_replication_role', arg_parameter, false); end \$\$;
	revoke execute on function aiven_extras.session_replication_role(text) from public;
	grant usage on schema aiven_extras to public;"

psql -qX -v ON_ERROR_STOP=1 >"$T/setup.log" 2>&1 <<SQL || { fail "set up the cluster" "$(cat "$T/setup.log")"; done_testing; exit; }
create role migrator login password '$PW';
create role setter login password '$PW';
create database target;
create database nofunc;
create database noexec;
create database control;
\c target
create table items (id int primary key);
alter table items owner to migrator;
create schema aiven_extras;
$SQL_FUNC
grant execute on function aiven_extras.session_replication_role(text) to migrator;
create schema broken;
grant usage on schema broken to migrator;
create function broken.srr(arg_parameter text) returns text language sql security definer
	as \$\$ select current_setting('session_replication_role') \$\$;
create schema locked;
create function locked.srr(arg_parameter text) returns text language sql security definer
	as \$\$ select set_config('session_replication_role', arg_parameter, false) \$\$;
\c noexec
create schema aiven_extras;
$SQL_FUNC
\c control
create schema bucardo;
create table bucardo.sync (name text, rebuild_index smallint);
insert into bucardo.sync values ('tosink', 1), ('quiet_one', 0);
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

# elapsed COMMAND...: run_ba and leave the wall time in whole seconds in $secs.
elapsed() {
	local t0 t1
	t0=$(date +%s%N)
	run_ba "$@"
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 1000000000))
}

# no_password NAME: the password appears neither on stdout nor on stderr.
no_password() {
	case "$out$errout" in
	*"$PW"*) fail "$1" "the password was printed" "$out" "$errout" ;;
	*) pass "$1" ;;
	esac
}

# 1. Ready: the non-superuser may call the function and it sets the value.
run_ba check-db "$TCP dbname=target user=migrator password=$PW"
expect_rc 0 "ready target: exit 0"
contains "$out" "call 'replica': session_replication_role = replica" "ready target: replica call shown"
contains "$out" "call 'origin': session_replication_role = origin" "ready target: origin call shown"
contains "$out" "superuser: no" "ready target: not a superuser"
contains "$out" "aiven_extras.session_replication_role(text): present, executable" \
	"ready target: function present and executable"
contains "$out" "verdict: ready" "ready target: verdict ready"
contains "$out" "user=migrator" "ready target: user line"
no_password "ready target: no password printed"

# The password from PGPASSWORD, as libpq takes it, and as a URI.
PGPASSWORD=$PW run_ba check-db "postgresql://migrator@127.0.0.1:$PGPORT/target"
expect_rc 0 "URI with PGPASSWORD: exit 0"

# 2. No function in this database: the extension is the fix.
run_ba check-db "$TCP dbname=nofunc user=migrator password=$PW"
expect_rc 1 "no function: exit 1"
contains "$out" "verdict: NOT ready" "no function: verdict not ready"
contains "$out" "CREATE EXTENSION aiven_extras;" "no function: CREATE EXTENSION fix"
contains "$errout" "bucardo-aiven: host=127.0.0.1 port=$PGPORT dbname=nofunc user=migrator:" \
	"no function: error on stderr names the database, without password"
no_password "no function: no password printed"

# 3. The function is there but the user may not EXECUTE it.
run_ba check-db "$TCP dbname=noexec user=migrator password=$PW"
expect_rc 1 "no EXECUTE: exit 1"
contains "$out" "present, not executable" "no EXECUTE: reported"
contains "$out" "GRANT EXECUTE ON FUNCTION aiven_extras.session_replication_role(text) TO migrator;" \
	"no EXECUTE: GRANT fix"

# 4. A superuser needs no patch.
run_ba check-db "$SOCK dbname=target user=postgres"
expect_rc 0 "superuser: exit 0"
contains "$out" "superuser: yes" "superuser: reported"
contains "$out" "patch is not needed" "superuser: patch not needed"

# A superuser where the function is missing: works unpatched, warn about the patched module.
run_ba check-db "$SOCK dbname=nofunc user=postgres"
expect_rc 0 "superuser without the function: exit 0"
contains "$out" "would fail although unpatched Bucardo works" \
	"superuser without the function: warns about the patched module"

# PostgreSQL 15 and later can grant SET on the parameter.
if [ "$have_set_grant" = 1 ]; then
	run_ba check-db "$TCP dbname=nofunc user=setter password=$PW"
	expect_rc 0 "SET granted: exit 0"
	contains "$out" "SET session_replication_role granted: yes" "SET granted: reported"
	contains "$out" "patch is unnecessary" "SET granted: patch unnecessary"
else
	skip "SET granted" "PostgreSQL before 15 cannot grant SET on a parameter"
fi

# 5. Wrong password over TCP: fails, says so, quickly.
elapsed check-db "$TCP dbname=target user=migrator password=wrong-$PW"
expect_rc 1 "wrong password: exit 1"
contains "$out$errout" "authentication failed" "wrong password: says authentication failed"
check "wrong password: within 5 s ($secs s)" test "$secs" -lt 5
no_password "wrong password: no password printed"

# No password at all where one is required.
run_ba check-db "$TCP dbname=target user=migrator"
expect_rc 1 "no password: exit 1"
contains "$errout" "PGPASSWORD" "no password: says where to put one"

# 6. A port nobody listens on: refused at once.
closed=$(pg_free_port)
elapsed check-db "host=127.0.0.1 port=$closed dbname=target user=migrator password=$PW"
expect_rc 1 "closed port: exit 1"
check "closed port: within 5 s ($secs s)" test "$secs" -lt 5
contains "$errout" "cannot connect" "closed port: says it cannot connect"
contains "$out" "verdict: NOT ready" "closed port: verdict not ready"
no_password "closed port: no password printed"

# A function that returns without setting the value is caught by the calls.
run_ba check-db --function broken.srr "$TCP dbname=target user=migrator password=$PW"
expect_rc 1 "function that sets nothing: exit 1"
contains "$out" "not replica" "function that sets nothing: caught"

# Without USAGE on the function's schema even the lookup fails.
run_ba check-db --function locked.srr "$TCP dbname=target user=migrator password=$PW"
expect_rc 1 "no USAGE on the schema: exit 1"
contains "$out" "GRANT USAGE ON SCHEMA locked TO migrator;" "no USAGE on the schema: GRANT fix"

# Another function name that does not exist: its own fix, not the extension's.
run_ba check-db --function other.srr "$TCP dbname=target user=migrator password=$PW"
expect_rc 1 "missing --function: exit 1"
contains "$out" "other.srr(text): missing" "missing --function: reported"
contains "$out" "name the function that exists with --function" "missing --function: fix"

# 7. JSON: one valid document, per-database verdicts, no password anywhere.
run_ba --json check-db "$TCP dbname=target user=migrator password=$PW" \
	"postgres://migrator:$PW@127.0.0.1:$PGPORT/nofunc" \
	"$TCP dbname=target user=migrator password=wrong-$PW"
expect_rc 1 "json: exit 1 (not every database is ready)"
printf '%s' "$out" >"$T/doc.json"
check "json: ready flags and fields" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "check-db", d
assert d["ready"] is False
a, b, c = d["databases"]
assert a["ready"] is True and a["superuser"] is False, a
assert a["function_exists"] is True and a["function_executable"] is True, a
assert [x["value"] for x in a["calls"]] == ["replica", "origin"], a["calls"]
assert all(x["ok"] for x in a["calls"]), a["calls"]
assert a["server_version"] and a["user"] == "migrator", a
assert b["ready"] is False and b["function_exists"] is False, b
assert "CREATE EXTENSION" in b["fix"], b
assert "dbname=nofunc" in b["conninfo"], b
assert c["ready"] is False and c["connected"] is False, c
assert "authentication failed" in c["reason"], c
assert isinstance(d["warnings"], list)
if int(a["server_version_num"]) >= 150000:
    assert a["set_granted"] is False, a
else:
    assert a["set_granted"] is None, a
' "$T/doc.json"
no_password "json: no password in stdout or stderr"

# Passwords hidden where libpq would not look twice: a URI's query, a
# conninfo given as dbname (which the server would quote back), sslpassword.
run_ba check-db "postgres://migrator@127.0.0.1:$PGPORT/target?password=$PW" \
	"dbname='host=127.0.0.1 port=$PGPORT dbname=x password=$PW'" \
	"$TCP dbname=target user=migrator password=$PW sslpassword=$PW" \
	"$TCP password='$PW with spaces' unparseable"
expect_rc 1 "odd places for a password: exit 1"
no_password "odd places for a password: none printed"

# The scheme in capitals: libpq takes the whole URI as a database name and
# the server quotes it back ("database ... does not exist").
run_ba check-db "POSTGRESQL://migrator:$PW@127.0.0.1:$PGPORT/target"
expect_rc 1 "capitals URI: exit 1"
contains "$out$errout" "does not exist" "capitals URI: the server's answer is shown"
contains "$out$errout" "scheme in lower case" "capitals URI: the fix says why"
no_password "capitals URI: no password printed"
run_ba --json check-db "POSTGRESQL://migrator:$PW@127.0.0.1:$PGPORT/target"
no_password "capitals URI, json: no password printed"
# Long enough for the server to cut the name it quotes inside the password.
long_user=$(printf 'u%.0s' $(seq 1 41))
run_ba check-db "POSTGRESQL://$long_user:$PW@127.0.0.1:$PGPORT/target"
case "$out$errout" in
*"${PW:0:6}"*) fail "capitals URI cut at 63 bytes: no part of the password printed" "$out" "$errout" ;;
*) pass "capitals URI cut at 63 bytes: no part of the password printed" ;;
esac

# 9. A hostile server: error texts with terminal escapes (ESC, CSI as a C1
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
run_ba check-db "$TCP dbname=evil user=migrator password=$PW"
expect_rc 1 "hostile server: exit 1"
contains "$out" 'failed: \x1b[2J\x1b[Hready\xc2\x9b31m\x7f' "hostile server: its error is shown escaped"
check "hostile server: no raw ESC, DEL or C1 in the text report" test "$(raw_controls)" = 0
check "hostile server: no raw ESC on stdout (grep -c)" test "$(grep -c $'\x1b' "$T/.out")" = 0
check "hostile server: no raw ESC on stderr (grep -c)" test "$(grep -c $'\x1b' "$T/.err")" = 0
run_ba --json check-db "$TCP dbname=evil user=migrator password=$PW"
check "hostile server json: no raw ESC, DEL or C1" test "$(raw_controls)" = 0
printf '%s' "$out" >"$T/evil.json"
check "hostile server json: parses, and the error decodes to the server's text" python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
calls = d["databases"][0]["calls"]
assert calls and calls[0]["error"] == "\x1b[2J\x1b[Hready\x9b31m\x7f", calls
' "$T/evil.json"

# A database name with control characters, quoted back by the server.
run_ba check-db "$TCP dbname='no"$'\e[2J\e[H'"db' user=migrator password=$PW"
expect_rc 1 "control characters in dbname: exit 1"
contains "$out" 'no\x1b[2J\x1b[Hdb' "control characters in dbname: shown escaped"
check "control characters in dbname: no raw ESC, DEL or C1" test "$(raw_controls)" = 0
run_ba --json check-db "$TCP dbname='no"$'\e[2J\e[H'"db' user=migrator password=$PW"
check "control characters in dbname, json: no raw ESC, DEL or C1" test "$(raw_controls)" = 0
check "control characters in dbname, json: parses" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/.out"

# 8. Bucardo's control database: syncs with rebuild_index set are named.
run_ba check-db --bucardo-db "$SOCK dbname=control user=postgres" \
	"$TCP dbname=target user=migrator password=$PW"
expect_rc 0 "bucardo-db: exit 0 (a warning only)"
contains "$out" "sync tosink has rebuild_index set" "bucardo-db: names the sync"
contains "$out" "bucardo update sync tosink rebuild_index=0" "bucardo-db: says how to clear it"
case "$out" in
*quiet_one*) fail "bucardo-db: a sync without rebuild_index is not named" "$out" ;;
*) pass "bucardo-db: a sync without rebuild_index is not named" ;;
esac
run_ba --json check-db --bucardo-db "$SOCK dbname=control user=postgres" \
	"$TCP dbname=target user=migrator password=$PW"
printf '%s' "$out" >"$T/doc2.json"
check "bucardo-db json: warning and sync listed" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["bucardo_db"]["syncs_with_rebuild_index"] == ["tosink"], d["bucardo_db"]
assert any("sync tosink has rebuild_index set" in w for w in d["warnings"]), d["warnings"]
' "$T/doc2.json"

run_ba check-db --bucardo-db "$SOCK dbname=postgres user=postgres" \
	"$TCP dbname=target user=migrator password=$PW"
expect_rc 1 "bucardo-db without the schema: exit 1"
contains "$out$errout" "no bucardo schema" "bucardo-db without the schema: says so"

# libpq is loaded only by check-db: the binary does not link it.
if command -v ldd >/dev/null 2>&1; then
	check "not linked with libpq, libssl or libgit2" \
		sh -c "! ldd '$BUCARDO_AIVEN' | grep -E 'libpq|libssl|libgit2'"
else
	skip "not linked with libpq" "no ldd"
fi

done_testing
