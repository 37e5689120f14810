# discover.sh: every copy found once, under --root, in the places packages and CPAN use.
. "$(dirname "$0")/../lib/tap.sh"

root=$T/root
for d in usr/share/perl5 usr/local/share/perl/5.36.0 usr/share/perl5/vendor_perl \
    usr/local/share/perl5/5.32 root/perl5/lib/perl5; do
	mkdir -p "$root/$d"
	cp "$FIXTURES/bucardo-5.6.pm" "$root/$d/Bucardo.pm"
done
mkdir -p "$root/usr/lib/x86_64-linux-gnu/perl5/5.36"
ln -s ../../../../share/perl5/Bucardo.pm "$root/usr/lib/x86_64-linux-gnu/perl5/5.36/Bucardo.pm"

run_ba --root "$root" --json status
check "five distinct copies found (the symlink counted once)" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["files"]) == 5, [f["path"] for f in d["files"]]' "$T/.out"
for d in usr/share/perl5 usr/local/share/perl/5.36.0 usr/share/perl5/vendor_perl usr/local/share/perl5/5.32 root/perl5/lib/perl5; do
	contains "$out" "\"$root/$d/Bucardo.pm\"" "found $d/Bucardo.pm"
done
check "exactly one copy is active" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[f["path"] for f in d["files"] if f["active"]]; assert a == [sys.argv[2]], a' \
	"$T/.out" "$root/usr/local/share/perl/5.36.0/Bucardo.pm"

run_ba --root "$root" apply
expect_rc 0 "apply patches every copy"
for d in usr/share/perl5 usr/local/share/perl/5.36.0 usr/share/perl5/vendor_perl usr/local/share/perl5/5.32 root/perl5/lib/perl5; do
	same_file "$root/$d/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" "$d copy patched"
done
check "the symlink is still a symlink" test -L "$root/usr/lib/x86_64-linux-gnu/perl5/5.36/Bucardo.pm"

# A link pointing outside the root is resolved inside it, as in a chroot.
root=$T/abs
mkdir -p "$root/usr/share/perl5" "$root/opt/b"
cp "$FIXTURES/bucardo-5.6.pm" "$root/opt/b/Bucardo.pm"
ln -s /opt/b/Bucardo.pm "$root/usr/share/perl5/Bucardo.pm"
run_ba --root "$root" --json status
check "an absolute link is followed inside the root" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [f["path"] for f in d["files"]] == [sys.argv[2]], d["files"]' \
	"$T/.out" "$root/opt/b/Bucardo.pm"

# On the live system (no --root) the perl on PATH is asked; PERL5LIB counts.
mkdir -p "$T/lib" "$T/bin"
cp "$FIXTURES/bucardo-5.6.pm" "$T/lib/Bucardo.pm"
printf '#!/usr/bin/env perl\nprint "fake bucardo\\n";\n' >"$T/bin/bucardo"
chmod +x "$T/bin/bucardo"
PATH="$T/bin:$PATH" PERL5LIB="$T/lib" "$BA" --json status >"$T/.out" 2>"$T/.err"
check "with PERL5LIB set, its copy is the active one" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[f["path"] for f in d["files"] if f["active"]]; assert a == [sys.argv[2]], a' \
	"$T/.out" "$T/lib/Bucardo.pm"
PATH="$T/bin:$PATH" PERL5LIB="$T/lib" "$BA" status "$T/lib/Bucardo.pm" >"$T/.out" 2>"$T/.err"
contains "$(cat "$T/.out")" "active" "status FILE also says whether FILE is the active copy"

# PERL5OPT would make the perl asked for @INC run code (as root): it is dropped.
PATH="$T/bin:$PATH" PERL5LIB="$T/lib" PERL5OPT="-MNo::Such::Module" "$BA" --json status >"$T/.out" 2>"$T/.err"
check "PERL5OPT does not reach the perl asked for @INC" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[f["path"] for f in d["files"] if f["active"]]; assert a == [sys.argv[2]], a' \
	"$T/.out" "$T/lib/Bucardo.pm"

done_testing
