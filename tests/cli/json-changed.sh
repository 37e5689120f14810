# json-changed.sh: "changed" in --json, file by file: true for the copy a run
# patched (or would), false for the one it left as it was, whatever the
# envelope says. Ansible's module and other automation read it per file.
. "$(dirname "$0")/../lib/tap.sh"

# changed_of PATH: "changed" of PATH's entry in the last document ($T/.out).
changed_of() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join(str(f["changed"]).lower() for f in d["files"] if f["path"] == sys.argv[2]) or "absent")' \
	    "$T/.out" "$1"
}

root=$T/root
one=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
two=$root/usr/local/share/perl/5.36.0/Bucardo.pm
mkdir -p "$(dirname "$two")"
cp "$FIXTURES/bucardo-5.4.pm" "$two"

run_ba --root "$root" --json apply --no-perl-check "$two"
expect_rc 0 "apply the second copy alone"
check "its file entry: changed true" test "$(changed_of "$two")" = true

run_ba --root "$root" --json apply --no-perl-check --check "$one" "$two"
expect_rc 0 "apply --check on both"
check "--check: the pristine copy would change (changed true)" test "$(changed_of "$one")" = true
check "--check: the patched copy would not (changed false)" test "$(changed_of "$two")" = false
same_file "$one" "$FIXTURES/bucardo-5.6.pm" "--check wrote nothing"

run_ba --root "$root" --json apply --no-perl-check "$one" "$two"
expect_rc 0 "apply on both"
check "the envelope says changed" \
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["changed"] is True' "$T/.out"
check "the copy it patched: changed true" test "$(changed_of "$one")" = true
check "the copy already patched: changed false, though the run changed something" \
    test "$(changed_of "$two")" = false

run_ba --root "$root" --json apply --no-perl-check "$one" "$two"
expect_rc 0 "apply again"
check "nothing to do: both changed false" test "$(changed_of "$one") $(changed_of "$two")" = "false false"

run_ba --root "$root" --json revert "$one"
expect_rc 0 "revert the first copy"
check "revert: the copy put back: changed true" test "$(changed_of "$one")" = true

done_testing
