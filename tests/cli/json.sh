# json.sh: one valid JSON document per run, with honest "changed" for automation.
. "$(dirname "$0")/../lib/tap.sh"

j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $1" "$T/.out"; }

root=$T/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" --json apply --check --diff "$pm"
check "apply --check --json: changed true, check_mode true" j 'assert d["changed"] is True and d["check_mode"] is True'
check "per-file entry with path, state, version, active, diff" \
	j 'f=d["files"][0]; assert f["path"] and f["state"] == "pristine" and f["version"] == "5.6.0" and "active" in f and f["diff"].startswith("---")'
check "statements listed with sub, line, before and after" \
	j 's=d["files"][0]["statements"]; assert [x["sub"] for x in s] == ["disable_triggers","enable_triggers"] and "aiven_extras" in s[0]["after"]'
run_ba --root "$root" --json apply "$pm"
check "apply --json: changed true" j 'assert d["changed"] is True and d["files"][0]["state_after"] == "patched"'
run_ba --root "$root" --json apply "$pm"
check "second apply --json: changed false" j 'assert d["changed"] is False and d["files"][0]["action"] == "already patched"'
run_ba --root "$root" --json -q apply "$pm"
check "--json is printed even with -q" j 'assert d["command"] == "apply"'
run_ba --root "$root" -q apply "$pm"
check "-q prints nothing on success" test -z "$out$errout"

pm=$(sandbox "$FIXTURES/twice-enable.pm" "$T/bad")
run_ba --root "$T/bad" --json apply "$pm"
expect_rc 1 "apply --json on a bad file exits 1"
check "the JSON says failed, with the error" j 'f=d["files"][0]; assert d["failed"] is True and f["failed"] is True and "expected exactly one" in f["error"]'
contains "$errout" "bucardo-aiven: $pm:" "the error is on stderr too"

run_ba --root "$T/bad" --json status "$pm"
check "status --json is valid JSON" j 'assert d["command"] == "status" and d["files"][0]["state"] == "unsupported"'

mkdir -p "$T/empty"
run_ba --root "$T/empty" --json apply
expect_rc 1 "apply --json with no copy found exits 1"
check "a run-level failure is in the JSON too" j 'assert d["failed"] is True and "no Bucardo.pm found" in d["error"]'

pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$T/fn")
run_ba --root "$T/fn" apply --function ext.srr "$pm"
run_ba --root "$T/fn" --json status --function ext.srr "$pm"
expect_rc 0 "status --function judges a copy patched for that function as patched"
check "its state is patched" j 'assert d["files"][0]["state"] == "patched"'

done_testing
