# verdicts.sh: apply's own checks on the rewritten file decide: a result the
# re-scan does not judge patched in the form asked for, or one perl -c
# rejects while the original compiles, is never written. Rules in a --rules
# DIR written here make each fault; the module stays byte for byte.
. "$(dirname "$0")/../lib/tap.sh"

# rules_with DIR PYTHON: DIR holds patches/*.rules, with the 5.4 layout's
# file changed by the python expression PYTHON on its text (bytes, t).
rules_with() {
	mkdir -p "$1"
	cp "$SRCDIR"/patches/*.rules "$1/"
	python3 - "$1/10-bucardo-5.4.rules" "$2" <<'PY'
import re, sys
path, expr = sys.argv[1], sys.argv[2]
t = open(path, 'rb').read()
new = eval(expr)
assert new != t, 'the rules did not change'
open(path, 'wb').write(new)
PY
	chmod 755 "$1"
	chmod 644 "$1"/*.rules
}

# no_temps DIR: no temporary file of ours is left in DIR.
no_temps() {
	! ls -A "$1" | grep -q 'bucardo-aiven\.'
}

# The re-scan. disable_triggers' guarded form made the same as its plain
# one: the rewrite asked for the guarded form reads back as plain, the form
# the re-scan matches first.
rules_with "$T/same-forms" \
    "re.sub(rb'^guarded\\t\\t.*\\n', b\"guarded\\t\\tselect {function}('replica');\\n\", t, count=1, flags=re.M)"
root=$T/rescan
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" --rules "$T/same-forms" apply --no-perl-check --form guarded --check "$pm"
expect_rc 1 "re-scan: apply --check refuses a rewrite that reads back in another form"
contains "$errout" "internal check failed" "re-scan: it says the internal check failed"
contains "$errout" "not the guarded form asked for" "re-scan: and why: the form is not the one asked for"
run_ba --root "$root" --rules "$T/same-forms" apply --no-perl-check --form guarded "$pm"
expect_rc 1 "re-scan: apply refuses it too"
contains "$errout" "nothing written" "re-scan: saying nothing was written"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "re-scan: the module is byte for byte as it was"
check "re-scan: no temporary file is left beside it" no_temps "$root/usr/share/perl5"
run_ba --root "$root" --rules "$T/same-forms" apply --no-perl-check "$pm"
expect_rc 0 "re-scan: the same rules in the plain form (which reads back as asked) are written"

# perl -c. The plain form of disable_triggers ends in an SQL comment holding
# bytes that are not UTF-8: the SQL is still the call (the re-scan judges it
# patched), but the fixture says `use utf8`, and perl refuses malformed UTF-8
# in its source. The original compiles.
root=$T/probe
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
run_ba --root "$root" --json apply "$pm"
perl_ran=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0].get("perl_check"))' "$T/.out" 2>/dev/null)
if [ "$perl_ran" != passed ]; then
	skip "perl -c: a result perl rejects is not written" "perl -c does not run here ($perl_ran): $(head -c 300 "$T/.out")"
else
	rules_with "$T/bad-utf8" \
	    "t.replace(b\"becomes\\t\\tselect {function}('replica');\", b\"becomes\\t\\tselect {function}('replica'); -- \\xff\\xfe\", 1)"
	root=$T/perl
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
	run_ba --root "$root" --rules "$T/bad-utf8" apply --check "$pm"
	expect_rc 0 "perl -c: the structural checks pass (apply --check, which runs no perl)"
	run_ba --root "$root" --rules "$T/bad-utf8" --json apply "$pm"
	expect_rc 1 "perl -c: apply refuses a result that does not compile"
	check "perl -c: the JSON says why: it does not compile although the original does" \
	    python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["files"][0]; assert f["failed"] and "does not compile although the original does" in f["error"], f' "$T/.out"
	same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "perl -c: the module is byte for byte as it was"
	check "perl -c: no temporary file is left beside it" no_temps "$root/usr/share/perl5"
	check "perl -c: the original still compiles (the fault is the result's alone)" perl -c "$pm"
	run_ba --root "$root" --rules "$T/bad-utf8" apply --no-perl-check "$pm"
	expect_rc 0 "perl -c: with --no-perl-check the same rules are written (the control)"
	check "perl -c: and that result indeed does not compile" sh -c "! perl -c '$pm' 2>/dev/null"
fi

done_testing
