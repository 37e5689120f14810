# replicate.sh: Bucardo 5.6.0 replicating into a database where its user is
# not a superuser, first with Debian's own Bucardo.pm, then with the copy
# bucardo-aiven patched. Everything (cluster, Bucardo's control database,
# logs, PID files) is throwaway; the machine's Bucardo.pm, /etc/bucardorc,
# /var/log/bucardo and /var/run/bucardo are never used.
#
#   (a) pristine module: the worker dies with PostgreSQL's
#       'permission denied to set parameter "session_replication_role"';
#   (b) patched module: an INSERT, an UPDATE and a DELETE reach the target;
#   (c) patched module, EXECUTE on aiven_extras.session_replication_role not
#       granted: the worker dies with 'permission denied for function';
#   (d) patched module, a sync with onetimecopy from a source that has no
#       aiven_extras (a self-hosted one): the full copy, then delta rounds;
#   (e) the same in the guarded form (apply --form guarded), which calls the
#       function where it exists and sets the parameter itself elsewhere.
#
# The target table carries an ordinary trigger that raises an error whenever
# it fires, so a row can only arrive while session_replication_role really is
# 'replica' in Bucardo's session.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/pg.sh"
# Bucardo daemonises out of our process group: on a timeout or ^C still run
# the exit hooks that stop it (bash skips the EXIT trap on an untrapped signal).
trap 'exit 143' TERM
trap 'exit 130' INT

started_at=$SECONDS
# The throwaway Bucardo (sandbox, control database, start and stop helpers)
# is tests/lib/bucardo.sh's; the prerequisites skip the whole script when
# Bucardo, PostgreSQL or PL/Perl is missing, or when the machine's module is
# not the unpatched one (scenario (a) would then prove nothing). The module
# is snapshotted once, to $T/Bucardo.pm.orig: both copies below come from it.
. "$(dirname "$0")/../lib/bucardo.sh"
bucardo_prereqs
bucardo_sandbox

# expect_loaded PATH NAME: the daemon reports at start which Bucardo.pm it loaded.
expect_loaded() { expect_log "MCP Bucardo.pm: $1" "$2"; }

# not COMMAND...: succeeds when COMMAND fails (for check).
not() { ! "$@"; }

rows() { sql "$1" "select id || ':' || name from items order by id" | tr '\n' ' '; }
target_is() { [ "$(rows dst)" = "$1" ]; }
target_has() { case " $(rows dst)" in *" $1 "*) return 0 ;; esac; return 1; }

# expect_target_now ROWS NAME: the target holds exactly ROWS at this moment.
expect_target_now() {
	if target_is "$1"; then pass "$2"
	else fail "$2" "target: $(rows dst)" "wanted: $1" "source: $(rows src)"; fi
}

# expect_target ROWS NAME: wait (bounded) until the target holds exactly ROWS.
expect_target() {
	if wait_until "$WAIT" target_is "$1"; then pass "$2"
	else fail "$2" "target: $(rows dst)" "wanted: $1" "source: $(rows src)" "$(log_tail)"; WAIT=5; fi
}

# --- the databases ---------------------------------------------------------

pg_start
case $? in
0) ;;
2)	skip "Bucardo end to end" "no PostgreSQL server installed (postgresql-15)"
	done_testing
	exit ;;
*)	fail "a throwaway PostgreSQL cluster starts"
	done_testing
	exit ;;
esac

# Managed PostgreSQL asks for passwords over the network: so does this cluster
# (the socket stays trust, for the test's own psql and Bucardo's control db).
pg_require_passwords

# The control database: bucardo install creates the database "bucardo" and a
# "bucardo" superuser whose password goes to $HOME/.pgpass; everything else
# that would land in /var/log/bucardo goes to $T/log.
bucardo_install

# The source: an ordinary database, replicated by the bucardo superuser.
# The target: the table belongs to "migrator", who is not a superuser, and
# whose only way to switch off triggers is the aiven_extras function.
psql -X -q -v ON_ERROR_STOP=1 >"$T/setup.out" 2>&1 <<'SQL' || bail "create the source and the target" "$T/setup.out"
create role migrator login nosuperuser password 'migrator-pw';
create database src;
create database dst;
\c src
create table items (id int primary key, name text not null);
\c dst
-- Like aiven_extras: a superuser's SECURITY DEFINER wrapper around set_config.
create schema aiven_extras;
create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language sql security definer set search_path = pg_catalog
	as $$ select set_config('session_replication_role', arg_parameter, false) $$;
-- The extension itself leaves EXECUTE to PUBLIC: take it away, grant it back
-- to migrator only, so scenario (c) can take it away again.
revoke execute on function aiven_extras.session_replication_role(text) from public;
grant usage on schema aiven_extras to migrator;
grant execute on function aiven_extras.session_replication_role(text) to migrator;
grant create on schema public to migrator;
set role migrator;
create table items (id int primary key, name text not null);
create function refuse() returns trigger language plpgsql as $$
begin
	raise exception 'trigger fired on %: session_replication_role is not replica', tg_table_name;
end $$;
-- An ordinary (ENABLE ORIGIN) trigger: silent only in replica mode.
create trigger refuse before insert or update or delete on items
	for each row execute function refuse();
SQL

# The fixture itself, before Bucardo sees it.
check "migrator is not a superuser" \
	test "$(sql postgres "select rolsuper from pg_roles where rolname = 'migrator'")" = f
if psql -X -q -U migrator -d dst -c "set session_replication_role = replica" >"$T/.m" 2>&1; then
	fail "migrator cannot SET session_replication_role itself" "it could"
else
	contains "$(cat "$T/.m")" 'permission denied to set parameter "session_replication_role"' \
		"migrator cannot SET session_replication_role itself"
fi
if psql -X -q -U migrator -d dst -c "insert into items values (0, 'direct')" >"$T/.m" 2>&1; then
	fail "the guard trigger rejects an ordinary write to the target" "the insert went through"
else
	contains "$(cat "$T/.m")" "trigger fired on items" "the guard trigger rejects an ordinary write to the target"
fi
check "through aiven_extras, migrator can write to the target in replica mode" \
	psql -X -q -v ON_ERROR_STOP=1 -U migrator -d dst \
	-c "select aiven_extras.session_replication_role('replica')" \
	-c "insert into items values (0, 'direct')" -c "delete from items"

# Bucardo's view: the target over TCP as migrator with a password, as on a
# managed service. The source as the bucardo superuser over the socket: the
# control database's PL/Perl functions connect to it too, as the server's OS
# user, who has no ~/.pgpass with bucardo's password.
{
	bc add db srcdb dbname=src "dbhost=$PGHOST" "dbport=$PGPORT" dbuser=bucardo &&
	bc add db dstdb dbname=dst dbhost=127.0.0.1 "dbport=$PGPORT" dbuser=migrator dbpass=migrator-pw &&
	bc add table public.items db=srcdb relgroup=items &&
	bc add sync items relgroup=items dbs=srcdb:source,dstdb:target
} >"$T/add.out" 2>&1 || bail "Bucardo knows the source, the target and a sync between them" "$T/add.out"
pass "Bucardo knows the source, the target and a sync between them"

# Two copies of the snapshot, each under its own root.
pristine_dir=$T/pristine-root/usr/share/perl5
pristine=$(sandbox "$T/Bucardo.pm.orig" "$T/pristine-root")
patched_dir=$T/root/usr/share/perl5
patched=$(sandbox "$T/Bucardo.pm.orig" "$T/root")
run_ba --root "$T/root" apply "$patched"
expect_rc 0 "bucardo-aiven patches the copy under a temporary root"
check "perl loads the patched copy through PERL5LIB" \
	test "$(PERL5LIB=$patched_dir perl -MBucardo -e 'print $INC{"Bucardo.pm"}')" = "$patched"
check "the patched copy calls aiven_extras for both switches" \
	test "$(grep -c "aiven_extras.session_replication_role('\(replica\|origin\)')" "$patched")" = 2

# --- (a) the pristine module -----------------------------------------------

same_file "$T/Bucardo.pm.orig" "$pristine" "(a) the pristine copy is still the unpatched snapshot"
start_bucardo a "$pristine_dir"
expect_loaded "$pristine" "(a) the daemon loaded the pristine copy"
sql src "insert into items values (1, 'one')"
# DBI names the statement's file: the SET in the pristine copy.
expect_log "permission denied to set parameter \"session_replication_role\" at $pristine line" \
	"(a) pristine module: the worker fails with PostgreSQL's permission error"
expect_target_now "" "(a) nothing reached the target"
expect_stopped "(a)"

# --- (b) the patched module ------------------------------------------------

# check-db, as the user Bucardo connects as, must foresee what Bucardo does.
dst_conninfo="host=127.0.0.1 port=$PGPORT dbname=dst user=migrator"
PGPASSWORD=migrator-pw PERL5LIB=$patched_dir run_ba check-db "$dst_conninfo"
expect_rc 0 "(b) check-db says the target is ready for the patched module"
contains "$out" "session_replication_role = replica" "(b) check-db saw the function switch to replica"
start_bucardo b "$patched_dir"
expect_loaded "$patched" "(b) the daemon loaded the patched copy"
# The row (a) could not deliver is still queued on the source.
expect_target "1:one " "(b) INSERT replicated (the row left over from (a))"
sql src "insert into items values (2, 'two')"
expect_target "1:one 2:two " "(b) INSERT replicated"
sql src "update items set name = 'zwei' where id = 2"
expect_target "1:one 2:zwei " "(b) UPDATE replicated"
sql src "delete from items where id = 1"
expect_target "2:zwei " "(b) DELETE replicated"
check "(b) Bucardo wrote to the target as migrator" \
	test "$(sql postgres "select string_agg(distinct usename, ',') from pg_stat_activity where datname = 'dst' and application_name like 'bucardo%'")" = migrator
check "(b) the guard trigger is still enabled on the target" \
	test "$(sql dst "select tgenabled from pg_trigger where tgname = 'refuse'")" = O
check "(b) no permission error and no dead worker in the log" \
	not grep -E "permission denied|Kid has died|trigger fired" "$log"
expect_stopped "(b)"

# --- (c) patched, but EXECUTE not granted ----------------------------------

sql dst "revoke execute on function aiven_extras.session_replication_role(text) from migrator"
PGPASSWORD=migrator-pw PERL5LIB=$patched_dir run_ba check-db "$dst_conninfo"
expect_rc 1 "(c) check-db says the target is not ready without EXECUTE"
contains "$out$errout" "GRANT EXECUTE" "(c) check-db gives the GRANT that fixes it"
start_bucardo c "$patched_dir"
expect_loaded "$patched" "(c) the daemon loaded the patched copy"
sql src "insert into items values (3, 'three')"
expect_log "permission denied for function session_replication_role at $patched line" \
	"(c) without EXECUTE: the worker fails with a clear permission error"
check "(c) the new row did not reach the target" not target_has 3:three
expect_stopped "(c)"

# --- (d) onetimecopy from a source without aiven_extras -------------------

sql dst "grant execute on function aiven_extras.session_replication_role(text) to migrator"
check "(d) the source has no aiven_extras, as a self-hosted database" \
	test "$(sql src "select count(*) from pg_namespace where nspname = 'aiven_extras'")" = 0
# A second table, filled before the sync exists: onetimecopy copies it whole
# first, then the sync goes on with deltas.
sql src "create table stock (id int primary key, qty int not null)" >/dev/null
sql src "insert into stock select g, g * 10 from generate_series(1, 50) g" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U migrator -d dst >"$T/stock.out" 2>&1 <<'SQL' ||
create table stock (id int primary key, qty int not null);
create trigger refuse before insert or update or delete on stock
	for each row execute function refuse();
SQL
	bail "(d) the target gets its own copy of the second table" "$T/stock.out"
{
	bc add table public.stock db=srcdb relgroup=stock &&
	bc add sync stock relgroup=stock dbs=srcdb:source,dstdb:target onetimecopy=2
} >"$T/add-stock.out" 2>&1 || bail "(d) a sync with onetimecopy=2" "$T/add-stock.out"
stock() { sql "$1" "select count(*) || ':' || coalesce(sum(qty), 0) from stock"; }
stock_is() { [ "$(stock dst)" = "$1" ]; }
expect_stock() {
	if wait_until "$WAIT" stock_is "$1"; then pass "$2"
	else fail "$2" "target: $(stock dst)" "wanted: $1" "source: $(stock src)" "$(log_tail)"; WAIT=5; fi
}
start_bucardo d "$patched_dir"
expect_loaded "$patched" "(d) the daemon loaded the patched copy"
expect_stock "50:12750" "(d) onetimecopy: the full copy reached the target"
sql src "insert into stock values (51, 7)"
expect_stock "51:12757" "(d) then a delta round: an INSERT"
sql src "update stock set qty = qty + 1 where id <= 10"
expect_stock "51:12767" "(d) and another: an UPDATE of ten rows"
sql src "delete from stock where id > 40"
expect_stock "40:8210" "(d) and another: a DELETE"
check "(d) no error and no dead worker in the log" \
	not grep -E "permission denied|does not exist|Kid has died|trigger fired" "$log"
expect_stopped "(d)"

# --- (e) the guarded form --------------------------------------------------

guarded_dir=$T/groot/usr/share/perl5
guarded=$(sandbox "$T/Bucardo.pm.orig" "$T/groot")
run_ba --root "$T/groot" apply --form guarded "$guarded"
expect_rc 0 "(e) bucardo-aiven patches a copy in the guarded form"
check "(e) both switches look the function up before calling it" \
	test "$(grep -c "query_to_xml('SELECT aiven_extras.session_replication_role(''\(replica\|origin\)'')'" "$guarded")" = 2
start_bucardo e "$guarded_dir"
expect_loaded "$guarded" "(e) the daemon loaded the guarded copy"
sql src "insert into stock values (41, 1)"
expect_stock "41:8211" "(e) guarded form: an INSERT replicated"
sql src "update items set name = 'deux' where id = 2"
expect_target "2:deux 3:three " "(e) guarded form: an UPDATE on the first sync replicated, with the row (c) left queued"
check "(e) no error and no dead worker in the log" \
	not grep -E "permission denied|does not exist|Kid has died|trigger fired" "$log"
expect_stopped "(e)"

echo "# e2e took $((SECONDS - started_at)) s"
done_testing
