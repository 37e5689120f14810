# crash.sh: stopped dead (_exit or SIGKILL) at every step of apply and revert, the module is
# the old or the new file, the original is recoverable, and the next ordinary run finishes the
# job, history included, and leaves no temporary file.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/crashbuild.sh"

crash_build || { done_testing; exit 1; }

ORIG=$FIXTURES/bucardo-5.6.pm
PATCHED=$FIXTURES/expected/bucardo-5.6.pm
# In the order apply passes them; revert passes all but the two backup points.
POINTS="after-lock after-read after-stage after-backup-blob after-backup-gzip before-rename
	after-rename before-history after-history"

# temps DIR: how many temporary files of ours DIR holds.
temps() { find "$1" -maxdepth 1 -name '.Bucardo.pm.bucardo-aiven.*' | wc -l; }

# events ROOT: the actions the history lists, newest first.
events() {
	"$BA" --root "$1" --json history |
		python3 -c 'import json,sys; print(" ".join(e["action"] for e in json.load(sys.stdin)["events"]))'
}

# recoverable PM STATE: every gzip copy kept holds the original; before there is one, the
# file itself is still the original.
recoverable() {
	local pm=$1 state=$2 gz n=0
	for gz in $(find "$state/originals" -name 'Bucardo.pm.*.gz' 2>/dev/null); do
		zcat "$gz" | cmp -s - "$ORIG" || return 1
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || cmp -s "$pm" "$ORIG"
}

# crash_run BINARY ARGS...: like run_ba, without the shell's "Killed" notice on stderr.
crash_run() {
	( "$@" >"$T/.out" 2>"$T/.err"; echo $? >"$T/.rc" ) 2>/dev/null
	rc=$(cat "$T/.rc")
}

stopped=0
for mode in exit kill; do
	case $mode in exit) want=99 ;; kill) want=137 ;; esac
	for cmd in apply revert; do
		for point in $POINTS; do
			name="$cmd, $mode at $point"
			root=$T/$mode-$cmd-$point
			pm=$(sandbox "$ORIG" "$root")
			real=$(realpath "$pm")
			# The store and the watchlist name it by its path inside the root.
			real=${real#"$(realpath "$root")"}
			state=$root/var/lib/bucardo-aiven
			if [ "$cmd" = apply ]; then
				from=$ORIG to=$PATCHED opts=--no-perl-check want_events=apply
			else
				from=$PATCHED to=$ORIG opts= want_events="revert apply"
				"$BA" --root "$root" -q apply --no-perl-check "$pm" ||
					fail "$name: the apply before the revert" "$(cat "$T/.err")"
			fi

			crash_run env BUCARDO_AIVEN_CRASH_AT="$point" BUCARDO_AIVEN_CRASH_MODE="$mode" \
				"$CRASH_BA" --root "$root" --lock-timeout 5 "$cmd" $opts "$pm"
			case $cmd:$point in
			revert:after-backup-*)
				# revert keeps no new backup: the point is not on its path.
				if [ "$rc" = 0 ] && cmp -s "$pm" "$to"; then
					pass "$name: not on revert's path; the run went to its end"
				else
					fail "$name: not on revert's path; the run went to its end" "exit $rc" "$(cat "$T/.err")"
				fi
				continue
				;;
			esac
			if [ "$rc" = "$want" ]; then
				pass "$name: stopped there (exit $rc)"
				stopped=$((stopped + 1))
			else
				fail "$name: stopped there" "exit $rc, wanted $want" "$(cat "$T/.err")"
			fi
			if cmp -s "$pm" "$from" || cmp -s "$pm" "$to"; then
				pass "$name: the file is the old or the new one, byte for byte"
			else
				fail "$name: the file is the old or the new one, byte for byte" \
					"$(diff "$from" "$pm" | head -10)"
			fi
			check "$name: the original is recoverable" recoverable "$pm" "$state"
			case $point in
			after-stage | after-backup-* | before-rename)
				check "$name: the stop left a temporary file" test "$(temps "$(dirname "$pm")")" -gt 0 ;;
			esac

			run_ba --root "$root" --lock-timeout 5 "$cmd" $opts "$pm"
			expect_rc 0 "$name: the next $cmd exits 0"
			same_file "$pm" "$to" "$name: the next $cmd finishes the job"
			check "$name: no temporary file left" test "$(temps "$(dirname "$pm")")" = 0
			check "$name: store.git passes git fsck" \
				git --git-dir="$state/store.git" fsck --no-dangling --no-progress
			got=$(events "$root")
			check "$name: history records exactly what happened ($want_events)" \
				test "$got" = "$want_events"
			if [ "$cmd" = apply ]; then
				check "$name: the file is kept patched (watchlist)" sh -c "cut -f1 '$state/watchlist' | grep -qxF '$real'"
			else
				check "$name: the file is no longer kept patched (watchlist)" \
					sh -c "! cut -f1 '$state/watchlist' 2>/dev/null | grep -qxF '$real'"
			fi
		done
	done
done
check "stopped runs: 4 x 9 points minus revert's 2 x 2 backup points = 32" test "$stopped" = 32

# An apply stopped after the rename but before the history: revert (not apply) is the next run.
# The file is recognised as what apply makes of the kept original, for the function in the file.
for point in after-rename before-history; do
	for fn in "" ext.srr; do
		name="apply${fn:+ --function $fn} killed at $point, then revert"
		root=$T/cross-$point-${fn:-default}
		pm=$(sandbox "$ORIG" "$root")
		crash_run env BUCARDO_AIVEN_CRASH_AT="$point" BUCARDO_AIVEN_CRASH_MODE=kill \
			"$CRASH_BA" --root "$root" apply --no-perl-check ${fn:+--function "$fn"} "$pm"
		check "$name: the apply was stopped with the file patched" \
			sh -c "test $rc = 137 && ! cmp -s '$pm' '$ORIG'"
		run_ba --root "$root" revert "$pm"
		expect_rc 0 "$name: revert exits 0"
		same_file "$pm" "$ORIG" "$name: revert puts the original back"
		check "$name: history records the apply, then the revert" \
			test "$(events "$root")" = "revert apply"
	done
done

# After a package upgrade the store's recorded original is the old release; an apply of the
# new one stopped before its history is still reverted to the new original (its gzip copy).
root=$T/cross-upgrade
pm=$(sandbox "$FIXTURES/bucardo-5.4.pm" "$root")
"$BA" --root "$root" -q apply --no-perl-check "$pm"
cp "$ORIG" "$pm"
crash_run env BUCARDO_AIVEN_CRASH_AT=after-rename BUCARDO_AIVEN_CRASH_MODE=kill \
	"$CRASH_BA" --root "$root" apply --no-perl-check "$pm"
run_ba --root "$root" revert "$pm"
expect_rc 0 "upgrade, apply killed after the rename, then revert: exits 0"
same_file "$pm" "$ORIG" "and puts back the new release's original, not the old one's"
check "and the history holds both applies and the revert" test "$(events "$root")" = "revert apply apply"

# A gzip copy that does not hold what its name says is no proof: nothing is adopted from it.
root=$T/damaged
pm=$(sandbox "$ORIG" "$root")
crash_run env BUCARDO_AIVEN_CRASH_AT=after-rename "$CRASH_BA" --root "$root" apply --no-perl-check "$pm"
gz=$(find "$root/var/lib/bucardo-aiven/originals" -name 'Bucardo.pm.*.gz')
sed 's/Bucardo/Bucardx/' "$ORIG" | gzip >"$gz"
run_ba --root "$root" revert "$pm"
expect_rc 1 "revert with only a damaged gzip copy exits 1"
same_file "$pm" "$PATCHED" "and leaves the file as it is"

# A temporary file of ours that a live run holds (flock) is left alone; a stale one goes;
# files that only look like ours stay.
root=$T/sweep
pm=$(sandbox "$ORIG" "$root")
dir=$(dirname "$pm")
for f in .Bucardo.pm.bucardo-aiven.LiVe01 .Bucardo.pm.bucardo-aiven.StAl02 \
    .Other.pm.bucardo-aiven.StAl03 .Bucardo.pm.bucardo-aiven.TooLong7 .Bucardo.pm.bucardo-aiven.x-y_z0; do
	echo junk >"$dir/$f"
done
# This shell holds the lock, as a live run holds its own, until fd 9 is closed.
exec 9<"$dir/.Bucardo.pm.bucardo-aiven.LiVe01"
flock -x 9
run_ba --root "$root" apply --no-perl-check "$pm"
expect_rc 0 "apply beside stale and live temporary files exits 0"
check "a stale temporary file of ours is removed" test ! -e "$dir/.Bucardo.pm.bucardo-aiven.StAl02"
check "one a live process holds is left alone" test -e "$dir/.Bucardo.pm.bucardo-aiven.LiVe01"
check "another module's is left alone" test -e "$dir/.Other.pm.bucardo-aiven.StAl03"
check "names that only look like ours are left alone" \
	test -e "$dir/.Bucardo.pm.bucardo-aiven.TooLong7" -a -e "$dir/.Bucardo.pm.bucardo-aiven.x-y_z0"
exec 9<&-

# git's lock files left by a run killed inside a commit do not block later commits.
root=$T/gitlock
pm=$(sandbox "$ORIG" "$root")
state=$root/var/lib/bucardo-aiven
"$BA" --root "$root" -q apply --no-perl-check "$pm"
touch "$state/store.git/HEAD.lock" "$state/store.git/refs/heads/main.lock"
run_ba --root "$root" revert "$pm"
expect_rc 0 "revert with stale git lock files exits 0"
check "and records the revert" test "$(events "$root")" = "revert apply"
check "and the stale lock files are gone" \
	test ! -e "$state/store.git/HEAD.lock" -a ! -e "$state/store.git/refs/heads/main.lock"

# A gzip copy's temporary file left by a killed run goes when the next copy is written.
root=$T/gztmp
pm=$(sandbox "$FIXTURES/bucardo-5.4.pm" "$root")
state=$root/var/lib/bucardo-aiven
"$BA" --root "$root" -q apply --no-perl-check "$pm"
gzdir=$(dirname "$(find "$state/originals" -name 'Bucardo.pm.*.gz' | head -1)")
stale="$gzdir/.Bucardo.pm.0123456789abcdef0123456789abcdef01234567.gz.bucardo-aiven.Ab12Cd"
echo junk >"$stale"
cp "$ORIG" "$pm"	# a package upgrade: a new original to keep
run_ba --root "$root" apply --no-perl-check "$pm"
expect_rc 0 "apply after an upgrade, beside a stale gzip temporary file, exits 0"
check "the stale gzip temporary file is removed" test ! -e "$stale"
check "two gzip copies are kept" test "$(find "$state/originals" -name 'Bucardo.pm.*.gz' | wc -l)" = 2

# The recovery does not adopt what it did not write: a patched file that is no rewrite of a
# kept original (here another release's) is still refused.
root=$T/notours
pm=$(sandbox "$FIXTURES/bucardo-5.4.pm" "$root")
"$BA" --root "$root" -q apply --no-perl-check "$pm"
cp "$PATCHED" "$pm"	# patched 5.6, by hand
run_ba --root "$root" revert "$pm"
expect_rc 1 "revert of a patched file that is no rewrite of a kept original exits 1"
contains "$errout" "not what bucardo-aiven wrote" "and says it is not what the tool wrote"
same_file "$pm" "$PATCHED" "and leaves it untouched"

done_testing
