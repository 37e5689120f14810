# bad-input.sh: every bad input refused with a clear error, exit 1, the file byte-identical.
. "$(dirname "$0")/../lib/tap.sh"

for fx in empty.pm garbage.bin truncated-in-disable.pm missing-disable-statement.pm \
    missing-enable-statement.pm twice-disable.pm twice-enable.pm only-in-pod.pm \
    only-in-comments.pm unknown-function.pm bucardo-4.pm no-subs-5.6.pm duplicate-sub.pm; do
	root=$T/$fx
	pm=$(sandbox "$FIXTURES/$fx" "$root")
	run_ba --root "$root" apply "$pm"
	expect_rc 1 "$fx: apply exits 1"
	contains "$errout" "bucardo-aiven: $pm: " "$fx: error names the file: ${errout%%$'\n'*}"
	contains "$errout" "nothing written" "$fx: error says nothing was written"
	same_file "$pm" "$FIXTURES/$fx" "$fx: file byte-identical"
	check "$fx: no state directory created" test ! -e "$root/var/lib/bucardo-aiven"
	check "$fx: no temporary file left" test "$(ls -A "$root/usr/share/perl5")" = Bucardo.pm
done

root=$T/v4
pm=$(sandbox "$FIXTURES/bucardo-4.pm" "$root")
run_ba --root "$root" apply "$pm"
contains "$errout" "Bucardo 4.5.0" "Bucardo 4 refusal names the version"

# One refused copy stops the run before any copy is written.
root=$T/mixed
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
mkdir -p "$root/usr/local/share/perl/5.36.0"
cp "$FIXTURES/twice-enable.pm" "$root/usr/local/share/perl/5.36.0/Bucardo.pm"
run_ba --root "$root" apply
expect_rc 1 "apply over two copies, one refused, exits 1"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "the good copy is not written either"

run_ba --root "$T" apply "$T/does-not-exist.pm"
expect_rc 1 "missing file exits 1"
contains "$errout" "bucardo-aiven: $T/does-not-exist.pm: " "missing file error names it"

mkdir -p "$T/dir.pm"
run_ba --root "$T" apply "$T/dir.pm"
expect_rc 1 "a directory is refused"

truncate -s 9M "$T/huge.pm"
run_ba --root "$T" apply "$T/huge.pm"
expect_rc 1 "a file over the size limit is refused"
contains "$errout" "limit" "the size error names the limit"

# Permissions: run as an unprivileged user where we can.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
	root=$T/perm
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
	chmod 755 "$root" "$root/usr" "$root/usr/share" "$root/usr/share/perl5"
	chmod 600 "$pm"
	as_nobody --root "$root" --state-dir "$T/nobody-state" apply "$pm" >"$T/o" 2>"$T/e"
	rc=$?
	errout=$(cat "$T/e")
	expect_rc 1 "unreadable file (as nobody): exit 1"
	contains "$errout" "$pm: " "unreadable file error names it: $errout"
	chmod 644 "$pm"
	mkdir -m 700 "$T/nobody-state"; chown nobody "$T/nobody-state"
	as_nobody --root "$root" --state-dir "$T/nobody-state" apply --no-perl-check "$pm" >"$T/o" 2>"$T/e"
	rc=$?
	errout=$(cat "$T/e")
	expect_rc 1 "read-only directory (as nobody): exit 1"
	contains "$errout" "$pm" "read-only directory error names the file: $errout"
	same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "read-only directory: file byte-identical"
else
	skip "unreadable file" "needs root and runuser"
	skip "read-only directory" "needs root and runuser"
fi

# A state directory that cannot be written: its parent is a regular file.
root=$T/state
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
touch "$T/not-a-dir"
run_ba --root "$root" --state-dir "$T/not-a-dir/state" apply "$pm"
expect_rc 1 "unwritable state directory: exit 1"
contains "$errout" "$T/not-a-dir/state" "the error names the state directory"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "unwritable state directory: file byte-identical"

# A state directory others may write to is refused: they could plant a "backup".
root=$T/loose
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
mkdir -p "$T/loose-state"; chmod 777 "$T/loose-state"
run_ba --root "$root" --state-dir "$T/loose-state" apply "$pm"
expect_rc 1 "world-writable state directory refused"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "world-writable state directory: file byte-identical"

done_testing
