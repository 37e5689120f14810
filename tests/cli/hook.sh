# hook.sh: apply --reapply keeps patched only what apply patched; the apt hook goes in and out cleanly.
. "$(dirname "$0")/../lib/tap.sh"

root=$T/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
state=$root/var/lib/bucardo-aiven

run_ba --root "$root" apply --reapply
expect_rc 0 "apply --reapply with nothing ever patched exits 0"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "and patches nothing"
check "and creates no state directory" test ! -e "$state"

run_ba --root "$root" apply "$pm"
check "apply lists the file, by its path inside the root, as kept patched" sh -c "cut -f1 '$state/watchlist' | grep -qxF /usr/share/perl5/Bucardo.pm"

# A package upgrade puts a pristine file back: --reapply patches it again.
cp "$FIXTURES/bucardo-5.6.pm" "$pm"
run_ba --root "$root" apply --reapply -q
expect_rc 0 "apply --reapply after an upgrade exits 0"
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "the upgraded file is patched again"
check "history recorded the re-apply" test "$(git --git-dir="$state/store.git" rev-list --count HEAD)" = 2

# Other copies are not touched by --reapply: only what the admin patched.
mkdir -p "$root/usr/local/share/perl/5.36.0"
cp "$FIXTURES/bucardo-5.4.pm" "$root/usr/local/share/perl/5.36.0/Bucardo.pm"
run_ba --root "$root" apply --reapply
same_file "$root/usr/local/share/perl/5.36.0/Bucardo.pm" "$FIXTURES/bucardo-5.4.pm" "--reapply leaves a copy never patched alone"

# revert takes the file off the list: a later upgrade does not re-patch it.
run_ba --root "$root" revert "$pm"
check "revert takes the file off the list" sh -c "! cut -f1 '$state/watchlist' | grep -qxF /usr/share/perl5/Bucardo.pm"
run_ba --root "$root" apply --reapply
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "--reapply leaves a reverted file alone"

# The list decides what --reapply patches: a state directory others can write
# to is refused, as the store is.
cp "$FIXTURES/bucardo-5.6.pm" "$pm"
chmod 777 "$state"
run_ba --root "$root" apply --reapply
expect_rc 1 "--reapply refuses a world-writable state directory"
contains "$errout" "writable by group or others" "and says why"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "and patches nothing"
chmod 700 "$state"

# A listed file that is gone (package removed) is not an error.
run_ba --root "$root" apply "$pm"
rm -f "$pm"
run_ba --root "$root" apply --reapply
expect_rc 0 "--reapply with a listed file gone exits 0"

# The apt hook. Without --binary it names the packaged binary when the
# root has one (the build tree may be anywhere, /tmp included, where the
# hook would refuse it).
mkdir -p "$root/etc/apt/apt.conf.d" "$root/usr/sbin"
cp "$BUCARDO_AIVEN" "$root/usr/sbin/bucardo-aiven"
run_ba --root "$root" hook status
expect_rc 3 "hook status before install: exit 3"
run_ba --root "$root" hook install
expect_rc 0 "hook install exits 0"
hookf=$root/etc/apt/apt.conf.d/80bucardo-aiven
check "it runs the packaged binary of the root" grep -qF '/usr/sbin/bucardo-aiven apply --reapply' "$hookf"
check "the hook file exists" test -f "$hookf"
check "it is a DPkg::Post-Invoke running apply --reapply" grep -q 'DPkg::Post-Invoke.*apply --reapply -q || true' "$hookf"
if command -v apt-config >/dev/null; then
	check "apt parses it" sh -c "apt-config -c '$hookf' dump | grep -q 'DPkg::Post-Invoke.*reapply'"
else
	skip "apt parses it" "no apt-config"
fi
run_ba --root "$root" hook status
expect_rc 0 "hook status after install: exit 0"
run_ba --root "$root" hook install
expect_rc 0 "a second install replaces its own file"
run_ba --root "$root" hook remove
expect_rc 0 "hook remove exits 0"
check "the hook file is gone" test ! -e "$hookf"
run_ba --root "$root" hook remove
expect_rc 0 "removing twice is fine"
echo "// mine" >"$hookf"
run_ba --root "$root" hook remove
expect_rc 1 "an admin's own file of that name is not removed"
check "and is left in place" grep -q mine "$hookf"
run_ba --root "$root" hook frobnicate
expect_rc 64 "unknown hook action is a usage error"

# The hook's command, run as apt would (through sh -c), succeeds even when
# apply fails. It names the build's binary, judged where apt would find it:
# at the same path inside the root.
rm -f "$hookf"
mkdir -p "$root$(dirname "$BUCARDO_AIVEN")"
cp "$BUCARDO_AIVEN" "$root$BUCARDO_AIVEN"
run_ba --root "$root" hook install --binary "$BUCARDO_AIVEN"
cmd=$(sed -n 's/^DPkg::Post-Invoke { "\(.*\)"; };$/\1/p' "$hookf")
# Pointed at the sandbox (never this machine's state), with a state dir it cannot use.
cmd=$(printf '%s' "$cmd" | sed "s| apply | --root $root --state-dir $T/not-a-dir/x apply |")
touch "$T/not-a-dir"
contains "$cmd" "--root $root" "the hook command is run against the sandbox"
check "the hook command never fails the apt run" sh -c "$cmd"

done_testing
