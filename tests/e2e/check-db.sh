# check-db.sh: check-db --bucardo-db against a real Bucardo 5.6.0 control
# database (bucardo install --batch, databases, tables and syncs added with
# Bucardo's own commands), each verdict then borne out by the daemon run with
# the same module, taken from the same place (PERL5LIB):
#   (a) a target with the function, patched module: ready, and rows arrive;
#   (b) a superuser target without aiven_extras: not ready with the patched
#       module, and Bucardo fails with 'schema "aiven_extras" does not exist';
#       ready with the pristine module and with the guarded form, and rows
#       arrive with each;
#   (c) a role granted SET on session_replication_role (as a provider's rule
#       would allow it), no function: ready without the patch, and the
#       pristine module replicates into it;
#   (d) a table-level rebuild_index: not ready, and Bucardo dies with
#       'permission denied for table pg_class';
#   (e) a multi-source sync whose second source lacks the function: not
#       ready, and Bucardo fails there.
# Each target table has a trigger that fails every write made outside
# replica mode, so a row only arrives when the switch really worked.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/bucardo.sh"
trap 'exit 143' TERM
trap 'exit 130' INT

started_at=$SECONDS
bucardo_prereqs
bucardo_sandbox

pg_start
case $? in
0) ;;
2)	skip "check-db end to end" "no PostgreSQL server installed (postgresql-15)"
	done_testing
	exit ;;
*)	fail "a throwaway PostgreSQL cluster starts"
	done_testing
	exit ;;
esac
pg_require_passwords
bucardo_install

# The guard trigger, and a table like the source's, owned by $1.
target_table() {
	cat <<SQL
create table items (id int primary key, name text not null);
create table stock (id int primary key, qty int not null);
alter table items owner to $1;
alter table stock owner to $1;
create function refuse() returns trigger language plpgsql as \$\$
begin
	raise exception 'trigger fired on %: session_replication_role is not replica', tg_table_name;
end \$\$;
create trigger refuse before insert or update or delete on items
	for each row execute function refuse();
create trigger refuse before insert or update or delete on stock
	for each row execute function refuse();
SQL
}

psql -X -q -v ON_ERROR_STOP=1 >"$T/setup.out" 2>&1 <<SQL || bail "create the databases" "$T/setup.out"
create role migrator login nosuperuser password 'Xq7-pw-of-migrator';
create role setter login nosuperuser password 'Xq7-pw-of-setter';
grant set on parameter session_replication_role to setter;
create database src;
create database dst;
create database sudst;
create database setdst;
\c src
create table items (id int primary key, name text not null);
create table stock (id int primary key, qty int not null);
\c dst
create schema aiven_extras;
create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language sql security definer set search_path = pg_catalog
	as \$\$ select set_config('session_replication_role', arg_parameter, false) \$\$;
revoke execute on function aiven_extras.session_replication_role(text) from public;
grant usage on schema aiven_extras to migrator;
grant execute on function aiven_extras.session_replication_role(text) to migrator;
$(target_table migrator)
\c sudst
$(target_table postgres)
\c setdst
$(target_table setter)
SQL
check "the superuser target has no aiven_extras" \
	test "$(sql sudst "select count(*) from pg_namespace where nspname = 'aiven_extras'")" = 0
if psql -X -q -U setter -d setdst -c "set session_replication_role = replica" >"$T/.m" 2>&1; then
	pass "setter may SET session_replication_role without superuser"
else
	fail "setter may SET session_replication_role without superuser" "$(cat "$T/.m")"
fi

# Bucardo's view of them, added with its own commands: the source and the
# superuser target as the bucardo superuser over the socket, the others over
# TCP with a password, as on a managed service.
{
	bc add db srcdb dbname=src "dbhost=$PGHOST" "dbport=$PGPORT" dbuser=bucardo &&
	bc add db dstdb dbname=dst dbhost=127.0.0.1 "dbport=$PGPORT" dbuser=migrator dbpass=Xq7-pw-of-migrator &&
	bc add db sudstdb dbname=sudst "dbhost=$PGHOST" "dbport=$PGPORT" dbuser=bucardo &&
	bc add db setdstdb dbname=setdst dbhost=127.0.0.1 "dbport=$PGPORT" dbuser=setter dbpass=Xq7-pw-of-setter &&
	bc add table public.items db=srcdb relgroup=items &&
	bc add table public.stock db=srcdb relgroup=stock
} >"$T/add.out" 2>&1 || bail "Bucardo knows the databases and tables" "$T/add.out"
pass "Bucardo knows the databases and tables"

# Module copies, each under its own root; Bucardo and check-db both load
# them through PERL5LIB, the way the daemon is started below.
patched_dir=$T/root/usr/share/perl5
pristine_dir=$T/proot/usr/share/perl5
guarded_dir=$T/groot/usr/share/perl5
patched=$(sandbox "$T/Bucardo.pm.orig" "$T/root")
pristine=$(sandbox "$T/Bucardo.pm.orig" "$T/proot")
guarded=$(sandbox "$T/Bucardo.pm.orig" "$T/groot")
run_ba --root "$T/root" apply "$patched" >/dev/null
expect_rc 0 "the patched copy (plain form)"
run_ba --root "$T/groot" apply --form guarded "$guarded"
expect_rc 0 "the guarded copy (apply --form guarded)"

CONTROL="host=$PGHOST port=$PGPORT dbname=bucardo user=postgres"
# judge DIR: check-db --bucardo-db as the daemon started with PERL5LIB=DIR will run.
judge() { PERL5LIB=$1 run_ba check-db --bucardo-db "$CONTROL"; }
judge_json() { PERL5LIB=$1 run_ba --json check-db --bucardo-db "$CONTROL"; }

# sync NAME RELGROUP DBS: the only sync Bucardo has (the one before is removed).
current_sync=
sync() {
	[ -z "$current_sync" ] || bc remove sync "$current_sync" >"$T/remove.out" 2>&1 ||
		bail "remove sync $current_sync" "$T/remove.out"
	bc add sync "$1" "relgroup=$2" "dbs=$3" >"$T/sync.out" 2>&1 || bail "add sync $1" "$T/sync.out"
	current_sync=$1
}

rows() { sql "$1" "select string_agg(id::text, ' ' order by id) from ${2:-items}"; }
has_row() { case " $(rows "$1" "${3:-items}") " in *" $2 "*) return 0 ;; esac; return 1; }
# expect_row DB ID NAME: wait (bounded) for the row to arrive in items.
expect_row() {
	if wait_until "$WAIT" has_row "$1" "$2"; then pass "$3"
	else fail "$3" "$1 has: $(rows "$1")" "$(log_tail)"; WAIT=5; fi
}
# expect_no_row DB ID NAME [TABLE]: the row is not there.
expect_no_row() {
	if has_row "$1" "$2" "${4:-items}"; then fail "$3" "$1 has: $(rows "$1" "${4:-items}")"
	else pass "$3"; fi
}
not() { ! "$@"; }
no_passwords() {
	case "$out$errout" in
	*Xq7-pw-of-migrator* | *Xq7-pw-of-setter*) fail "$1" "a stored password was printed" ;;
	*) pass "$1" ;;
	esac
}

# --- (a) a ready target ----------------------------------------------------

sync s_ready items srcdb:source,dstdb:target
judge "$patched_dir"
expect_rc 0 "(a) check-db: the target with the function is ready for the patched module"
contains "$out" "module: $patched: patched (Bucardo 5.6.0, layout 5.4)" "(a) check-db judged the copy PERL5LIB points at"
contains "$out" "database dstdb: host=127.0.0.1 port=$PGPORT db=dst user=migrator" \
	"(a) check-db connected to the target as Bucardo stores it"
contains "$out" "srcdb (source): only read from" "(a) check-db: the one source is only read from"
check "(a) check-db: nothing on stderr" test -z "$errout"
no_passwords "(a) check-db: no stored password printed"
judge_json "$patched_dir"
no_passwords "(a) check-db --json: no stored password printed"
start_bucardo a "$patched_dir"
expect_log "MCP Bucardo.pm: $patched" "(a) the daemon loaded the patched copy"
sql src "insert into items values (1, 'one')"
expect_row dst 1 "(a) Bucardo replicated into the target, as check-db said"
check "(a) no error in the log" not grep -E "permission denied|does not exist|Kid has died" "$log"
expect_stopped "(a)"

# --- (b) a superuser target without aiven_extras ---------------------------

sync s_super items srcdb:source,sudstdb:target
judge "$patched_dir"
expect_rc 1 "(b) check-db: a superuser target without the function is not ready for the patched module"
contains "$out" "database sudstdb:" "(b) check-db checked the superuser target"
contains "$out" "superuser: yes" "(b) check-db saw the superuser"
contains "$out" "does not exist in this database: the patched module calls it on every database it writes to, superusers included" \
	"(b) check-db says why"
contains "$out" "overall: NOT ready — 1 of 1 databases is not ready: sudstdb" "(b) check-db: overall not ready"
check "(b) check-db: the verdict is not repeated on stderr" test -z "$errout"
start_bucardo b1 "$patched_dir"
expect_log "MCP Bucardo.pm: $patched" "(b) the daemon loaded the patched copy"
sql src "insert into items values (2, 'two')"
expect_log 'schema "aiven_extras" does not exist' "(b) patched: Bucardo fails there, as check-db said"
expect_no_row sudst 2 "(b) patched: the row did not arrive"
expect_stopped "(b) patched"

judge "$pristine_dir"
expect_rc 0 "(b) check-db: the same target is ready for the pristine module"
contains "$out" "SET session_replication_role: allowed — ready without the patch" "(b) check-db: SET allowed"
start_bucardo b2 "$pristine_dir"
expect_log "MCP Bucardo.pm: $pristine" "(b) the daemon loaded the pristine copy"
expect_row sudst 2 "(b) pristine: Bucardo replicated the row, as check-db said"
expect_stopped "(b) pristine"

judge "$guarded_dir"
expect_rc 0 "(b) check-db: the same target is ready for the guarded form"
contains "$out" "guarded (Bucardo 5.6.0, layout 5.4)" "(b) check-db saw the guarded form"
start_bucardo b3 "$guarded_dir"
expect_log "MCP Bucardo.pm: $guarded" "(b) the daemon loaded the guarded copy"
sql src "insert into items values (3, 'three')"
expect_row sudst 3 "(b) guarded: Bucardo replicated the row, as check-db said"
check "(b) guarded: no error in the log" not grep -E "permission denied|does not exist|Kid has died" "$log"
expect_stopped "(b) guarded"

# --- (c) SET granted, no function ------------------------------------------

sync s_set items srcdb:source,setdstdb:target
judge "$pristine_dir"
expect_rc 0 "(c) check-db: a role granted SET is ready for the pristine module"
contains "$out" "SET session_replication_role granted: yes" "(c) check-db saw the grant"
contains "$out" "ready without the patch (a pristine Bucardo.pm works here)" "(c) check-db: ready without the patch"
judge "$patched_dir"
expect_rc 1 "(c) check-db: but not for the patched module (no function there)"
contains "$out" "would be ready with a Bucardo.pm that is: pristine, guarded" "(c) check-db says which module would do"
start_bucardo c "$pristine_dir"
expect_log "MCP Bucardo.pm: $pristine" "(c) the daemon loaded the pristine copy"
sql src "insert into items values (4, 'four')"
expect_row setdst 4 "(c) pristine: Bucardo replicated as the granted role, as check-db said"
check "(c) Bucardo wrote to setdst as setter" \
	test "$(sql postgres "select string_agg(distinct usename, ',') from pg_stat_activity where datname = 'setdst' and application_name like 'bucardo%'")" = setter
expect_stopped "(c)"

# --- (d) a table-level rebuild_index ---------------------------------------

sync s_idx stock srcdb:source,dstdb:target
bc update table public.stock rebuild_index=1 >"$T/upd.out" 2>&1 || bail "(d) set the table's rebuild_index" "$T/upd.out"
check "(d) the table has rebuild_index, the sync has not" \
	test "$(sql bucardo "select g.rebuild_index || ',' || s.rebuild_index from bucardo.goat g, bucardo.sync s where g.tablename = 'stock' and s.name = 's_idx'")" = "1,0"
judge "$patched_dir"
expect_rc 1 "(d) check-db: the target is not ready"
contains "$out" "rebuild_index: public.stock (sync s_idx, the table's setting): has indexes here" \
	"(d) check-db read the table's own rebuild_index"
contains "$out" "verdict: NOT ready — rebuild_index is set for public.stock (sync s_idx)" "(d) check-db says why"
contains "$out" "bucardo update table public.stock rebuild_index=0" "(d) check-db gives the command that clears it"
start_bucardo d "$patched_dir"
expect_log "MCP Bucardo.pm: $patched" "(d) the daemon loaded the patched copy"
sql src "insert into stock values (1, 10)"
expect_log "permission denied for table pg_class" "(d) Bucardo dies on pg_class, as check-db said"
expect_no_row dst 1 "(d) the row did not arrive" stock
expect_stopped "(d)"
bc update table public.stock rebuild_index=0 >"$T/upd.out" 2>&1

# --- (e) multi-source, a source without the function -----------------------

sync s_swap items srcdb:source,sudstdb:source
judge "$patched_dir"
expect_rc 1 "(e) check-db: a multi-source sync with a source lacking the function is not ready"
contains "$out" "syncs: s_swap (source)" "(e) check-db checked the sources"
contains "$out" "overall: NOT ready — 2 of 2 databases are not ready: srcdb, sudstdb" \
	"(e) check-db names both sources (neither has the function)"
start_bucardo e "$patched_dir"
expect_log "MCP Bucardo.pm: $patched" "(e) the daemon loaded the patched copy"
sql src "insert into items values (5, 'five')"
expect_log 'schema "aiven_extras" does not exist' "(e) Bucardo fails writing to the other source, as check-db said"
expect_stopped "(e)"
judge "$pristine_dir"
expect_rc 0 "(e) check-db: the same sync is ready for the pristine module (both are superusers)"

echo "# e2e took $((SECONDS - started_at)) s"
done_testing
