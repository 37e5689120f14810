#!/bin/bash
# The collection's role and module (contrib/ansible), by their full names
# bucardo_aiven.bucardo_aiven.bucardo_aiven, run from the source tree by
# ansible-playbook against sandbox roots in $T: apply, idempotence, check
# mode, diff mode, revert, a refused file, the handler, msg and warnings,
# and check_db against a throwaway PostgreSQL cluster. Nothing outside $T is
# written. tests/ansible/collection.sh tests the built collection.
. "$(dirname "$0")/../lib/tap.sh"

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
COLLECTION=$SRCDIR/contrib/ansible
LIB=$COLLECTION/plugins/modules
MODULE=$LIB/bucardo_aiven.py
FQCN=bucardo_aiven.bucardo_aiven.bucardo_aiven

if ! command -v ansible-playbook >/dev/null 2>&1; then
	skip "ansible role" "ansible-playbook not installed (Debian package ansible-core)"
	done_testing
	exit
fi

# The python that runs Ansible (and has its module_utils and PyYAML).
APY=$(sed -n '1s/^#! *\([^ ]*\).*/\1/p' "$(command -v ansible-playbook)")
case "$APY" in */env) APY=python3 ;; "") APY=python3 ;; esac

# Only what this script sets may configure Ansible; everything it writes
# (temporary files, caches, facts, retry files) stays in $T.
for v in $(env | sed -n 's/^\(ANSIBLE_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
mkdir -p "$T/home" "$T/ansible-local" "$T/ansible-remote" "$T/ansible-home"
cat >"$T/ansible.cfg" <<'CFG'
[defaults]
CFG
export HOME=$T/home
export ANSIBLE_CONFIG=$T/ansible.cfg
export ANSIBLE_HOME=$T/ansible-home
export ANSIBLE_LOCAL_TEMP=$T/ansible-local
export ANSIBLE_REMOTE_TEMP=$T/ansible-remote
# The collection as it is in the source tree, and no other: not one that
# Ansible or a user installed.
mkdir -p "$T/collections/ansible_collections/bucardo_aiven"
ln -s "$COLLECTION" "$T/collections/ansible_collections/bucardo_aiven/bucardo_aiven"
export ANSIBLE_COLLECTIONS_PATH=$T/collections
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=0
export ANSIBLE_ROLES_PATH=$T/no-roles
export ANSIBLE_NOCOLOR=1
export ANSIBLE_STDOUT_CALLBACK=default
export ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_PYTHON_INTERPRETER=auto_silent
export ANSIBLE_DEPRECATION_WARNINGS=0
export ANSIBLE_LOCALHOST_WARNING=0
export PYTHONDONTWRITEBYTECODE=1
cd "$T" || exit 1

PRISTINE=$FIXTURES/bucardo-5.6.pm
EXPECTED=$FIXTURES/expected/bucardo-5.6.pm
PM=usr/share/perl5/Bucardo.pm

cat >"$T/play.yml" <<EOF
- name: bucardo-aiven role in a sandbox root
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    bucardo_aiven_binary: "$BA"
    bucardo_aiven_root: "$T/root"
  roles:
    - $FQCN
EOF

# play NAME ARGS...: run ansible-playbook; sets $prc, $pout (stdout and
# stderr), $pchanged and $pfailed (from the PLAY RECAP).
play() {
	local name=$1; shift
	ansible-playbook -i localhost, "$T/play.yml" "$@" >"$T/$name.log" 2>&1
	prc=$?
	pout=$(cat "$T/$name.log")
	pchanged=$(sed -n 's/^localhost *:.* changed=\([0-9]*\).*/\1/p' "$T/$name.log" | tail -n 1)
	pfailed=$(sed -n 's/^localhost *:.* failed=\([0-9]*\).*/\1/p' "$T/$name.log" | tail -n 1)
}

# expect_play RC CHANGED NAME: exit status and the recap's changed count.
expect_play() {
	if [ "$prc" = "$1" ] && [ "$pchanged" = "$2" ]; then pass "$3"
	else fail "$3" "exit $prc, wanted $1; changed=$pchanged, wanted $2" "$(tail -c 3000 <<<"$pout")"; fi
}

handler_ran() {
	case "$pout" in
	*"RUNNING HANDLER [$FQCN : restart bucardo]"*) pass "$1" ;;
	*) fail "$1" "no RUNNING HANDLER in the output" "$(tail -c 2000 <<<"$pout")" ;;
	esac
}
handler_not_ran() {
	case "$pout" in
	*"RUNNING HANDLER"*) fail "$1" "a handler ran" "$(tail -c 2000 <<<"$pout")" ;;
	*) pass "$1" ;;
	esac
}

# fresh FIXTURE [ROOT]: a new sandbox root holding FIXTURE, and no state.
fresh() {
	local root=${2:-$T/root}
	rm -rf "$root"
	sandbox "$1" "$root" >/dev/null
}

# --- The module itself --------------------------------------------------

check "module compiles (py_compile)" "$APY" -c '
import py_compile, sys
py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)' "$MODULE" "$T/module.pyc"

ansible-doc "$FQCN" >"$T/doc.txt" 2>&1
doc_rc=$?
if [ "$doc_rc" = 0 ] && grep -q 'BUCARDO_AIVEN.BUCARDO_AIVEN.BUCARDO_AIVEN' "$T/doc.txt" \
	&& grep -q 'RETURN VALUES' "$T/doc.txt" && ! grep -q 'ERROR' "$T/doc.txt"; then
	pass "ansible-doc $FQCN reads DOCUMENTATION, EXAMPLES and RETURN"
else
	fail "ansible-doc $FQCN reads DOCUMENTATION, EXAMPLES and RETURN" "exit $doc_rc" "$(head -c 2000 "$T/doc.txt")"
fi
check "ansible-doc shows the attributes check_mode, diff_mode and platform" \
	sh -c "sed -n '/^ATTRIBUTES:/,/^[A-Z]/p' '$T/doc.txt' | grep -q check_mode &&
	       sed -n '/^ATTRIBUTES:/,/^[A-Z]/p' '$T/doc.txt' | grep -q diff_mode &&
	       sed -n '/^ATTRIBUTES:/,/^[A-Z]/p' '$T/doc.txt' | grep -q 'platforms: posix'"

ansible-doc -t role "$FQCN" >"$T/roledoc.txt" 2>&1
doc_rc=$?
if [ "$doc_rc" = 0 ] && grep -q 'bucardo_aiven_check_db_conninfo' "$T/roledoc.txt"; then
	pass "ansible-doc -t role reads the role's meta/argument_specs.yml"
else
	fail "ansible-doc -t role reads the role's meta/argument_specs.yml" "exit $doc_rc" "$(head -c 2000 "$T/roledoc.txt")"
fi

# DOCUMENTATION and argument_spec agree (what ansible-test validate-modules
# would check first): same options, types, defaults, choices, elements, no_log.
check "DOCUMENTATION options match argument_spec" "$APY" - "$MODULE" <<'PY'
import sys, types, yaml, importlib.util
import ansible.module_utils.basic as basic
captured = {}
class Stop(Exception):
    pass
class Fake:
    def __init__(self, argument_spec, **kw):
        captured.update(argument_spec=argument_spec, kw=kw)
        raise Stop()
spec = importlib.util.spec_from_file_location("bucardo_aiven", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
mod.AnsibleModule = Fake
try:
    mod.main()
except Stop:
    pass
doc = yaml.safe_load(mod.DOCUMENTATION)
yaml.safe_load(mod.EXAMPLES)
yaml.safe_load(mod.RETURN)
a, d = captured["argument_spec"], doc["options"]
assert captured["kw"].get("supports_check_mode") is True
assert set(a) == set(d), (sorted(a), sorted(d))
for k, s in a.items():
    o = d[k]
    assert s.get("type", "str") == o.get("type", "str"), k
    assert s.get("default") == o.get("default"), (k, s.get("default"), o.get("default"))
    assert s.get("choices") == o.get("choices"), k
    assert s.get("elements") == o.get("elements"), k
    assert bool(s.get("required")) == bool(o.get("required")), k
for k in ("conninfo", "bucardo_db", "password"):
    assert a[k].get("no_log") is True, k
PY

# --- Check mode on a pristine root ---------------------------------------

fresh "$PRISTINE"
play check --check
expect_play 0 1 "--check on pristine: exit 0, changed=1"
same_file "$T/root/$PM" "$PRISTINE" "--check: the file is byte-identical to the fixture"
check "--check: no state directory created" test ! -e "$T/root/var"
handler_ran "--check: the handler is notified on a would-be change"

play checkdiff --check --diff
expect_play 0 1 "--check --diff: exit 0, changed=1"
contains "$pout" "+        \$dbh->do(q{select aiven_extras.session_replication_role('replica');});" \
	"--check --diff: the + line with the function call"
contains "$pout" "-        \$dbh->do(q{SET session_replication_role = 'replica'});" \
	"--check --diff: the - line with the original statement"
contains "$pout" "@@ -126,7 +126,7 @@ sub disable_triggers {" "--check --diff: a unified diff hunk header"
same_file "$T/root/$PM" "$PRISTINE" "--check --diff: the file is still byte-identical"
check "--check --diff: still no state directory" test ! -e "$T/root/var"

# --- Apply, idempotence ---------------------------------------------------

play apply1
expect_play 0 1 "first run: exit 0, changed=1"
same_file "$T/root/$PM" "$EXPECTED" "first run: the file equals fixtures/expected/bucardo-5.6.pm"
handler_ran "first run: the restart handler is notified"
contains "$pout" "skipping: [localhost]" "first run: the handler restarts no service under a root"
check "first run: the backup store was created below the root" \
	test -d "$T/root/var/lib/bucardo-aiven/store.git"

play apply2
expect_play 0 0 "second run: exit 0, changed=0"
check "second run: failed=0" test "$pfailed" = 0
same_file "$T/root/$PM" "$EXPECTED" "second run: the file is unchanged"
handler_not_ran "second run: no handler runs"

play apply3 --check --diff
expect_play 0 0 "--check on a patched root: changed=0"
case "$pout" in
*"+++ "*) fail "--check --diff on a patched root: no diff shown" "$pout" ;;
*) pass "--check --diff on a patched root: no diff shown" ;;
esac

# --- The module's return values, through a play that asserts them --------

cat >"$T/module.yml" <<EOF
- name: bucardo_aiven module return values
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: status
      $FQCN:
        state: status
        binary: "$BA"
        root: "$T/root"
      register: st
    - name: apply on a patched root
      $FQCN:
        binary: "$BA"
        root: "$T/root"
        files: ["$T/root/$PM"]
        perl_check: false
      register: ap
    - name: the values are as documented
      ansible.builtin.assert:
        that:
          - st is not changed
          - st.all_patched
          - st.found
          - st.files | length == 1
          - st.files[0].state == 'patched'
          - st.files[0].active
          - st.state_dir == '$T/root/var/lib/bucardo-aiven'
          - st.msg == 'every copy of Bucardo.pm is patched (1 copy found)'
          - ap is not changed
          - ap.restart_needed == false
          - ap.restart is none
          - ap.files[0].action == 'already patched'
          - ap.files[0].path == '$T/root/$PM'
          - ap.msg == 'every copy of Bucardo.pm is already patched (1 copy found)'
          - "'--no-perl-check' in ap.cmd"
          - "'diff' not in ap"
          - "'warnings' not in st and 'warnings' not in ap"
EOF
ansible-playbook -i localhost, "$T/module.yml" >"$T/module.log" 2>&1
mrc=$?
if [ "$mrc" = 0 ]; then pass "module: status and apply return values, msg included"
else fail "module: status and apply return values, msg included" "exit $mrc" "$(tail -c 3000 "$T/module.log")"; fi

# msg on a change, in check mode and for real, on a root of its own.
fresh "$PRISTINE" "$T/root2"
cat >"$T/msg.yml" <<EOF
- name: bucardo_aiven module msg on a change
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: status of a pristine copy
      $FQCN:
        state: status
        binary: "$BA"
        root: "$T/root2"
      register: st
    - name: apply in check mode
      $FQCN:
        binary: "$BA"
        root: "$T/root2"
        perl_check: false
      check_mode: true
      register: chk
    - name: apply
      $FQCN:
        binary: "$BA"
        root: "$T/root2"
        perl_check: false
      register: ap
    - name: revert
      $FQCN:
        state: reverted
        binary: "$BA"
        root: "$T/root2"
      register: rv
    - name: revert again
      $FQCN:
        state: reverted
        binary: "$BA"
        root: "$T/root2"
      register: rv2
    - name: each says what happened
      ansible.builtin.assert:
        that:
          - st.msg == '1 of 1 copy of Bucardo.pm not patched'
          - chk is changed
          - chk.msg == 'would patch $T/root2/$PM'
          - ap is changed
          - ap.msg == 'patched $T/root2/$PM'
          - rv is changed
          - rv.msg == 'reverted $T/root2/$PM'
          - rv2 is not changed
          - rv2.msg == 'nothing to revert (1 copy found)'
EOF
ansible-playbook -i localhost, "$T/msg.yml" >"$T/msg.log" 2>&1
mrc=$?
if [ "$mrc" = 0 ]; then pass "module: msg in check mode, on apply and on revert"
else fail "module: msg in check mode, on apply and on revert" "exit $mrc" "$(tail -c 3000 "$T/msg.log")"; fi

# The tool's warnings reach the result once, through module.warn(), never
# also under the reserved key 'warnings' by the module itself. A stand-in
# for the tool prints a check-db document for a sync with rebuild_index set
# (the warning both in the list every document has and in the single key an
# older tool used); another prints a format_version this module does not
# read.
cat >"$T/fake-ba" <<EOF
#!/bin/sh
cat "$T/fake.json"
exit 0
EOF
chmod +x "$T/fake-ba"
cat >"$T/warn.yml" <<EOF
- name: bucardo_aiven module warnings
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: check_db with a warning
      $FQCN:
        state: check_db
        binary: "$T/fake-ba"
        conninfo: ["dbname=target"]
      register: cd
    - name: the warning is there once, and msg too
      ansible.builtin.assert:
        that:
          - cd is not changed
          - cd.ready
          - "cd.warnings == ['sync shop_sync sets rebuild_index: UPDATE pg_class needs a superuser']"
          - cd.msg == 'every database is ready for Bucardo (1 checked)'
EOF
printf '%s\n' '{"format_version": 1, "ready": true, "function": "aiven_extras.session_replication_role",' \
	'"databases": [{"ready": true, "dbname": "target"}],' \
	'"warning": "sync shop_sync sets rebuild_index: UPDATE pg_class needs a superuser",' \
	'"warnings": ["sync shop_sync sets rebuild_index: UPDATE pg_class needs a superuser"]}' >"$T/fake.json"
ansible-playbook -i localhost, "$T/warn.yml" >"$T/warn.log" 2>&1
mrc=$?
if [ "$mrc" = 0 ]; then pass "module: the tool's warnings are in the result once"
else fail "module: the tool's warnings are in the result once" "exit $mrc" "$(tail -c 3000 "$T/warn.log")"; fi
check "module: and shown as an Ansible warning" \
	grep -q '\[WARNING\]: sync shop_sync sets rebuild_index' "$T/warn.log"

printf '%s\n' '{"format_version": 2, "ready": true, "databases": []}' >"$T/fake.json"
ansible-playbook -i localhost, "$T/warn.yml" >"$T/fv.log" 2>&1
mrc=$?
if [ "$mrc" != 0 ] && grep -q 'format_version 2; this module reads 1' "$T/fv.log"; then
	pass "module: a JSON format_version it does not read fails, and says so"
else
	fail "module: a JSON format_version it does not read fails, and says so" "exit $mrc" "$(tail -c 3000 "$T/fv.log")"
fi

# --- Revert ---------------------------------------------------------------

play revert1 -e bucardo_aiven_state=reverted
expect_play 0 1 "state=reverted: exit 0, changed=1"
same_file "$T/root/$PM" "$PRISTINE" "state=reverted: the file is back to pristine"
handler_ran "state=reverted: the handler is notified"

play revert2 -e bucardo_aiven_state=reverted
expect_play 0 0 "state=reverted again: changed=0"
handler_not_ran "state=reverted again: no handler runs"

# Never applied: no backup store at all. Nothing to revert, not a failure.
fresh "$PRISTINE"
play revert3 -e bucardo_aiven_state=reverted
expect_play 0 0 "state=reverted where nothing was ever applied: ok, changed=0"
same_file "$T/root/$PM" "$PRISTINE" "state=reverted, never applied: the file is untouched"
check "state=reverted, never applied: no state directory created" test ! -e "$T/root/var"

# ... but a copy patched by other means, with no store, is not passed as ok.
fresh "$FIXTURES/patched-5.6.pm"
play revert4 -e bucardo_aiven_state=reverted
if [ "$prc" != 0 ] && [ "$pfailed" = 1 ]; then pass "state=reverted, patched without a store: the play fails"
else fail "state=reverted, patched without a store: the play fails" "exit $prc" "$(tail -c 2000 <<<"$pout")"; fi
contains "$pout" "holds no backup of it" "state=reverted, patched without a store: says why"

# --- A refused file -------------------------------------------------------

fresh "$FIXTURES/twice-enable.pm"
play bad
if [ "$prc" != 0 ] && [ "$pfailed" = 1 ]; then pass "twice-enable.pm: the play fails (exit $prc)"
else fail "twice-enable.pm: the play fails" "exit $prc, failed=$pfailed" "$(tail -c 2000 <<<"$pout")"; fi
contains "$pout" "sub enable_triggers holds 2 session_replication_role statements" \
	"twice-enable.pm: the tool's message is shown"
contains "$pout" "bucardo-aiven apply failed (exit 1)" "twice-enable.pm: msg names the command and exit"
same_file "$T/root/$PM" "$FIXTURES/twice-enable.pm" "twice-enable.pm: nothing written"
handler_not_ran "twice-enable.pm: no handler runs"

play bad-check --check
if [ "$prc" != 0 ] && [ "$pfailed" = 1 ]; then pass "twice-enable.pm, --check: the play fails too"
else fail "twice-enable.pm, --check: the play fails too" "exit $prc" "$(tail -c 2000 <<<"$pout")"; fi

# --- Variables ------------------------------------------------------------

fresh "$PRISTINE"
play norestart -e bucardo_aiven_restart=false
expect_play 0 1 "bucardo_aiven_restart=false: changed=1"
handler_not_ran "bucardo_aiven_restart=false: the handler is not notified"
same_file "$T/root/$PM" "$EXPECTED" "bucardo_aiven_restart=false: the file is patched"

fresh "$PRISTINE"
play statedir -e "bucardo_aiven_state_dir=$T/store" -e bucardo_aiven_perl_check=false
expect_play 0 1 "bucardo_aiven_state_dir: changed=1"
check "bucardo_aiven_state_dir: the store is where it was asked for" test -d "$T/store/store.git"
check "bucardo_aiven_state_dir: nothing in the root's default" test ! -e "$T/root/var"

play nobinary -e "bucardo_aiven_binary=$T/no-such-bucardo-aiven"
if [ "$prc" != 0 ]; then pass "missing binary: the play fails"
else fail "missing binary: the play fails" "$(tail -c 2000 <<<"$pout")"; fi
contains "$pout" "$T/no-such-bucardo-aiven: no such file" "missing binary: says so"

# --- check_db against a throwaway cluster ----------------------------------

. "$SRCDIR/tests/lib/pg.sh"
pg_start; pg_rc=$?
if [ "$pg_rc" = 0 ]; then
	PW=Ansible-pw-8815
	psql -qX -v ON_ERROR_STOP=1 >"$T/pgsetup.log" 2>&1 <<SQL
create role migrator login password '$PW';
create database target;
create database nofunc;
\c target
create schema aiven_extras;
create function aiven_extras.session_replication_role(arg_parameter text)
	returns text language plpgsql security definer
	as \$\$ begin return set_config('session_replication_role', arg_parameter, false); end \$\$;
revoke execute on function aiven_extras.session_replication_role(text) from public;
grant usage on schema aiven_extras to migrator;
grant execute on function aiven_extras.session_replication_role(text) to migrator;
SQL
	setup_rc=$?
	pg_require_passwords
	TARGET="host=127.0.0.1 port=$PGPORT dbname=target user=migrator"
	NOFUNC="host=127.0.0.1 port=$PGPORT dbname=nofunc user=migrator"
	# Extra vars as JSON: a list of conninfos, and the password out of argv.
	printf '{"bucardo_aiven_state": "status", "bucardo_aiven_check_db_conninfo": ["%s"], "bucardo_aiven_check_db_password": "%s"}\n' \
		"$TARGET" "$PW" >"$T/ready.json"
	printf '{"bucardo_aiven_state": "status", "bucardo_aiven_check_db_conninfo": ["%s", "%s"], "bucardo_aiven_check_db_password": "%s"}\n' \
		"$TARGET" "$NOFUNC" "$PW" >"$T/notready.json"

	if [ "$setup_rc" != 0 ]; then
		fail "check_db: set up the cluster" "$(cat "$T/pgsetup.log")"
	else
		play db-ready -v -e "@$T/ready.json"
		expect_play 0 0 "check_db, ready database: ok, changed=0"
		contains "$pout" '"ready": true' "check_db, ready database: ready=true returned"
		case "$pout" in
		*"$PW"*) fail "check_db, ready database: the password is not printed" "$pout" ;;
		*) pass "check_db, ready database: the password is not printed" ;;
		esac
		case "$pout" in
		*"$TARGET"*) fail "check_db: the conninfo is not logged (no_log)" "$pout" ;;
		*) pass "check_db: the conninfo is not logged (no_log)" ;;
		esac

		play db-notready -e "@$T/notready.json"
		if [ "$prc" != 0 ] && [ "$pfailed" = 1 ]; then pass "check_db, not ready: the play fails"
		else fail "check_db, not ready: the play fails" "exit $prc" "$(tail -c 2000 <<<"$pout")"; fi
		contains "$pout" "not every database is ready" "check_db, not ready: says so"
		contains "$pout" "CREATE EXTENSION aiven_extras" "check_db, not ready: gives the tool's fix"

		play db-warn -e "@$T/notready.json" -e bucardo_aiven_check_db_fail=false
		expect_play 0 0 "check_db, not ready, bucardo_aiven_check_db_fail=false: ok, changed=0"
		contains "$pout" "[WARNING]: not ready:" "check_db, bucardo_aiven_check_db_fail=false: a warning instead"

		play db-check --check -e "@$T/ready.json"
		expect_play 0 0 "check_db in --check: runs, changes nothing"
	fi
elif [ "$pg_rc" = 2 ]; then
	skip "check_db" "no PostgreSQL server installed (postgresql-15)"
else
	fail "a throwaway PostgreSQL cluster starts"
fi

# Every play above works below a root in $T (the real /usr/share/perl5 and
# /var/lib/bucardo-aiven are never named; the e2e tests, which may run at the
# same time, do change them, so comparing them here would be a race).
check "the module left no __pycache__ in the source tree" test ! -e "$LIB/__pycache__"

done_testing
