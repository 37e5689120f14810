# forms.sh: the plain and the guarded form of the rewritten statements: each
# layout's default, --form both ways, recognition by status, a stronger form
# kept, revert from either, --reapply writing what was written, and refusals.
. "$(dirname "$0")/../lib/tap.sh"

# form_of ROOT: the "form" status reports for the one copy below ROOT.
form_of() {
	"$BA" --root "$1" --json status | python3 -c \
	    'import json,sys; f=json.load(sys.stdin)["files"][0]; print(f["state"], f["form"])'
}

# 5.0 layout: guarded by default.
root=$T/50
pm=$(sandbox "$FIXTURES/bucardo-5.3.pm" "$root")
run_ba --root "$root" apply --no-perl-check "$pm"
expect_rc 0 "5.0 layout: apply exits 0"
same_file "$pm" "$FIXTURES/expected/bucardo-5.3.pm" "5.0 layout: written in the guarded form by default"
check "5.0 layout: status says patched, guarded" test "$(form_of "$root")" = "patched guarded"
run_ba --root "$root" apply --no-perl-check --detailed-exitcodes "$pm"
expect_rc 0 "5.0 layout: a second apply has nothing to do"
run_ba --root "$root" apply --no-perl-check --form plain --detailed-exitcodes "$pm"
expect_rc 2 "5.0 layout: --form plain rewrites it, and says it changed"
same_file "$pm" "$FIXTURES/expected/plain/bucardo-5.3.pm" "5.0 layout: --form plain gives the plain call"
run_ba --root "$root" revert "$pm"
same_file "$pm" "$FIXTURES/bucardo-5.3.pm" "5.0 layout: revert puts the original back after two forms"

# An earlier release of the tool wrote the plain form into a 5.0 layout:
# apply turns it guarded, and says so.
root=$T/old
pm=$(sandbox "$FIXTURES/patched-5.3-plain.pm" "$root")
check "a 5.0 layout in the plain form: status says patched, plain" test "$(form_of "$root")" = "patched plain"
run_ba --root "$root" apply --no-perl-check --detailed-exitcodes "$pm"
expect_rc 2 "apply turns it guarded (exit 2: changed)"
same_file "$pm" "$FIXTURES/expected/patched-5.3-plain.pm" "and the result is the guarded form"

# 5.4 layout: plain by default, guarded on request, and a guarded one kept.
root=$T/54
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply --no-perl-check --form guarded "$pm"
expect_rc 0 "5.4 layout: apply --form guarded exits 0"
same_file "$pm" "$FIXTURES/expected/guarded/bucardo-5.6.pm" "5.4 layout: both statements in the guarded form"
check "5.4 layout: status says patched, guarded" test "$(form_of "$root")" = "patched guarded"
run_ba --root "$root" apply --no-perl-check --detailed-exitcodes "$pm"
expect_rc 0 "5.4 layout: apply without --form keeps the stronger guarded form"
check "the watch list records the function and the form" \
	grep -qxF "$(printf '/usr/share/perl5/Bucardo.pm\tfunction=aiven_extras.session_replication_role\tform=guarded')" \
	"$root/var/lib/bucardo-aiven/watchlist"
cp "$FIXTURES/bucardo-5.6.pm" "$pm"	# a package upgrade
run_ba --root "$root" apply --reapply --no-perl-check
expect_rc 0 "--reapply after an upgrade exits 0"
same_file "$pm" "$FIXTURES/expected/guarded/bucardo-5.6.pm" "--reapply writes the guarded form again, as recorded"
run_ba --root "$root" apply --no-perl-check --form plain "$pm"
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "--form plain turns it back into the guide's call"

# --reapply with another function recorded: that function, not the default.
root=$T/fn
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply --no-perl-check --function ext.srr "$pm"
cp "$FIXTURES/bucardo-5.6.pm" "$pm"
run_ba --root "$root" apply --reapply --no-perl-check
expect_rc 0 "--reapply of a file patched with --function ext.srr exits 0"
check "and calls ext.srr again, not the default" test "$(grep -c "select ext.srr('" "$pm")" = 2

# Refusals.
root=$T/unqualified
pm=$(sandbox "$FIXTURES/bucardo-5.3.pm" "$root")
run_ba --root "$root" apply --no-perl-check --function srr "$pm"
expect_rc 1 "the guarded form with an unqualified --function is refused"
contains "$errout" "$pm: the guarded form needs a schema-qualified --function" "and says why, naming the file"
same_file "$pm" "$FIXTURES/bucardo-5.3.pm" "and writes nothing"
run_ba --root "$root" apply --no-perl-check --function srr --form plain "$pm"
expect_rc 0 "the plain form takes an unqualified --function"
run_ba --root "$root" apply --form sideways "$pm"
expect_rc 64 "--form with another name is a usage error"
run_ba --root "$root" revert --form plain "$pm"
expect_rc 64 "--form is not a revert option"

# The 4.99 betas.
root=$T/beta
pm=$(sandbox "$FIXTURES/bucardo-4.99.pm" "$root")
run_ba --root "$root" apply --no-perl-check "$pm"
expect_rc 0 "Bucardo 4.99.10 (5.0 layout) is patched"
same_file "$pm" "$FIXTURES/expected/bucardo-4.99.pm" "in the guarded form"
root=$T/early
pm=$(sandbox "$FIXTURES/bucardo-4.99-early.pm" "$root")
run_ba --root "$root" apply --no-perl-check "$pm"
expect_rc 1 "Bucardo 4.99.5 is refused"
contains "$errout" "Bucardo 4.99.5" "naming the version"
contains "$errout" "sub run_kid_custom_code" "and the sub that sets the parameter a second time"
same_file "$pm" "$FIXTURES/bucardo-4.99-early.pm" "and nothing is written"

done_testing
