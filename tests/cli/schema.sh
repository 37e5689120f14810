# schema.sh: the JSON interface. Every command, and every way a run can end
# (a usage error, an unknown option, --version), prints one JSON object in
# the shared envelope; done_testing checks each against the schema. And
# Puppet's --detailed-exitcodes: 0, 2, 4 and 6.
. "$(dirname "$0")/../lib/tap.sh"

schema=$SRCDIR/schema/bucardo-aiven.schema.json
version=$("$BA" --version | cut -d' ' -f2)

# envelope NAME [PYTHON]: the last document is one object with the envelope's
# keys, this tool's version, format_version 1, and PYTHON's assertion on d.
envelope() {
	check "$1" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert isinstance(d, dict), d
for k in ("format_version", "version", "command", "changed", "check_mode", "failed", "error", "warnings"):
    assert k in d, k
assert d["format_version"] == 1 and d["version"] == sys.argv[2], d
'"${2:-}" "$out" "$version"
}

root=$T/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
mkdir -p "$root/etc/apt/apt.conf.d" "$root/usr/sbin"
cp "$BUCARDO_AIVEN" "$root/usr/sbin/bucardo-aiven"
st=(--root "$root" --state-dir "$root/state")

run_ba "${st[@]}" --json status
envelope "status: the envelope" 'assert d["command"] == "status"'
run_ba "${st[@]}" --json apply --check --diff --no-perl-check
envelope "apply --check: the envelope, check_mode true" 'assert d["check_mode"] is True and d["changed"] is True'
run_ba "${st[@]}" --json apply --no-perl-check
envelope "apply: the envelope, changed true" 'assert d["changed"] is True and d["failed"] is False'
run_ba "${st[@]}" --json history
envelope "history: the envelope and its events" 'assert d["events"]'
run_ba "${st[@]}" --json revert --check
envelope "revert --check: the envelope, the same keys as status" 'assert "files" in d and "searched" in d'
run_ba "${st[@]}" --json revert
envelope "revert: the envelope" 'assert d["changed"] is True'
run_ba "${st[@]}" --json hook install --binary /usr/sbin/bucardo-aiven
envelope "hook install: a document, not text" 'assert d["action"] == "install" and d["installed"] and d["changed"]'
run_ba "${st[@]}" --json hook install --binary /usr/sbin/bucardo-aiven
envelope "hook install again: changed false" 'assert d["changed"] is False'
run_ba "${st[@]}" --json hook status
envelope "hook status: a document" 'assert d["installed"] is True'
run_ba "${st[@]}" --json hook remove
envelope "hook remove: a document, changed" 'assert d["installed"] is False and d["changed"] is True'
run_ba "${st[@]}" --json check-db "host=127.0.0.1 port=1 dbname=x connect_timeout=1"
envelope "check-db: the envelope" 'assert d["command"] == "check-db" and d["ready"] is False'

# Runs that end before their command prints: still one document.
run_ba --json --no-such-option status
expect_rc 64 "an unknown option: exit 64"
envelope "an unknown option: a document saying why" 'assert d["failed"] and "--no-such-option" in d["error"] and d["exit_status"] == 64'
run_ba --json no-such-command
envelope "an unknown command: a document" 'assert d["failed"] and d["exit_status"] == 64'
run_ba --json
envelope "no command: a document" 'assert d["failed"] and d["exit_status"] == 64'
run_ba --json status --force
envelope "an option the command does not take: a document" 'assert d["command"] == "status" and d["failed"]'
run_ba --json history a b
envelope "history with two files: a document" 'assert d["command"] == "history" and d["failed"]'
run_ba --json hook frob
envelope "hook with an unknown action: a document" 'assert d["failed"] and d["exit_status"] == 64'
run_ba --json --version
envelope "--version: a document" 'assert d["command"] == "version" and not d["failed"]'
run_ba --json check-db "host=127.0.0.1 port=notaport"
envelope "check-db with a conninfo libpq refuses: a document" 'assert d["failed"] and d["exit_status"] == 64'

# The check can fail: a document without format_version does not pass.
check "the schema itself is a valid draft-07 schema, and rejects a bad document" \
    /usr/bin/python3 -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(s)
doc = {"version": "0.1.0", "command": "status", "changed": False, "check_mode": False,
       "failed": False, "error": None, "warnings": []}
assert list(jsonschema.Draft7Validator(s).iter_errors(doc)), "a document without format_version passed"
doc["format_version"] = 1
doc["files"] = [{"path": "/x", "state": "frobbed"}]
assert list(jsonschema.Draft7Validator(s).iter_errors(doc)), "an unknown state passed"
' "$schema"

# --detailed-exitcodes: Puppet's codes. Two copies; one the tool patched, one
# patched by hand that no package manager can verify: revert restores the
# first and refuses the second (6); again, it only refuses (4).
root=$T/two
a=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
b=$root/usr/local/share/perl/5.36.0/Bucardo.pm
mkdir -p "$(dirname "$b")"
cp "$FIXTURES/hand-guide.pm" "$b"
run_ba --root "$root" apply --no-perl-check "$a" "$b"
expect_rc 0 "two copies: apply patches one and adopts the other"
run_ba --root "$root" revert "$a" "$b"
expect_rc 1 "revert, one restored and one refused: exit 1 without the option"
run_ba --root "$root" apply --no-perl-check "$a"
run_ba --root "$root" revert --detailed-exitcodes "$a" "$b"
expect_rc 6 "revert --detailed-exitcodes, one restored and one refused: 6"
run_ba --root "$root" revert --detailed-exitcodes "$b"
expect_rc 4 "revert --detailed-exitcodes, only refused: 4"
run_ba --root "$root" revert --detailed-exitcodes "$a"
expect_rc 0 "revert --detailed-exitcodes, nothing to do: 0"
run_ba --root "$root" apply --detailed-exitcodes --no-perl-check "$a"
expect_rc 2 "apply --detailed-exitcodes, changed: 2"
cp "$FIXTURES/empty.pm" "$root/empty.pm"
run_ba --root "$root" apply --detailed-exitcodes --no-perl-check "$root/empty.pm"
expect_rc 4 "apply --detailed-exitcodes, a copy refused and nothing changed: 4"
run_ba --root "$root" apply --no-perl-check "$root/empty.pm"
expect_rc 1 "apply without the option, the same refusal: 1"
run_ba --root "$root" apply --detailed-exitcodes --no-perl-check --no-such-option
expect_rc 64 "apply --detailed-exitcodes, a usage error: 64"
run_ba --root "$root" --json revert --detailed-exitcodes "$a" "$b"
expect_rc 6 "revert --detailed-exitcodes --json: 6"
envelope "revert 6 under --json: changed and failed both true" 'assert d["failed"] is True and d["changed"] is True'

done_testing
