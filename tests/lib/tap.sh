# tests/lib/tap.sh: TAP helpers for the shell tests, sourced by each script.
# Every script works under its own temporary directory ($T) and removes it.
set -u

: "${BUCARDO_AIVEN:?set BUCARDO_AIVEN to the built binary}"
: "${FIXTURES:?set FIXTURES to the fixtures directory}"
BA=$BUCARDO_AIVEN
T=$(mktemp -d "${TMPDIR:-/tmp}/ba-test.XXXXXX")
# Runs without a terminal log to syslog; the tests must not write into the
# host's logs (tests/cli/syslog.sh checks the logging on a socket of its own).
export BUCARDO_AIVEN_SYSLOG=0
chmod 755 "$T"

# BA_WRAPPER: a command line every run of the tool goes through, e.g.
# "valgrind -q --error-exitcode=99 ..." (tools/test-sanitizers). $BA becomes
# a script running "$BA_WRAPPER $BUCARDO_AIVEN ARGS", so run_ba and the
# scripts' direct "$BA" calls (runuser included) are all covered. The wrapper
# exits 99 when it finds an error; such runs are noted and done_testing fails.
if [ -n "${BA_WRAPPER:-}" ]; then
	: >"$T/.wrapper-failures"
	chmod 666 "$T/.wrapper-failures"
	printf '#!/bin/bash\n%s %q "$@"\nrc=$?\n[ $rc = 99 ] && echo "exit 99: $*" >>%q\nexit $rc\n' \
	    "$BA_WRAPPER" "$BUCARDO_AIVEN" "$T/.wrapper-failures" >"$T/.ba-wrapped"
	chmod 755 "$T/.ba-wrapped"
	BA=$T/.ba-wrapped
fi
trap 'cleanup_hooks; rm -rf "$T"' EXIT
_tap_n=0
_tap_failed=0
_cleanups=()

# Register a command to run at exit (servers started, mounts made).
at_exit() { _cleanups+=("$1"); }
cleanup_hooks() {
	local c
	for c in "${_cleanups[@]+"${_cleanups[@]}"}"; do eval "$c" || true; done
}

pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	shift
	local line
	for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }

# check NAME COMMAND...: a case passes when COMMAND succeeds.
check() {
	local name=$1; shift
	if "$@" >"$T/.check.out" 2>&1; then pass "$name"
	else fail "$name" "command: $*" "$(head -c 2000 "$T/.check.out")"; fi
}

# run_ba ARGS...: run the tool; sets $rc, $out (stdout), $errout (stderr).
run_ba() {
	"$BA" "$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
	# Every JSON document a test makes is kept, for done_testing to check
	# against the schema (schema/bucardo-aiven.schema.json).
	local a
	for a in "$@"; do
		if [ "$a" = --json ]; then
			mkdir -p "$T/.json-docs"
			cp "$T/.out" "$T/.json-docs/$(date +%s%N).json"
			break
		fi
	done
}

# check_json_docs: every document kept by run_ba matches the JSON schema.
check_json_docs() {
	local schema=${SRCDIR:-}/schema/bucardo-aiven.schema.json
	[ -d "$T/.json-docs" ] || return 0
	# Debian's python3-jsonschema, whatever python3 is first on PATH.
	if [ ! -f "$schema" ] || ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		skip "the JSON documents match the schema" "python3-jsonschema or the schema is missing"
		return 0
	fi
	check "every JSON document this script made matches the schema ($(ls "$T/.json-docs" | wc -l))" \
	    /usr/bin/python3 - "$schema" "$T/.json-docs" <<'PY'
import json, os, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema)
bad = 0
for name in sorted(os.listdir(sys.argv[2])):
    text = open(os.path.join(sys.argv[2], name)).read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print("%s: not JSON (%s): %s" % (name, e, text[:300]))
        bad += 1
        continue
    for err in validator.iter_errors(doc):
        print("%s: %s at %s" % (name, err.message, "/".join(str(p) for p in err.absolute_path)))
        bad += 1
sys.exit(1 if bad else 0)
PY
}

# expect_rc WANT NAME: the last run_ba exited WANT.
expect_rc() {
	if [ "$rc" = "$1" ]; then pass "$2"
	else fail "$2" "exit $rc, wanted $1" "stdout: $(head -c 1500 "$T/.out")" "stderr: $(head -c 1500 "$T/.err")"; fi
}

# same_file A B NAME: byte-identical.
same_file() {
	if cmp -s "$1" "$2"; then pass "$3"
	else fail "$3" "$(diff -u "$1" "$2" | head -40)"; fi
}

# contains HAYSTACK NEEDLE NAME
contains() {
	case "$1" in
	*"$2"*) pass "$3" ;;
	*) fail "$3" "wanted: $2" "got: $(printf '%s' "$1" | head -c 1500)" ;;
	esac
}

# A fresh sandbox root holding a copy of FIXTURE at usr/share/perl5/Bucardo.pm.
# Prints the path of the copy.
sandbox() {
	local fixture=$1 root=${2:-$T/root}
	mkdir -p "$root/usr/share/perl5"
	cp "$fixture" "$root/usr/share/perl5/Bucardo.pm"
	echo "$root/usr/share/perl5/Bucardo.pm"
}

# as_nobody ARGS...: run the tool as user nobody. It runs from a copy in
# $T: the checkout may sit in a directory nobody cannot enter (mktemp -d is
# 0700), and the test is about the files, not about reaching the binary.
as_nobody() {
	if [ ! -x "$T/nobody-bin/bucardo-aiven" ]; then
		mkdir -p "$T/nobody-bin"
		cp "$BUCARDO_AIVEN" "$T/nobody-bin/bucardo-aiven"
		chmod 755 "$T/nobody-bin" "$T/nobody-bin/bucardo-aiven"
	fi
	# shellcheck disable=SC2086
	runuser -u nobody -- ${BA_WRAPPER:-} "$T/nobody-bin/bucardo-aiven" "$@"
}

done_testing() {
	check_json_docs
	if [ -n "${BA_WRAPPER:-}" ]; then
		if [ -s "$T/.wrapper-failures" ]; then
			fail "no errors under BA_WRAPPER" "$(head -c 2000 "$T/.wrapper-failures")"
		else
			pass "no errors under BA_WRAPPER"
		fi
	fi
	echo "1..$_tap_n"
	[ "$_tap_failed" = 0 ]
}
