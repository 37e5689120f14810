# real-module.sh: Debian's own Bucardo.pm (package bucardo), copied under a temporary root.
. "$(dirname "$0")/../lib/tap.sh"

real=/usr/share/perl5/Bucardo.pm
if [ ! -f "$real" ]; then
	skip "Debian's Bucardo.pm" "package bucardo is not installed (tools/test installs it)"
	done_testing
	exit
fi
before=$(sha256sum "$real")
root=$T/root
pm=$(sandbox "$real" "$root")

run_ba --root "$root" --json apply "$pm"
expect_rc 0 "apply on the real module exits 0"
check "the JSON says changed" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["changed"] is True' "$T/.out"
check "perl -c passed on the result" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["files"][0]["perl_check"] == "passed", d["files"][0]' "$T/.out"
diff "$real" "$pm" >"$T/d"
check "exactly two lines changed" test "$(grep -c '^<' "$T/d")/$(grep -c '^>' "$T/d")" = "2/2"
check "the replica statement is what the migration guide asks for" \
	grep -qxF "        \$dbh->do(q{select aiven_extras.session_replication_role('replica');});" "$pm"
check "the origin statement is what the migration guide asks for, comment kept" \
	grep -qxF "            \$dbh->do(q{select aiven_extras.session_replication_role('origin');}); ## Assumes a sane default!" "$pm"
check "the comment mentioning session_replication_role is untouched" \
	grep -qF "## XXX Should probably reset session_replication_role" "$pm"
check "no SET session_replication_role left in code" test "$(sed '/^__END__/,$d' "$pm" | grep -c 'SET session_replication_role')" = 0
check "perl -c passes on the result" perl -c "$pm"

run_ba --root "$root" --json apply "$pm"
expect_rc 0 "second apply exits 0"
check "second apply reports changed false" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["changed"] is False' "$T/.out"

run_ba --root "$root" revert "$pm"
expect_rc 0 "revert exits 0"
same_file "$pm" "$real" "revert gives back a byte-identical file"
check "the machine's own Bucardo.pm was not touched" test "$(sha256sum "$real")" = "$before"

run_ba --root "$root" status
expect_rc 3 "status after revert: not patched (exit 3)"
contains "$out" "5.6.0" "status shows the version"

done_testing
