# handforms.sh: copies patched by hand, as the migration guide's readers
# patch them. Each hand form is recognised, adopted (kept patched from then
# on), finished when it is half done or slipped, and its original is
# reconstructed: verified against a copy of dpkg's md5sums in the root, or
# refused for revert without --force when nothing can verify it. A copy
# whose statements sit under an added condition is "modified": status
# fails for it and apply warns that the rewrite may not take effect.
. "$(dirname "$0")/../lib/tap.sh"

pristine=$FIXTURES/bucardo-5.6.pm

# state_of ROOT: "STATE FORM" as status --json reports the one copy below ROOT.
state_of() {
	"$BA" --root "$1" --state-dir "$1/state" --json status | python3 -c \
	    'import json,sys; f=json.load(sys.stdin)["files"][0]; print(f["state"], f["form"])'
}

# dpkg_root NAME FIXTURE: a root holding FIXTURE as Debian's module, and a
# bucardo.md5sums that records the pristine module, as dpkg would.
dpkg_root() {
	local root=$T/$1
	sandbox "$2" "$root" >/dev/null
	mkdir -p "$root/var/lib/dpkg/info"
	printf '%s  usr/share/perl5/Bucardo.pm\n' "$(md5sum <"$pristine" | cut -d' ' -f1)" \
	    >"$root/var/lib/dpkg/info/bucardo.md5sums"
	echo "$root"
}

# Every hand spelling: status reads it as patched or partial, apply adopts or
# finishes it, the watch list keeps it, revert gives back the pristine module.
for form in guide:patched capitals:patched select-star:patched commented:patched \
    slip:partial half:partial; do
	name=${form%%:*} want=${form#*:}
	root=$(dpkg_root "$name" "$FIXTURES/hand-$name.pm")
	pm=$root/usr/share/perl5/Bucardo.pm
	check "hand-$name: status reads it as $want" test "$(state_of "$root" | cut -d' ' -f1)" = "$want"
	run_ba --root "$root" --state-dir "$root/state" status
	if [ "$want" = patched ]; then
		expect_rc 0 "hand-$name: status exits 0: Bucardo works with it today"
		contains "$out" "not kept patched" "hand-$name: status says it is not kept patched yet"
	else
		expect_rc 3 "hand-$name: status exits 3: not patched"
	fi
	run_ba --root "$root" --state-dir "$root/state" apply --no-perl-check
	expect_rc 0 "hand-$name: apply exits 0"
	contains "$out" "verified against dpkg (bucardo)" "hand-$name: the reconstructed original is verified against dpkg"
	if [ "$want" = patched ]; then
		contains "$out" "adopted" "hand-$name: apply says it adopted the copy"
		same_file "$pm" "$FIXTURES/hand-$name.pm" "hand-$name: a complete hand edit is left as written"
	elif [ "$name" = slip ]; then
		same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "hand-$name: apply corrects the slip and patches the other statement"
	else
		check "hand-$name: apply finishes the edit" test "$(state_of "$root" | cut -d' ' -f1)" = patched
		check "hand-$name: the statement done by hand is kept as written" 		    grep -q "SELECT aiven_extras.session_replication_role('replica')})" "$pm"
	fi
	check "hand-$name: the copy is on the watch list" grep -q "^/usr/share/perl5/Bucardo.pm" "$root/state/watchlist"
	run_ba --root "$root" --state-dir "$root/state" status
	expect_rc 0 "hand-$name: status exits 0 once adopted"
	check "hand-$name: and no longer says it is not kept patched" sh -c "! printf '%s' \"\$1\" | grep -q 'not kept patched'" _ "$out"
	# An upgrade puts the package's module back; --reapply re-patches it.
	cp "$pristine" "$pm"
	run_ba --root "$root" --state-dir "$root/state" apply --reapply --no-perl-check
	expect_rc 0 "hand-$name: apply --reapply after an upgrade exits 0"
	check "hand-$name: --reapply patched the upgraded module" test "$(state_of "$root" | cut -d' ' -f1)" = patched
	run_ba --root "$root" --state-dir "$root/state" revert
	expect_rc 0 "hand-$name: revert of a verified original needs no --force"
	same_file "$pm" "$pristine" "hand-$name: revert gives back the byte-identical pristine module"
done

# The slip is named: which line, and why.
root=$T/slip-words
pm=$(sandbox "$FIXTURES/hand-slip.pm" "$root")
run_ba --root "$root" --state-dir "$root/state" status -v
contains "$out" "the migration guide's slip" "status -v explains the slip"
run_ba --root "$root" --state-dir "$root/state" apply --no-perl-check
contains "$out" "line 174 corrected" "apply says which line it corrected"

# Nothing records the file: the reconstruction is kept, but revert wants --force.
root=$T/unverified
pm=$(sandbox "$FIXTURES/hand-guide.pm" "$root")
run_ba --root "$root" --state-dir "$root/state" apply --no-perl-check
expect_rc 0 "unverified: apply adopts the copy"
contains "$out" "not verified: no package manager records this file" "unverified: apply says the original is not verified"
run_ba --root "$root" --state-dir "$root/state" revert
expect_rc 1 "unverified: revert refuses without --force"
contains "$errout" "--force" "unverified: and says --force puts it back"
same_file "$pm" "$FIXTURES/hand-guide.pm" "unverified: the refused revert wrote nothing"
run_ba --root "$root" --state-dir "$root/state" revert --force
expect_rc 0 "unverified: revert --force puts the reconstruction back"
check "unverified: the reconstruction is pristine by the rules" test "$(state_of "$root" | cut -d' ' -f1)" = pristine

# dpkg records other content than any reading of the edit: say so, point to the package.
root=$(dpkg_root otherwise "$FIXTURES/hand-guide.pm")
echo "# a line the package does not have" >>"$root/usr/share/perl5/Bucardo.pm"
run_ba --root "$root" --state-dir "$root/state" apply --no-perl-check
contains "$out" "changed more than the statements" "edited beyond the statements: apply says so"
contains "$out" "apt-get install --reinstall bucardo" "edited beyond the statements: apply names the reinstall command"

# Locally modified: the statements under an added condition.
root=$(dpkg_root modified "$FIXTURES/modified-role.pm")
run_ba --root "$root" --state-dir "$root/state" status
expect_rc 3 "modified: status does not exit 0"
contains "$out" "modified" "modified: status names the state"
contains "$out" "if (\$db->{role} eq 'source')" "modified: status says what differs"
check "modified: JSON state is modified" test "$(state_of "$root" | cut -d' ' -f1)" = modified
cp "$FIXTURES/bucardo-5.6.pm" "$T/mod-pristine.pm"
python3 - "$T/mod-pristine.pm" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
old = "        $dbh->do(q{SET session_replication_role = 'replica'});\n"
s = s.replace(old, "        if ($db->{role} eq 'source') {\n    " + old + "        }\n", 1)
open(p, "w").write(s)
EOF
root=$T/modified-pristine
pm=$(sandbox "$T/mod-pristine.pm" "$root")
run_ba --root "$root" --state-dir "$root/state" apply --no-perl-check
expect_rc 0 "modified: apply still rewrites when asked"
contains "$out" "may not take effect" "modified: apply says the result may not take effect"
check "modified: the statements were rewritten" grep -q "aiven_extras.session_replication_role('replica')" "$pm"
check "modified: still modified after apply" test "$(state_of "$root" | cut -d' ' -f1)" = modified

# A statement modifier is a change too; the releases' own code is not.
sed "s/\(\$dbh->do(q{SET session_replication_role = 'replica'})\);/\1 if \$db->{role} eq 'source';/" \
    "$pristine" >"$T/postfix.pm"
root=$T/postfix
sandbox "$T/postfix.pm" "$root" >/dev/null
check "a statement modifier makes the copy modified" test "$(state_of "$root" | cut -d' ' -f1)" = modified
for f in "$FIXTURES"/bucardo-5.*.pm "$FIXTURES"/bucardo-4.99.pm /usr/share/perl5/Bucardo.pm; do
	[ -f "$f" ] || continue
	root=$T/plain-$(basename "$f" .pm)
	sandbox "$f" "$root" >/dev/null
	check "$(basename "$f"): not modified" test "$(state_of "$root" | cut -d' ' -f1)" = pristine
done

# Debian's real module, with a copy of the package's md5sums in the root:
# patched by hand the way the guide says (each line replaced whole), then
# adopted and verified, re-patched after an upgrade, reverted byte for byte.
real=/usr/share/perl5/Bucardo.pm sums=/var/lib/dpkg/info/bucardo.md5sums
if [ -f "$real" ] && [ -f "$sums" ] && grep -q ' usr/share/perl5/Bucardo.pm$' "$sums"; then
	root=$T/debian
	pm=$(sandbox "$real" "$root")
	mkdir -p "$root/var/lib/dpkg/info"
	cp "$sums" "$root/var/lib/dpkg/info/bucardo.md5sums"
	sed -i \
	    -e "s/^\( *\)\$dbh->do(q{SET session_replication_role = 'replica'});.*/\1\$dbh->do(q{select aiven_extras.session_replication_role('replica');});/" \
	    -e "s/^\( *\)\$dbh->do(q{SET session_replication_role = default});.*/\1\$dbh->do(q{select aiven_extras.session_replication_role('origin');});/" \
	    "$pm"
	check "debian: the hand edit took (two lines differ)" test "$(diff "$real" "$pm" | grep -c '^>')" = 2
	run_ba --root "$root" --state-dir "$root/state" apply --no-perl-check
	expect_rc 0 "debian: apply on the hand-patched module exits 0"
	contains "$out" "adopted" "debian: the hand-patched module is adopted"
	contains "$out" "verified against dpkg (bucardo)" "debian: its original is verified against the package's md5sums"
	run_ba --root "$root" --state-dir "$root/state" history
	contains "$out" "adopt" "debian: the history records the adoption"
	cp "$real" "$pm"
	run_ba --root "$root" --state-dir "$root/state" apply --reapply --no-perl-check
	expect_rc 0 "debian: apply --reapply after the upgrade exits 0"
	check "debian: the upgraded module is patched again" test "$(state_of "$root" | cut -d' ' -f1)" = patched
	run_ba --root "$root" --state-dir "$root/state" revert
	expect_rc 0 "debian: revert exits 0"
	same_file "$pm" "$real" "debian: revert gives back Debian's module byte for byte"
else
	skip "debian: adoption of Debian's real module" "the bucardo package is not installed"
fi

done_testing
