# preserve.sh: mode, owner, group, extended attributes, symlinks, CRLF and BOM survive apply and revert.
. "$(dirname "$0")/../lib/tap.sh"

root=$T/mode
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
chmod 0640 "$pm"
run_ba --root "$root" apply "$pm"
expect_rc 0 "apply on a 0640 file"
check "mode 0640 kept" test "$(stat -c %a "$pm")" = 640

if [ "$(id -u)" = 0 ]; then
	# A group that is not root's may own the file, as long as it cannot write it.
	root=$T/owner
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
	chown 0:65534 "$pm"
	run_ba --root "$root" apply "$pm"
	expect_rc 0 "apply on a file of group 65534, mode 0644"
	check "owner and group kept" test "$(stat -c %u:%g "$pm")" = 0:65534
	run_ba --root "$root" revert "$pm"
	check "owner and group kept by revert" test "$(stat -c %u:%g "$pm")" = 0:65534
else
	skip "owner and group kept" "needs root to chown"
	skip "owner and group kept by revert" "needs root to chown"
fi

root=$T/xattr
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
if setfattr -n user.origin -v debian-package "$pm" 2>/dev/null; then
	run_ba --root "$root" apply "$pm"
	expect_rc 0 "apply on a file with a user.* attribute"
	check "user.origin attribute kept" test "$(getfattr --only-values -n user.origin "$pm" 2>/dev/null)" = debian-package
else
	skip "user.* attribute kept" "this file system has no user extended attributes"
fi

# A symlink is followed and kept: the target is patched, the link stays a link.
root=$T/link
mkdir -p "$root/opt/bucardo/lib" "$root/usr/share/perl5"
cp "$FIXTURES/bucardo-5.6.pm" "$root/opt/bucardo/lib/Bucardo.pm"
ln -s ../../../opt/bucardo/lib/Bucardo.pm "$root/usr/share/perl5/Bucardo.pm"
run_ba --root "$root" apply "$root/usr/share/perl5/Bucardo.pm"
expect_rc 0 "apply through a symlink"
check "the symlink is still a symlink" test -L "$root/usr/share/perl5/Bucardo.pm"
check "the link target is unchanged" test "$(readlink "$root/usr/share/perl5/Bucardo.pm")" = ../../../opt/bucardo/lib/Bucardo.pm
same_file "$root/opt/bucardo/lib/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" "the target is patched"
run_ba --root "$root" revert "$root/usr/share/perl5/Bucardo.pm"
expect_rc 0 "revert through a symlink"
check "still a symlink after revert" test -L "$root/usr/share/perl5/Bucardo.pm"
same_file "$root/opt/bucardo/lib/Bucardo.pm" "$FIXTURES/bucardo-5.6.pm" "the target is the original again"

for fx in crlf.pm bom.pm; do
	root=$T/$fx
	pm=$(sandbox "$FIXTURES/$fx" "$root")
	run_ba --root "$root" apply "$pm"
	same_file "$pm" "$FIXTURES/expected/$fx" "$fx: patched with its line endings and BOM as they were"
	run_ba --root "$root" revert "$pm"
	same_file "$pm" "$FIXTURES/$fx" "$fx: revert gives the original back"
done
check "CRLF kept on every line" test "$(grep -c $'\r$' "$FIXTURES/expected/crlf.pm")" = "$(wc -l <"$FIXTURES/expected/crlf.pm")"

done_testing
