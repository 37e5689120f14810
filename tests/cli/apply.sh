# apply.sh: every good fixture patched to exactly its expected result; idempotent; --check, --diff, exit codes.
. "$(dirname "$0")/../lib/tap.sh"

for fx in bucardo-5.6.pm bucardo-5.4.pm bucardo-5.3.pm bucardo-5.1.pm bucardo-5.0.pm \
    variants-quoting.pm variants-paren.pm variants-origin.pm crlf.pm bom.pm partial-5.6.pm tabs.pm; do
	root=$T/$fx
	pm=$(sandbox "$FIXTURES/$fx" "$root")
	run_ba --root "$root" apply "$pm"
	expect_rc 0 "$fx: apply exits 0"
	same_file "$pm" "$FIXTURES/expected/$fx" "$fx: result is byte-identical to expected/$fx"
	contains "$out" "$pm: patched" "$fx: says it patched the file"
done

# A module at the top of --root, as in an unpacked release tarball (the
# upstream suite's layout): kept in originals/ itself, and revertible.
root=$T/toplevel
mkdir -p "$root"
cp "$FIXTURES/bucardo-5.6.pm" "$root/Bucardo.pm"
run_ba --root "$root" --state-dir "$T/toplevel-state" apply "$root/Bucardo.pm"
expect_rc 0 "a module at the top of --root: apply exits 0"
same_file "$root/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" "a module at the top of --root: patched"
run_ba --root "$root" --state-dir "$T/toplevel-state" revert "$root/Bucardo.pm"
expect_rc 0 "a module at the top of --root: revert exits 0"
same_file "$root/Bucardo.pm" "$FIXTURES/bucardo-5.6.pm" "a module at the top of --root: reverted to the original"

# A second run changes nothing: no write, no new backup, no new history.
root=$T/again
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply "$pm"
ino=$(stat -c %i "$pm")
commits=$(git --git-dir="$root/var/lib/bucardo-aiven/store.git" rev-list --count HEAD)
backups=$(find "$root/var/lib/bucardo-aiven/originals" -name '*.gz' | wc -l)
run_ba --root "$root" apply --detailed-exitcodes "$pm"
expect_rc 0 "second apply exits 0 even with --detailed-exitcodes (nothing changed)"
contains "$out" "already patched" "second apply says already patched"
check "second apply did not rewrite the file (same inode)" test "$(stat -c %i "$pm")" = "$ino"
check "second apply made no new commit" test "$(git --git-dir="$root/var/lib/bucardo-aiven/store.git" rev-list --count HEAD)" = "$commits"
check "second apply made no new backup" test "$(find "$root/var/lib/bucardo-aiven/originals" -name '*.gz' | wc -l)" = "$backups"
check "one backup and one commit after the first apply" test "$commits/$backups" = "1/1"

# A file already patched, with no record (by hand): adopted, not rewritten.
root=$T/patched
pm=$(sandbox "$FIXTURES/patched-5.6.pm" "$root")
ino=$(stat -c %i "$pm")
run_ba --root "$root" apply --detailed-exitcodes "$pm"
expect_rc 0 "apply on a patched file exits 0, and reports no change to it"
contains "$out" "adopted" "it says the file was adopted"
same_file "$pm" "$FIXTURES/patched-5.6.pm" "patched file left byte-identical"
check "and not rewritten (same inode)" test "$(stat -c %i "$pm")" = "$ino"
check "it is kept patched from now on (watch list)" \
	sh -c "cut -f1 '$root/var/lib/bucardo-aiven/watchlist' | grep -qxF /usr/share/perl5/Bucardo.pm"
commits=$(git --git-dir="$root/var/lib/bucardo-aiven/store.git" rev-list --count HEAD)
run_ba --root "$root" apply "$pm"
check "a second apply records nothing more" \
	test "$(git --git-dir="$root/var/lib/bucardo-aiven/store.git" rev-list --count HEAD)" = "$commits"
run_ba --root "$root" apply --check "$pm"
check "--check on a listed patched file creates nothing" test "$commits" = 1

# --check writes nothing, reports, and --detailed-exitcodes says 2.
root=$T/check
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply --check "$pm"
expect_rc 0 "apply --check exits 0"
contains "$out" "would patch" "apply --check says it would patch"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "apply --check leaves the file untouched"
check "apply --check creates no state directory" test ! -e "$root/var/lib/bucardo-aiven"
run_ba --root "$root" apply --check --detailed-exitcodes "$pm"
expect_rc 2 "apply --check --detailed-exitcodes exits 2 when a change is due"
run_ba --root "$root" apply --detailed-exitcodes "$pm"
expect_rc 2 "apply --detailed-exitcodes exits 2 when it changed something"
run_ba --root "$root" apply --check --detailed-exitcodes "$pm"
expect_rc 0 "apply --check --detailed-exitcodes exits 0 when nothing is due"

# --diff prints a unified diff that patch(1) applies to the original.
root=$T/diff
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply --check --diff "$pm"
expect_rc 0 "apply --check --diff exits 0"
printf '%s\n' "$out" | sed -n '/^--- /,$p' | sed '/would patch/,$d' >"$T/change.diff"
contains "$out" "+        \$dbh->do(q{select aiven_extras.session_replication_role('replica');});" "the diff shows the replica call"
contains "$out" "-            \$dbh->do(q{SET session_replication_role = default}); ## Assumes a sane default!" "the diff shows the removed reset"
mkdir -p "$T/patchdir"; cp "$FIXTURES/bucardo-5.6.pm" "$T/patchdir/x.pm"
check "patch(1) applies the diff and gives the expected file" \
	sh -c "patch -s -o '$T/patchdir/out.pm' '$T/patchdir/x.pm' <'$T/change.diff' && cmp '$T/patchdir/out.pm' '$FIXTURES/expected/bucardo-5.6.pm'"
check "the diff has exactly two removed and two added lines" \
	test "$(grep -c '^-[^-]' "$T/change.diff")/$(grep -c '^+[^+]' "$T/change.diff")" = "2/2"

# --function: another managed service's SECURITY DEFINER function.
root=$T/function
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply --function ext.srr "$pm"
expect_rc 0 "apply --function ext.srr exits 0"
check "the replica call uses the given function" grep -qF "q{select ext.srr('replica');}" "$pm"
check "the origin call uses the given function" grep -qF "q{select ext.srr('origin');}" "$pm"
run_ba --root "$root" apply "$pm"
expect_rc 1 "apply with the default function on a file patched for another refuses"
contains "$errout" "--function ext.srr" "and tells which --function to pass"
run_ba --root "$root" apply --function "x'); drop table t; --" "$pm"
expect_rc 64 "a --function that is not a plain name is a usage error"

# Usage errors.
run_ba frobnicate
expect_rc 64 "unknown command exits 64"
run_ba status --check
expect_rc 64 "an option the command does not take exits 64"
run_ba
expect_rc 64 "no command exits 64"
run_ba --help
expect_rc 0 "--help exits 0"
contains "$out" "apply" "--help lists apply"
run_ba --version
contains "$out" "bucardo-aiven " "--version prints the name and version"

# Not root, with the default state directory: the error says to run it as root.
if [ "$(id -u)" = 0 ] && [ ! -e /var/lib/bucardo-aiven ]; then
	mkdir -p "$T/mine"
	cp "$FIXTURES/bucardo-5.6.pm" "$T/mine/Bucardo.pm"
	chown -R nobody "$T/mine"
	as_nobody apply --no-perl-check "$T/mine/Bucardo.pm" >"$T/.out" 2>"$T/.err"
	rc=$?
	expect_rc 1 "not root, default state directory: exit 1"
	contains "$(cat "$T/.err")" "run it as root" "not root, default state directory: the error says to run it as root"
	check "not root: the default state directory was not created" test ! -e /var/lib/bucardo-aiven
	# A root-owned state directory (the packaged one): run as root, not chown it.
	mkdir -p "$T/rootstate/var/lib/bucardo-aiven"
	chmod 700 "$T/rootstate/var/lib/bucardo-aiven"
	mkdir -p "$T/rootstate/usr/share/perl5"
	cp "$FIXTURES/bucardo-5.6.pm" "$T/rootstate/usr/share/perl5/Bucardo.pm"
	chmod 755 "$T/rootstate"
	as_nobody --root "$T/rootstate" apply --no-perl-check >"$T/.out" 2>"$T/.err"
	rc=$?
	expect_rc 1 "not root, a root-owned state directory: exit 1"
	contains "$(cat "$T/.err")" "run it as root" "not root, a root-owned state directory: the error says to run it as root"
	check "not root, a root-owned state directory: no advice to chown it" \
	    sh -c "! grep -q chown '$T/.err'"
else
	skip "not root, default state directory" "needs root and no /var/lib/bucardo-aiven"
fi

done_testing
