# revert.sh: the original comes back only when the file is what the tool wrote, unless --force.
. "$(dirname "$0")/../lib/tap.sh"

root=$T/basic
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply "$pm"
run_ba --root "$root" revert --check "$pm"
expect_rc 0 "revert --check exits 0"
contains "$out" "would revert" "revert --check says it would revert"
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "revert --check writes nothing"
run_ba --root "$root" revert --diff "$pm"
expect_rc 0 "revert exits 0"
contains "$out" "-        \$dbh->do(q{select aiven_extras.session_replication_role('replica');});" "revert --diff shows the change"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "revert restores the original byte for byte"
run_ba --root "$root" revert --detailed-exitcodes "$pm"
expect_rc 0 "a second revert changes nothing and exits 0"
contains "$out" "already original" "a second revert says the file is already the original"

# A partial file is half a hand edit: its original is reconstructed. With no
# package manager to confirm it, revert puts it back only with --force.
root=$T/partial
pm=$(sandbox "$FIXTURES/partial-5.6.pm" "$root")
run_ba --root "$root" apply "$pm"
run_ba --root "$root" revert "$pm"
expect_rc 1 "revert refuses an original reconstructed from a hand edit and not verified"
contains "$errout" "--force" "and says --force puts it back anyway"
same_file "$pm" "$FIXTURES/expected/partial-5.6.pm" "and leaves the file patched"
run_ba --root "$root" revert --force "$pm"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "revert --force gives back the reconstructed pristine file"

# A file changed since the tool wrote it is not reverted without --force.
root=$T/edited
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply "$pm"
printf '# local edit\n' >>"$pm"
cp "$pm" "$T/edited.copy"
run_ba --root "$root" revert "$pm"
expect_rc 1 "revert of an edited file exits 1"
contains "$errout" "bucardo-aiven: $pm: the file is not what bucardo-aiven wrote" "and says why"
contains "$errout" "--force" "and how to override"
same_file "$pm" "$T/edited.copy" "the edited file is untouched"
run_ba --root "$root" revert --force "$pm"
expect_rc 0 "revert --force exits 0"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "revert --force restores the original"

# After a package upgrade (a new pristine file), apply records the new original.
root=$T/upgrade
pm=$(sandbox "$FIXTURES/bucardo-5.4.pm" "$root")
run_ba --root "$root" apply "$pm"
cp "$FIXTURES/bucardo-5.6.pm" "$pm"
run_ba --root "$root" apply "$pm"
expect_rc 0 "apply after an upgrade replaced the file"
run_ba --root "$root" revert "$pm"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "revert restores the newest original (5.6), not the first (5.4)"

pm=$(sandbox "$FIXTURES/patched-5.6.pm" "$T/nostore")
run_ba --root "$T/nostore" revert "$pm"
expect_rc 1 "revert of a patched file with no backup store exits 1"
contains "$errout" "holds no backup of it" "and says there is no backup of it"
check "and the JSON says why the run failed" sh -c "'$BA' --root '$T/nostore' --json revert '$pm' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"failed\"] and \"holds no backup\" in d[\"files\"][0][\"error\"]'"
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$T/nostore2")
run_ba --root "$T/nostore2" revert
expect_rc 0 "revert where nothing was ever applied, on a pristine copy, exits 0 (idempotent)"
contains "$out" "nothing to revert" "and says there is nothing to revert"

root=$T/unknown
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
mkdir -p "$root/opt/other"
cp "$FIXTURES/bucardo-5.4.pm" "$root/opt/other/Bucardo.pm"
pm2=$root/opt/other/Bucardo.pm
run_ba --root "$root" apply "$pm"
run_ba --root "$root" revert "$pm2"
expect_rc 1 "revert of a file the store never saw exits 1"
contains "$errout" "holds no original" "and says the store holds no original of it"

# Without FILE, revert puts back every copy it patched and leaves the others.
root=$T/discovered
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" apply "$pm"
mkdir -p "$root/usr/local/share/perl/5.36.0"
cp "$FIXTURES/bucardo-5.4.pm" "$root/usr/local/share/perl/5.36.0/Bucardo.pm"
run_ba --root "$root" revert
expect_rc 0 "revert without FILE exits 0 when one copy was never patched"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "the patched copy is reverted"
same_file "$root/usr/local/share/perl/5.36.0/Bucardo.pm" "$FIXTURES/bucardo-5.4.pm" "the other copy is left alone"
contains "$out" "never patched" "and the output says so"

done_testing
