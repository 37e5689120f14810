#!/bin/bash
# The Ansible collection in contrib/ansible as a user gets it: built with
# ansible-galaxy, installed into $T, and played by its full names
# (changed, then ok; check mode writes nothing). Installing it from a git
# URL takes only the collection, and `ansible-galaxy role install` of the
# repository refuses instead of nesting the source tree. Then ansible-test's
# sanity checkers from Debian's packages, with ansible-test's own
# configurations (validate-modules, pylint, pycodestyle, yamllint), and
# ansible-lint: each must report nothing. Nothing outside $T is written.
. "$(dirname "$0")/../lib/tap.sh"

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
COLLECTION=$SRCDIR/contrib/ansible
FQCN=bucardo_aiven.bucardo_aiven.bucardo_aiven

if ! command -v ansible-galaxy >/dev/null 2>&1 || ! command -v ansible-playbook >/dev/null 2>&1; then
	skip "ansible collection" "ansible-galaxy not installed (Debian package ansible-core)"
	done_testing
	exit
fi

# The python that runs Ansible: Debian's, with ansible_test and the
# checkers' modules (another python3 may come first in PATH).
APY=$(sed -n '1s/^#! *\([^ ]*\).*/\1/p' "$(command -v ansible-playbook)")
case "$APY" in */env | "") APY=python3 ;; esac

for v in $(env | sed -n 's/^\(ANSIBLE_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
mkdir -p "$T/home" "$T/ansible-local" "$T/ansible-remote" "$T/ansible-home"
printf '[defaults]\n' >"$T/ansible.cfg"
export HOME=$T/home
export XDG_CACHE_HOME=$T/home/.cache
export ANSIBLE_CONFIG=$T/ansible.cfg
export ANSIBLE_HOME=$T/ansible-home
export ANSIBLE_LOCAL_TEMP=$T/ansible-local
export ANSIBLE_REMOTE_TEMP=$T/ansible-remote
export ANSIBLE_ROLES_PATH=$T/no-roles
export ANSIBLE_COLLECTIONS_PATH=$T/collections
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=0
export ANSIBLE_NOCOLOR=1
export NO_COLOR=1
export ANSIBLE_STDOUT_CALLBACK=default
export ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_PYTHON_INTERPRETER=auto_silent
export ANSIBLE_LOCALHOST_WARNING=0
export PYTHONDONTWRITEBYTECODE=1
cd "$T" || exit 1

version=$(sed -n "s/^  version: '\([^']*\)',$/\1/p" "$SRCDIR/meson.build")
gversion=$("$APY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$COLLECTION/galaxy.yml")
check "galaxy.yml's version is the tool's ($version)" test -n "$version" -a "$gversion" = "$version"
check "CHANGELOG.md has an entry for $version" grep -qx "## $version" "$COLLECTION/CHANGELOG.md"

# --- Build and install ------------------------------------------------------

tarball=$T/dist/bucardo_aiven-bucardo_aiven-$gversion.tar.gz
ansible-galaxy collection build "$COLLECTION" --output-path "$T/dist" >"$T/build.log" 2>&1
check "ansible-galaxy collection build makes $(basename "$tarball")" test -f "$tarball"
tar -tzf "$tarball" 2>/dev/null | sed 's|/$||' | sort >"$T/contents"
for f in MANIFEST.json LICENSE README.md CHANGELOG.md meta/runtime.yml \
	plugins/modules/bucardo_aiven.py roles/bucardo_aiven/tasks/main.yml \
	roles/bucardo_aiven/meta/argument_specs.yml tests/sanity/ignore-2.14.txt; do
	check "the collection holds $f" grep -qx "$f" "$T/contents"
done
check "and nothing from the rest of the source tree, nor .ansible-lint" \
	sh -c "! grep -E '^(src|debian|tests/(cli|ansible)|man|\\.ansible-lint)(/|$)' '$T/contents'"
check "LICENSE is the repository's, as a file" \
	sh -c "tar -xzOf '$tarball' LICENSE | cmp -s - '$SRCDIR/LICENSE'"

ansible-galaxy collection install -p "$T/collections" "$tarball" >"$T/install.log" 2>&1
inst=$T/collections/ansible_collections/bucardo_aiven/bucardo_aiven
check "ansible-galaxy collection install puts it in a temporary collections path" \
	test -f "$inst/MANIFEST.json" -a -f "$inst/plugins/modules/bucardo_aiven.py"
contains "$(ansible-galaxy collection list 2>&1)" "bucardo_aiven.bucardo_aiven $gversion" \
	"ansible-galaxy collection list shows bucardo_aiven.bucardo_aiven $gversion"
check "ansible-doc finds the module by its full name" ansible-doc "$FQCN"
check "ansible-doc -t role finds the role and its argument spec" \
	sh -c "ansible-doc -t role '$FQCN' | grep -q bucardo_aiven_state"

# The role's argument spec and its defaults list the same variables, with
# the same defaults.
check "meta/argument_specs.yml and defaults/main.yml agree" "$APY" - "$inst/roles/bucardo_aiven" <<'PY'
import sys, yaml
role = sys.argv[1]
spec = yaml.safe_load(open(role + "/meta/argument_specs.yml"))["argument_specs"]["main"]["options"]
defaults = yaml.safe_load(open(role + "/defaults/main.yml"))
assert set(spec) == set(defaults), sorted(set(spec) ^ set(defaults))
for k, o in spec.items():
    assert o.get("default") == defaults[k], (k, o.get("default"), defaults[k])
PY

# --- A playbook by the full names, from the installed collection ----------

PRISTINE=$FIXTURES/bucardo-5.6.pm
EXPECTED=$FIXTURES/expected/bucardo-5.6.pm
PM=usr/share/perl5/Bucardo.pm
sandbox "$PRISTINE" "$T/root" >/dev/null

cat >"$T/site.yml" <<EOF
- name: bucardo-aiven through the installed collection
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: $FQCN
      vars:
        bucardo_aiven_binary: "$BA"
        bucardo_aiven_root: "$T/root"
  tasks:
    - name: status, by the module's full name
      $FQCN:
        state: status
        binary: "$BA"
        root: "$T/root"
      register: st
    - name: show it
      ansible.builtin.debug:
        msg: "status: {{ st.msg }}"
EOF
# play NAME ARGS...: sets $prc, $pout and $pchanged (from the PLAY RECAP).
play() {
	local name=$1; shift
	ansible-playbook -i localhost, "$T/site.yml" "$@" >"$T/$name.log" 2>&1
	prc=$?
	pout=$(cat "$T/$name.log")
	pchanged=$(sed -n 's/^localhost *:.* changed=\([0-9]*\).*/\1/p' "$T/$name.log" | tail -n 1)
}
expect_play() {
	if [ "$prc" = "$1" ] && [ "$pchanged" = "$2" ]; then pass "$3"
	else fail "$3" "exit $prc, wanted $1; changed=$pchanged, wanted $2" "$(tail -c 3000 <<<"$pout")"; fi
}

play check --check --diff
expect_play 0 1 "check mode: exit 0, changed=1"
same_file "$T/root/$PM" "$PRISTINE" "check mode: the module is byte-identical"
check "check mode: no state directory was written" test ! -e "$T/root/var"
contains "$pout" "+        \$dbh->do(q{select aiven_extras.session_replication_role('replica');});" \
	"check mode with --diff: the diff is shown"
contains "$pout" "TASK [$FQCN : Validating arguments against arg spec 'main'" \
	"the role validates its variables against meta/argument_specs.yml"

play first
expect_play 0 1 "first run: exit 0, changed=1"
same_file "$T/root/$PM" "$EXPECTED" "first run: the module is patched"
contains "$pout" "status: every copy of Bucardo.pm is patched (1 copy found)" "first run: the status msg"

play second
expect_play 0 0 "second run: exit 0, changed=0 (ok)"
same_file "$T/root/$PM" "$EXPECTED" "second run: the module is unchanged"

ansible-playbook -i localhost, "$T/site.yml" -e bucardo_aiven_state=bogus >"$T/bad.log" 2>&1
prc=$?
if [ "$prc" != 0 ] && grep -q "value of bucardo_aiven_state must be one of" "$T/bad.log"; then
	pass "a wrong role variable is refused by the argument spec"
else
	fail "a wrong role variable is refused by the argument spec" "exit $prc" "$(tail -c 2000 "$T/bad.log")"
fi

# --- From git: the collection installs, the role does not nest the tree ----

if ! command -v git >/dev/null 2>&1; then
	skip "installing from a git URL" "git not installed"
else
	# The work tree as it would be committed: what git tracks plus new
	# files not ignored, in a repository of its own.
	mkdir -p "$T/repo"
	(cd "$SRCDIR" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$T/repo" -xf -
	git -C "$T/repo" init -q -b main >/dev/null 2>&1 || git -C "$T/repo" init -q
	git -C "$T/repo" add -A
	git -C "$T/repo" -c user.name=test -c user.email=test@invalid commit -qm snapshot
	git -C "$T/repo" branch -M main

	ansible-galaxy collection install -p "$T/from-git" \
		"git+file://$T/repo#/contrib/ansible/,main" >"$T/git-coll.log" 2>&1
	g=$T/from-git/ansible_collections/bucardo_aiven/bucardo_aiven
	check "ansible-galaxy collection install git+URL#/contrib/ansible/ installs it" \
		test -f "$g/plugins/modules/bucardo_aiven.py" -a -f "$g/roles/bucardo_aiven/tasks/main.yml"
	(cd "$inst" && find . -type f | sort) >"$T/files-tarball"
	(cd "$g" && find . -type f | sort) >"$T/files-git"
	check "with the files the tarball installs, and no others" diff -u "$T/files-tarball" "$T/files-git"
	mkdir -p "$T/roles"
	ansible-galaxy role install -p "$T/roles" "git+file://$T/repo,main" >"$T/git-role.log" 2>&1
	rrc=$?
	check "ansible-galaxy role install of the repository nests nothing under the roles path" \
		sh -c "test -z \"\$(find '$T/roles' -mindepth 1 -print -quit)\""
	if [ "$rrc" != 0 ] && tr -s ' \n' '  ' <"$T/git-role.log" | grep -q "does not appear to have a meta/main.yml"; then
		pass "and it stops, saying there is no role at the top (install the collection)"
	else
		fail "and it stops, saying there is no role at the top (install the collection)" "exit $rrc" \
			"$(tail -c 1500 "$T/git-role.log")"
	fi
fi

# --- ansible-test's sanity checkers, run from Debian's packages -----------
#
# `ansible-test sanity` itself wants to pip-install its requirements. The
# checkers it runs are in Debian: ansible-core ships ansible_test with
# validate-modules and the configurations; voluptuous, pylint, pycodestyle
# and yamllint are packaged. They run here as ansible-test runs them, from
# the installed collection's root, on its paths.

AT=$("$APY" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))' 2>/dev/null)
SANITY=$AT/_util/controller/sanity
core=$("$APY" -c 'import ansible.release as r; print(".".join(r.__version__.split(".")[:2]))')
ignore=$inst/tests/sanity/ignore-$core.txt
MODULE_PATH=plugins/modules/bucardo_aiven.py

if [ -z "$AT" ] || [ ! -f "$SANITY/validate-modules/validate.py" ]; then
	skip "validate-modules" "ansible_test not found (it comes with Debian's ansible-core)"
elif ! "$APY" -c 'import voluptuous' 2>/dev/null; then
	skip "validate-modules" "voluptuous missing (Debian package python3-voluptuous)"
else
	check "tests/sanity/ignore-$core.txt exists for this ansible-core" test -f "$ignore"
	check "and every ansible-core's ignore file says the same" \
		sh -c "for f in '$COLLECTION'/tests/sanity/ignore-*.txt; do cmp -s \"\$f\" '$ignore' || exit 1; done"
	(cd "$inst" && "$APY" "$SANITY/validate-modules/validate.py" --format json --arg-spec \
		--collection ansible_collections/bucardo_aiven/bucardo_aiven --collection-version "$gversion" \
		"$MODULE_PATH") >"$T/vm.json" 2>"$T/vm.err"
	vrc=$?
	# As ansible-test: the errors minus those the ignore file lists, and
	# every ignore entry must still be needed.
	"$APY" - "$T/vm.json" "$ignore" >"$T/vm.out" 2>&1 <<'PY'
import json, os, re, sys
out = open(sys.argv[1]).read()
found = json.loads(out) if out.strip() else {}
ignored = set()
if os.path.exists(sys.argv[2]):
    for line in open(sys.argv[2]):
        line = re.sub(r' *#.*$', '', line).strip()
        if line:
            path, test = line.split()
            ignored.add((path, test.split(':', 1)[1]))
used, bad = set(), []
for path, r in found.items():
    for e in r.get('errors', []) + r.get('traces', []):
        key = (path, e.get('code', 'trace'))
        if key in ignored:
            used.add(key)
        else:
            bad.append('%s:%s:%s: %s %s' % (path, e.get('line', 0), e.get('column', 0), key[1], e.get('msg', e)))
bad += ['ignore entry not needed: %s validate-modules:%s' % k for k in sorted(ignored - used)]
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
	prc=$?
	if [ "$vrc" -le 3 ] && [ ! -s "$T/vm.err" ] && [ "$prc" = 0 ]; then
		pass "validate-modules reports nothing (with tests/sanity/ignore-$core.txt)"
	else
		fail "validate-modules reports nothing (with tests/sanity/ignore-$core.txt)" "exit $vrc" \
			"$(cat "$T/vm.out")" "$(head -c 1500 "$T/vm.err")"
	fi
fi

if ! "$APY" -c 'import pylint' 2>/dev/null || [ ! -f "$SANITY/pylint/config/collection.cfg" ]; then
	skip "pylint" "pylint missing (Debian package pylint)"
else
	plugins=$(cd "$SANITY/pylint/plugins" && ls ./*.py | sed 's|^\./||; s|\.py$||' | paste -sd, -)
	(cd "$inst" && PYLINTHOME=$T/pylint PYTHONPATH=$SANITY/pylint/plugins:$T/collections \
		ANSIBLE_TEST_MODULES_PATH=$inst/plugins/modules/ ANSIBLE_TEST_MODULE_UTILS_PATH=$inst/plugins/module_utils/ \
		"$APY" -m pylint --jobs 0 --reports n --max-line-length 160 --max-complexity 20 \
		--rcfile "$SANITY/pylint/config/collection.cfg" --output-format parseable \
		--load-plugins "$plugins,pylint.extensions.mccabe" \
		--collection-name bucardo_aiven.bucardo_aiven --collection-version "$gversion" \
		"$MODULE_PATH") >"$T/pylint.out" 2>"$T/pylint.err"
	prc=$?
	if [ "$prc" = 0 ] && [ ! -s "$T/pylint.err" ]; then
		pass "pylint with ansible-test's collection.cfg and plugins reports nothing"
	else
		fail "pylint with ansible-test's collection.cfg and plugins reports nothing" "exit $prc" \
			"$(grep -v '^\*\*\*\|^---\|^Your code\|^$' "$T/pylint.out" | head -30)" "$(head -c 1500 "$T/pylint.err")"
	fi
fi

if ! command -v pycodestyle >/dev/null 2>&1; then
	skip "pycodestyle" "pycodestyle missing (Debian package pycodestyle)"
else
	pep8_ignore=$(grep -v '^\s*\(#\|$\)' "$SANITY/pep8/current-ignore.txt" | sort | paste -sd, -)
	(cd "$inst" && pycodestyle --max-line-length 160 --config /dev/null --ignore "$pep8_ignore" \
		"$MODULE_PATH") >"$T/pep8.out" 2>&1
	prc=$?
	if [ "$prc" = 0 ]; then pass "pycodestyle with ansible-test's settings reports nothing"
	else fail "pycodestyle with ansible-test's settings reports nothing" "exit $prc" "$(head -30 "$T/pep8.out")"; fi
fi

if ! "$APY" -c 'import yamllint' 2>/dev/null; then
	skip "yamllint" "yamllint missing (Debian package yamllint)"
else
	(cd "$inst" && { find . -name '*.yml' -o -name '*.yaml'; echo "$MODULE_PATH"; } | sed 's|^\./||' |
		"$APY" "$SANITY/yamllint/yamllinter.py") >"$T/yamllint.json" 2>"$T/yamllint.err"
	prc=$?
	msgs=$("$APY" -c 'import json, sys; m = json.load(open(sys.argv[1]))["messages"]
print("\n".join("%(path)s:%(line)s:%(column)s: %(code)s %(message)s" % x for x in m))' "$T/yamllint.json" 2>&1)
	if [ "$prc" = 0 ] && [ -z "$msgs" ] && [ ! -s "$T/yamllint.err" ]; then
		pass "yamllint with ansible-test's configurations reports nothing (YAML files and module docs)"
	else
		fail "yamllint with ansible-test's configurations reports nothing (YAML files and module docs)" \
			"exit $prc" "$msgs" "$(head -c 1500 "$T/yamllint.err")"
	fi
fi

# --- ansible-lint -------------------------------------------------------------

if ! command -v ansible-lint >/dev/null 2>&1; then
	skip "ansible-lint" "ansible-lint missing (Debian package ansible-lint)"
else
	# The source collection (galaxy.yml and .ansible-lint included), copied
	# out of the git tree so that only it is linted; the installed copy lets
	# ansible-lint load the module and check each task's options against it.
	# ansible-compat 3.0 (Debian 12) takes the parent of the first
	# ANSIBLE_COLLECTIONS_PATH entry, hence .../ansible_collections.
	cp -RL "$COLLECTION" "$T/lint"
	(cd "$T/lint" && ANSIBLE_COLLECTIONS_PATH=$T/collections/ansible_collections \
		ansible-lint --offline --nocolor) >"$T/lint.out" 2>&1
	prc=$?
	if [ "$prc" = 0 ] && ! grep -q "WARNING\|violation" "$T/lint.out"; then
		pass "ansible-lint reports nothing ($(tail -n 1 "$T/lint.out"))"
	else
		fail "ansible-lint reports nothing" "exit $prc" "$(tail -c 3000 "$T/lint.out")"
	fi
fi

done_testing
