# statements.sh: every statement the rules write, as the tool writes it into
# a Bucardo.pm, run the way Bucardo runs it (DBI and DBD::Pg, the Perl
# literal evaluated by perl) against each kind of database a kid writes to:
#   target  the migration user, not a superuser, allowed the function
#   source  a self-hosted database without aiven_extras, as a superuser
#   withboth a superuser where the function exists too
#   bare    a user who is not a superuser, without the function: a clear error
#   nogrant the function exists but its EXECUTE was not granted: a clear error
# The guarded form (the 5.0 layout's default, apply --form guarded for 5.4)
# must set the parameter on the first three; the plain form (the migration
# guide's call, the 5.4 layout's default) fails on a source without the
# function, which is why the 5.0 layout, whose statement also runs on the
# source, does not write it by default.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/pg.sh"

here=$(cd "$(dirname "$0")" && pwd)
if ! perl -MDBI -MDBD::Pg -e 1 2>/dev/null; then
	skip "statements against PostgreSQL" "DBI and DBD::Pg are missing (apt-get install libdbd-pg-perl)"
	done_testing
	exit
fi
pg_start
case $? in
0) ;;
2) skip "statements against PostgreSQL" "no PostgreSQL server installed"; done_testing; exit ;;
*) fail "a throwaway PostgreSQL cluster starts"; done_testing; exit ;;
esac
pg_require_passwords

psql -X -q -v ON_ERROR_STOP=1 >"$T/setup.out" 2>&1 <<'SQL' || { fail "the databases are set up" "$(cat "$T/setup.out")"; done_testing; exit; }
create role migrator login nosuperuser password 'migrator-pw';
create database target;
create database source;
create database withboth;
create database bare;
create database nogrant;
\c target
create schema aiven_extras;
create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language sql security definer set search_path = pg_catalog
	as $$ select set_config('session_replication_role', arg_parameter, false) $$;
revoke execute on function aiven_extras.session_replication_role(text) from public;
grant usage on schema aiven_extras to migrator;
grant execute on function aiven_extras.session_replication_role(text) to migrator;
\c withboth
create schema aiven_extras;
create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language sql security definer set search_path = pg_catalog
	as $$ select set_config('session_replication_role', arg_parameter, false) $$;
\c nogrant
create schema aiven_extras;
create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language sql security definer set search_path = pg_catalog
	as $$ select set_config('session_replication_role', arg_parameter, false) $$;
revoke execute on function aiven_extras.session_replication_role(text) from public;
grant usage on schema aiven_extras to migrator;
SQL
pass "five databases: target, source, withboth, bare, nogrant"

# connect DB: the DSN and user a kid would use there.
dsn() { echo "dbi:Pg:dbname=$1;host=127.0.0.1;port=$PGPORT"; }
user_of() { case $1 in source | withboth) echo postgres ;; *) echo migrator ;; esac; }

# statement_lines FILE: "SUB LINE" of each rewritten statement, from the tool's report.
statement_lines() {
	"$BA" --root "$1" --json status | python3 -c '
import json, sys
for f in json.load(sys.stdin)["files"]:
    for s in f["statements"]:
        print(s["sub"], s["line"])'
}

# want FORM SUB DB: what running SUB's statement in DB must give.
want() {
	case $3 in
	nogrant) echo "error: ERROR:  permission denied for function session_replication_role"; return ;;
	bare)
		if [ "$1" = guarded ]; then echo 'error: ERROR:  permission denied to set parameter "session_replication_role"'
		else echo 'error: ERROR:  schema "aiven_extras" does not exist'; fi
		return ;;
	source)
		[ "$1" = guarded ] || { echo 'error: ERROR:  schema "aiven_extras" does not exist'; return; } ;;
	esac
	case $2 in enable_triggers) echo "value: origin" ;; *) echo "value: replica" ;; esac
}

# prepare SUB DB: the origin switch is tried from replica mode, as Bucardo calls it.
prepare() {
	[ "$1" = enable_triggers ] || return 0
	case $2 in
	target) echo "select aiven_extras.session_replication_role('replica')" ;;
	source | withboth) echo "set session_replication_role = replica" ;;
	esac
}

# run_case NAME FIXTURE ASK FORM: patch a copy (apply --form ASK, or no
# --form for "default"), which must write FORM; then run each statement in
# each database.
run_case() {
	local name=$1 fixture=$2 ask=$3 form=$4 root=$T/$1 pm sub line db got w
	pm=$(sandbox "$FIXTURES/$fixture" "$root")
	if [ "$ask" = default ]; then run_ba --root "$root" apply --no-perl-check "$pm"
	else run_ba --root "$root" apply --no-perl-check --form "$ask" "$pm"; fi
	expect_rc 0 "$name: apply exits 0"
	check "$name: the file is patched in the $form form" sh -c \
	    "'$BA' --root '$root' --json status | python3 -c 'import json,sys; f=json.load(sys.stdin)[\"files\"][0]; assert f[\"state\"] == \"patched\" and f[\"form\"] == \"$form\", f'"
	statement_lines "$root" >"$T/$name.lines"
	check "$name: the report gives the rewritten statements' lines" test -s "$T/$name.lines"
	while read -r sub line; do
		for db in target source withboth bare nogrant; do
			got=$(PGPASSWORD=migrator-pw perl "$here/statement.pl" "$pm" "$line" "$(dsn "$db")" \
			    "$(user_of "$db")" "$(prepare "$sub" "$db")" 2>&1)
			w=$(want "$form" "$sub" "$db")
			case $got in
			"$w"*) pass "$name: sub $sub in the $db database: $w" ;;
			*) fail "$name: sub $sub in the $db database: $w" "got: $got" ;;
			esac
		done
	done <"$T/$name.lines"
}

run_case 5.0-default bucardo-5.3.pm default guarded
run_case 4.99-default bucardo-4.99.pm default guarded
run_case 5.0-plain bucardo-5.3.pm plain plain
run_case 5.4-default bucardo-5.6.pm default plain
run_case 5.4-guarded bucardo-5.6.pm guarded guarded
run_case 5.4-guarded-quoting variants-quoting.pm guarded guarded
run_case 5.4-guarded-paren variants-paren.pm guarded guarded
run_case 5.4-guarded-crlf crlf.pm guarded guarded

# Every spelling of tests/data/spellings.txt that the tool reads as a call
# of the function (status: patched by hand) must be one PostgreSQL runs the
# same way: written into both subs of a module, each statement sets the
# parameter on the target as the tool's own statement does.
spelled=0
while IFS=$(printf '\t') read -r verdict arg sql; do
	case $verdict in call) ;; *) continue ;; esac
	spelled=$((spelled + 1))
	root=$T/spelling-$spelled
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
	SPELLING=$sql ARG=$arg python3 - "$pm" <<'EOF2'
import os, re, sys
p = sys.argv[1]
sql = os.environ["SPELLING"].replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
arg = os.environ["ARG"]
s = open(p).read()
for old, want in (("q{SET session_replication_role = 'replica'}", "replica"),
                  ("q{SET session_replication_role = default}", "origin")):
    assert old in s
    # The argument, not the same letters inside session_replication_role.
    spelled = re.sub(r"(?<![A-Za-z_])" + re.escape(arg) + r"(?![A-Za-z_])", want, sql)
    s = s.replace(old, "q{" + spelled + "}", 1)
open(p, "w").write(s)
EOF2
	check "spelling $spelled: status reads it as patched: $sql" sh -c \
	    "'$BA' --root '$root' --json status | python3 -c 'import json,sys; f=json.load(sys.stdin)[\"files\"][0]; assert f[\"state\"] == \"patched\", f'"
	statement_lines "$root" >"$T/spelling-$spelled.lines"
	while read -r sub line; do
		got=$(PGPASSWORD=migrator-pw perl "$here/statement.pl" "$pm" "$line" "$(dsn target)" \
		    migrator "$(prepare "$sub" target)" 2>&1)
		w=$(want plain "$sub" target)
		case $got in
		"$w"*) pass "spelling $spelled: sub $sub sets $w on the target" ;;
		*) fail "spelling $spelled: sub $sub sets $w on the target" "sql: $sql" "got: $got" ;;
		esac
	done <"$T/spelling-$spelled.lines"
done <"$SRCDIR/tests/data/spellings.txt"
check "the spellings list was read" test "$spelled" -ge 15

done_testing
