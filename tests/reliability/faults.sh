# faults.sh: full disks, read-only and immutable files, missing permissions, untrusted state
# directories, oversized files and a file replaced mid-run: each is a clear error, exit 1, and
# the module byte-identical with no temporary file left. Mounts need root; each case that needs
# one is skipped, with the reason, when not root or when the mount fails.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/crashbuild.sh"

ORIG=$FIXTURES/bucardo-5.6.pm
PATCHED=$FIXTURES/expected/bucardo-5.6.pm

is_root() { [ "$(id -u)" = 0 ]; }

# temps DIR: how many temporary files of ours DIR holds.
temps() { find "$1" -maxdepth 1 -name '.Bucardo.pm.bucardo-aiven.*' | wc -l; }

# module DIR [FIXTURE]: a copy of FIXTURE (default the 5.6 original) at DIR/Bucardo.pm; prints it.
module() { mkdir -p "$1" && cp "${2:-$ORIG}" "$1/Bucardo.pm" && echo "$1/Bucardo.pm"; }

# mount_tmpfs DIR SIZE: a small tmpfs at DIR, unmounted at exit. Sets $why on failure.
mount_tmpfs() {
	mkdir -p "$1"
	if ! mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>"$T/.mount"; then
		why="mount -t tmpfs failed: $(head -c 200 "$T/.mount")"
		return 1
	fi
	at_exit "umount '$1' 2>/dev/null"
}

# fill DIR: write zeros into DIR until its file system is full.
fill() { dd if=/dev/zero of="$1/.fill" bs=4k >/dev/null 2>&1; dd if=/dev/zero of="$1/.fill2" bs=64 >/dev/null 2>&1; true; }

# refused NAME PM COPY: the last run exited 1 with one error line, PM is byte-identical to COPY
# and its directory holds no temporary file.
refused() {
	expect_rc 1 "$1: exits 1"
	check "$1: one error line on stderr, naming the tool" \
		sh -c "test \"\$(wc -l <'$T/.err')\" -ge 1 && grep -q '^bucardo-aiven: ' '$T/.err'"
	same_file "$2" "$3" "$1: the file is byte-identical"
	check "$1: no temporary file left" test "$(temps "$(dirname "$2")")" = 0
}

# --- The module's file system is full.
name="module's file system full"
if ! is_root; then
	skip "$name" "needs root to mount a tmpfs"
elif ! mount_tmpfs "$T/modfull" 512k; then
	skip "$name" "$why"
else
	pm=$(module "$T/modfull/usr/share/perl5")
	cp "$pm" "$T/modfull.copy"
	fill "$T/modfull"
	run_ba --state-dir "$T/modfull-state" apply --no-perl-check "$pm"
	refused "$name" "$pm" "$T/modfull.copy"
	contains "$errout" "No space left on device" "$name: says the disk is full"
	contains "$errout" "free some space" "$name: and what to do"
	rm -f "$T/modfull/.fill" "$T/modfull/.fill2"
	run_ba --state-dir "$T/modfull-state" apply --no-perl-check "$pm"
	expect_rc 0 "$name: once space is freed, apply exits 0"
	same_file "$pm" "$PATCHED" "$name: and patches the file"
	umount "$T/modfull"
fi

# --- The state directory's file system is full.
name="state directory's file system full"
if ! is_root; then
	skip "$name" "needs root to mount a tmpfs"
elif ! mount_tmpfs "$T/statefull" 512k; then
	skip "$name" "$why"
else
	state=$T/statefull/state
	# (a) A new state directory on a full disk.
	pm=$(module "$T/sf-a")
	fill "$T/statefull"
	run_ba --state-dir "$state" apply --no-perl-check "$pm"
	refused "$name, new store" "$pm" "$ORIG"
	rm -f "$T/statefull/.fill" "$T/statefull/.fill2"

	# (b) A store in use, full when a new original must be kept.
	pm=$(module "$T/sf-b")
	pm2=$(module "$T/sf-b2" "$FIXTURES/bucardo-5.4.pm")
	run_ba --state-dir "$state" apply --no-perl-check "$pm"
	fill "$T/statefull"
	run_ba --state-dir "$state" apply --no-perl-check "$pm2"
	refused "$name, new original to keep" "$pm2" "$FIXTURES/bucardo-5.4.pm"
	contains "$errout" "nothing written" "$name, new original to keep: says nothing was written"
	rm -f "$T/statefull/.fill" "$T/statefull/.fill2"

	# (c) Full when only the history and the watchlist are left to write (the original is
	# kept already): the file is replaced whole, the run says what is missing, and the next
	# apply, once there is space, records it.
	run_ba --state-dir "$state" revert "$pm"
	fill "$T/statefull"
	run_ba --state-dir "$state" apply --no-perl-check "$pm"
	if [ "$rc" = 0 ]; then
		skip "$name, only the history to write" "the commit fitted in what was left"
	else
		expect_rc 1 "$name, only the history to write: exits 1"
		same_file "$pm" "$PATCHED" "$name, only the history to write: the file is the whole new one"
		contains "$errout" "run apply again" "$name, only the history to write: says to run apply again"
		check "$name, only the history to write: no temporary file left" test "$(temps "$T/sf-b")" = 0
		rm -f "$T/statefull/.fill" "$T/statefull/.fill2"
		run_ba --state-dir "$state" --json apply --no-perl-check "$pm"
		expect_rc 0 "$name, only the history to write: once space is freed, apply exits 0"
		check "$name, only the history to write: the history ends with that apply" \
			sh -c "'$BA' --state-dir '$state' history '$pm' | head -1 | grep -q ' apply '"
		check "$name, only the history to write: the file is kept patched" \
			cut -f1 "$state/watchlist" | grep -qxF "$(realpath "$pm")"
	fi
	rm -f "$T/statefull/.fill" "$T/statefull/.fill2"
	umount "$T/statefull"
fi

# --- A read-only bind mount of the module's directory.
name="read-only module directory"
if ! is_root; then
	skip "$name" "needs root for a bind mount"
else
	pm=$(module "$T/ro/usr/share/perl5")
	dir=$(dirname "$pm")
	if mount --bind "$dir" "$dir" 2>"$T/.mount" && at_exit "umount '$dir' 2>/dev/null" &&
	    mount -o remount,bind,ro "$dir" 2>>"$T/.mount"; then
		run_ba --state-dir "$T/ro-state" apply --no-perl-check "$pm"
		refused "$name" "$pm" "$ORIG"
		contains "$errout" "Read-only file system" "$name: says the file system is read-only"
		contains "$errout" "remount" "$name: and what to do"
		umount "$dir"
	else
		skip "$name" "bind mount failed: $(head -c 200 "$T/.mount")"
	fi
fi

# --- chattr +i: on a loop-mounted ext4 image, as tmpfs has no inode flags.
name="immutable file (chattr +i)"
img=$T/ext4.img
if ! is_root; then
	skip "$name" "needs root to mount an ext4 image"
	skip "immutable directory (chattr +i)" "needs root to mount an ext4 image"
elif ! command -v mkfs.ext4 >/dev/null || ! command -v chattr >/dev/null; then
	skip "$name" "mkfs.ext4 or chattr not installed"
	skip "immutable directory (chattr +i)" "mkfs.ext4 or chattr not installed"
elif ! { truncate -s 8M "$img" && mkfs.ext4 -q -F "$img" >/dev/null 2>&1 &&
    mkdir -p "$T/ext4" && mount -o loop "$img" "$T/ext4" 2>"$T/.mount"; }; then
	skip "$name" "cannot mount an ext4 image: $(head -c 200 "$T/.mount" 2>/dev/null)"
	skip "immutable directory (chattr +i)" "cannot mount an ext4 image"
else
	at_exit "umount '$T/ext4' 2>/dev/null"
	pm=$(module "$T/ext4/usr/share/perl5")
	at_exit "chattr -i '$pm' '$(dirname "$pm")' 2>/dev/null"
	chattr +i "$pm"
	run_ba --state-dir "$T/ext4-state" apply --no-perl-check "$pm"
	refused "$name" "$pm" "$ORIG"
	contains "$errout" "chattr -i" "$name: says to run chattr -i"
	chattr -i "$pm"

	name="immutable directory (chattr +i)"
	chattr +i "$(dirname "$pm")"
	run_ba --state-dir "$T/ext4-state" apply --no-perl-check "$pm"
	refused "$name" "$pm" "$ORIG"
	contains "$errout" "chattr -i" "$name: says to run chattr -i"
	chattr -i "$(dirname "$pm")"
	umount "$T/ext4"
fi

# --- Not root: a user who cannot write the module's directory.
name="a user without write permission"
if ! is_root; then
	skip "$name" "needs root to run as another user"
elif ! command -v runuser >/dev/null || ! id nobody >/dev/null 2>&1; then
	skip "$name" "runuser or user nobody missing"
else
	pm=$(module "$T/perm/usr/share/perl5")
	chmod 755 "$T/perm" "$T/perm/usr" "$T/perm/usr/share" "$T/perm/usr/share/perl5"
	mkdir -m 700 "$T/nobody-state" && chown nobody "$T/nobody-state"
	as_nobody --state-dir "$T/nobody-state" apply --no-perl-check "$pm" \
		>"$T/.out" 2>"$T/.err"
	rc=$?; errout=$(cat "$T/.err")
	refused "$name" "$pm" "$ORIG"
	contains "$errout" "Permission denied" "$name: says permission is denied"
	contains "$errout" "run as root" "$name: and to run as root"
fi

# --- State directories that cannot be trusted.
name="a state directory owned by another user"
if ! is_root; then
	skip "$name" "needs root to chown"
else
	pm=$(module "$T/owned")
	mkdir -m 700 "$T/owned-state" && chown nobody "$T/owned-state"
	run_ba --state-dir "$T/owned-state" apply --no-perl-check "$pm"
	refused "$name" "$pm" "$ORIG"
	contains "$errout" "is owned by uid" "$name: says who owns it"
fi
for mode in 770 707 775; do
	name="a state directory of mode $mode"
	pm=$(module "$T/mode$mode")
	mkdir -p "$T/mode$mode-state" && chmod "$mode" "$T/mode$mode-state"
	run_ba --state-dir "$T/mode$mode-state" apply --no-perl-check "$pm"
	refused "$name" "$pm" "$ORIG"
	contains "$errout" "writable by group or others" "$name: says why"
done

# --- A file over the size limit (8 MiB).
name="a file over 8 MiB"
pm=$(module "$T/big")
head -c $((8 * 1024 * 1024 + 1 - $(stat -c %s "$ORIG"))) /dev/zero | tr '\0' '#' >>"$pm"
cp "$pm" "$T/big.copy"
run_ba --state-dir "$T/big-state" apply --no-perl-check "$pm"
refused "$name" "$pm" "$T/big.copy"
contains "$errout" "limit 8 MiB" "$name: says what the limit is"
check "$name: no state directory made" test ! -e "$T/big-state"

# --- The file replaced, or edited in place, between the read and the rename: the run waits at
# before-rename (a pause point of the crash-point build) while the test changes the file.
if crash_build; then
	for how in replaced edited; do
		name="the file $how while the tool waits before the rename"
		pm=$(module "$T/swap-$how")
		pause=$T/pause-$how
		rm -f "$pause"
		BUCARDO_AIVEN_PAUSE_AT=before-rename BUCARDO_AIVEN_PAUSE_FILE=$pause \
			"$CRASH_BA" --state-dir "$T/swap-$how-state" apply --no-perl-check "$pm" \
			>"$T/.out" 2>"$T/.err" &
		job=$!
		for _ in $(seq 400); do [ -e "$pause" ] && break; sleep 0.05; done
		check "$name: the tool reached the pause point" test -e "$pause"
		if [ "$how" = replaced ]; then
			# As dpkg does: a new file renamed over the old one.
			cp "$FIXTURES/bucardo-5.4.pm" "$pm.dpkg-new" && mv "$pm.dpkg-new" "$pm"
		else
			printf '# a local edit\n' >>"$pm"
		fi
		cp "$pm" "$T/swap-$how.copy"
		rm -f "$pause"
		wait $job
		rc=$?; out=$(cat "$T/.out"); errout=$(cat "$T/.err")
		refused "$name" "$pm" "$T/swap-$how.copy"
		contains "$errout" "changed while being patched" "$name: says the file changed"
		run_ba --state-dir "$T/swap-$how-state" apply --no-perl-check "$pm"
		expect_rc 0 "$name: the next apply exits 0"
		check "$name: and patches what is there now" \
			sh -c "'$BA' status '$pm' | grep -q '^patched'"
	done
fi

done_testing
