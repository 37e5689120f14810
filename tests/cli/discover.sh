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

# Each distribution's trees, under --root: every copy found, the first in
# that distribution's @INC order active. tree NAME DIR...: DIRs in its order.
tree() {
	local name=$1 d first paths=()
	shift
	root=$T/tree-$name
	for d in "$@"; do
		mkdir -p "$root/$d"
		cp "$FIXTURES/bucardo-5.6.pm" "$root/$d/Bucardo.pm"
		paths+=("$root/$d/Bucardo.pm")
	done
	first=$root/$1/Bucardo.pm
	run_ba --root "$root" --json status
	check "$name: $# copies found, $1 active" \
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
paths=sorted(f["path"] for f in d["files"])
want=sorted(sys.argv[3:])
assert paths == want, (paths, want)
a=[f["path"] for f in d["files"] if f["active"]]
assert a == [sys.argv[2]], a' "$T/.out" "$first" "${paths[@]}"
}
tree alpine usr/local/share/perl5/site_perl usr/share/perl5/vendor_perl
tree alpine-arch usr/local/lib/perl5/site_perl usr/local/share/perl5/site_perl usr/lib/perl5/vendor_perl
tree arch usr/share/perl5/site_perl usr/lib/perl5/5.38/vendor_perl usr/share/perl5/vendor_perl
tree arch-site usr/lib/perl5/5.38/site_perl usr/share/perl5/site_perl
tree opensuse usr/lib/perl5/site_perl/5.36.0 usr/lib/perl5/vendor_perl/5.36.0
tree freebsd usr/local/lib/perl5/site_perl/mach/5.36 usr/local/lib/perl5/site_perl
tree homes usr/share/perl5 home/svc/perl5/perlbrew/perls/perl-5.38.0/lib/site_perl/5.38.0 \
	root/perl5/perlbrew/perls/perl-5.36.0/lib/site_perl/5.36.0 \
	opt/perlbrew/perls/perl-5.38.0/lib/site_perl/5.38.0 \
	home/svc/.plenv/versions/5.38.0/lib/perl5/site_perl/5.38.0 home/svc/perl5/lib/perl5
contains "$(cat "$T/.out")" '"warnings":[' "JSON has a warnings array"

# $PERLBREW_ROOT's perls, inside the root; only copies, never active.
root=$T/brew
mkdir -p "$root/srv/pb/perls/perl-5.38.0/lib/site_perl/5.38.0"
cp "$FIXTURES/bucardo-5.6.pm" "$root/srv/pb/perls/perl-5.38.0/lib/site_perl/5.38.0/Bucardo.pm"
PERLBREW_ROOT=/srv/pb run_ba --root "$root" --json status
check "PERLBREW_ROOT: its perls are searched; the copy is not active" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [(f["path"], f["active"]) for f in d["files"]] == [(sys.argv[2], False)], d["files"]' \
	"$T/.out" "$root/srv/pb/perls/perl-5.38.0/lib/site_perl/5.38.0/Bucardo.pm"
run_ba --root "$root" --json status
check "PERLBREW_ROOT unset: that tree is not searched" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["files"] == [], d["files"]' "$T/.out"

# A perlbrew copy another user owns, below /home: shown untrusted, left alone by apply.
if [ "$(id -u)" = 0 ]; then
	root=$T/theirs
	pb=home/svc/perl5/perlbrew/perls/perl-5.38.0/lib/site_perl/5.38.0
	mkdir -p "$root/$pb" "$root/usr/share/perl5"
	cp "$FIXTURES/bucardo-5.6.pm" "$root/$pb/Bucardo.pm"
	cp "$FIXTURES/bucardo-5.6.pm" "$root/usr/share/perl5/Bucardo.pm"
	chown -R nobody: "$root/home/svc"
	run_ba --root "$root" status
	contains "$out" "untrusted" "a home copy another user owns is shown untrusted"
	run_ba --root "$root" apply
	expect_rc 0 "apply patches the packaged copy and leaves theirs"
	same_file "$root/$pb/Bucardo.pm" "$FIXTURES/bucardo-5.6.pm" "their copy is untouched"
	same_file "$root/usr/share/perl5/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" \
		"the packaged copy is patched"
else
	skip "a home copy another user owns is shown untrusted" "needs root to chown"
fi

# The bucardo script's version against the active copy's, under --root: the
# script is read (never run), ROOT/usr/local/bin before ROOT/usr/bin.
root=$T/mismatch
mkdir -p "$root/usr/share/perl5" "$root/usr/local/share/perl/5.36.0" "$root/usr/bin" \
	"$root/usr/local/bin"
cp "$FIXTURES/bucardo-5.6.pm" "$root/usr/share/perl5/Bucardo.pm"
printf '#!/usr/bin/perl\npackage bucardo;\nour $VERSION = '"'5.6.0'"';\nexit 1;\n' >"$root/usr/bin/bucardo"
chmod 755 "$root/usr/bin/bucardo"
run_ba --root "$root" --json status
check "same versions: no warning" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["warnings"] == [], d["warnings"]' "$T/.out"
cp "$FIXTURES/bucardo-5.4.pm" "$root/usr/local/share/perl/5.36.0/Bucardo.pm"
v54=$(sed -n "s/^our \$VERSION = '\([^']*\)';.*/\1/p" "$FIXTURES/bucardo-5.4.pm" | head -n 1)
refusal="Version mismatch: bucardo is 5.6.0, but Bucardo.pm is $v54"
run_ba --root "$root" status
contains "$out" "warning: version mismatch: $root/usr/bin/bucardo is 5.6.0 but the active copy $root/usr/local/share/perl/5.36.0/Bucardo.pm is $v54" \
	"status warns in text: the script's and the active copy's versions"
contains "$out" "Bucardo will refuse to start (\"$refusal\")" "with Bucardo's own words"
run_ba --root "$root" --json status
check "status warns in JSON" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); w=d["warnings"]; assert len(w) == 1 and w[0].startswith("version mismatch: ") and sys.argv[2] in w[0], w' \
	"$T/.out" "$refusal"
run_ba --root "$root" --check apply
contains "$out" "warning: version mismatch: " "apply warns in text"
run_ba --root "$root" --json apply
expect_rc 0 "apply still patches"
check "apply warns in JSON" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(sys.argv[2] in w for w in d["warnings"]), d["warnings"]' \
	"$T/.out" "$refusal"
run_ba --root "$root" status "$root/usr/share/perl5/Bucardo.pm"
contains "$out" "warning: version mismatch: " "status FILE warns too"
# A newer script in /usr/local/bin comes first on PATH: it is the one compared.
printf '#!/usr/bin/env perl\nour $VERSION = '"'$v54'"';\n' >"$root/usr/local/bin/bucardo"
chmod 755 "$root/usr/local/bin/bucardo"
run_ba --root "$root" --json status
check "ROOT/usr/local/bin/bucardo is the script compared: versions agree" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["warnings"] == [], d["warnings"]' "$T/.out"

# The script a symbolic link into a checkout, under --root: the @INC copy
# stays active, and the checkout's copy is named with the start that loads it.
mkdir -p "$root/opt/checkout"
cp "$FIXTURES/bucardo-5.6.pm" "$root/opt/checkout/Bucardo.pm"
printf '#!/usr/bin/env perl\nour $VERSION = '"'5.6.0'"';\n' >"$root/opt/checkout/bucardo"
chmod 755 "$root/opt/checkout/bucardo"
rm "$root/usr/local/bin/bucardo"
ln -s /opt/checkout/bucardo "$root/usr/local/bin/bucardo"
run_ba --root "$root" --json status
check "linked script: the @INC copy stays active" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[f["path"] for f in d["files"] if f["active"]]; assert a == [sys.argv[2]], a' \
	"$T/.out" "$root/usr/local/share/perl/5.36.0/Bucardo.pm"
run_ba --root "$root" status
contains "$out" "warning: $root/usr/local/bin/bucardo is a symbolic link to /opt/checkout/bucardo: started through PATH, Bucardo loads $root/usr/local/share/perl/5.36.0/Bucardo.pm (the active copy); started from $root/usr/local/bin (where the link is), or by a path whose directory is not on PATH, it loads $root/opt/checkout/Bucardo.pm" \
	"linked script: both copies named, with the start that loads each"

done_testing
