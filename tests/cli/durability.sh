# durability.sh: what a real apply makes durable, and in which order (seen
# with strace: the staged file before the rename, the directory after, the
# store before the module is replaced, the history before the run ends), and
# the temporary files a killed run left beside the module and its gzip copy.
. "$(dirname "$0")/../lib/tap.sh"

order=$(dirname "$0")/../lib/syncorder.py

# One real apply, traced: every fsync, syncfs and sync, and every name put
# in place by rename or link, with the paths of the descriptors (-y).
root=$T/traced
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
if ! command -v strace >/dev/null 2>&1; then
	skip "the order of the barriers of a real apply" "strace is not installed"
elif ! strace -f -y -qq -o "$T/probe.trace" -e trace=fsync true 2>"$T/probe.err"; then
	skip "the order of the barriers of a real apply" "strace cannot trace here: $(head -c 200 "$T/probe.err")"
else
	# LeakSanitizer cannot run under ptrace (tools/test-sanitizers' ASan
	# build): leaks are that run's business, the order of barriers ours.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -y -qq -o "$T/apply.trace" \
	    -e trace=fsync,fdatasync,syncfs,sync,rename,renameat,renameat2,link,linkat \
	    "$BA" --root "$root" apply --no-perl-check "$pm" >"$T/.out" 2>"$T/.err"
	rc=$?
	expect_rc 0 "apply under strace exits 0"
	same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "and patches the module"
	real=$(cd "$root/usr/share/perl5" && pwd -P)/Bucardo.pm
	state=$(cd "$root/var/lib/bucardo-aiven" && pwd -P)
	check "the staged file is fsynced before it is renamed over the module" \
	    python3 "$order" "$T/apply.trace" "$real" "$state" staged
	check "the module's directory is fsynced after the rename" \
	    python3 "$order" "$T/apply.trace" "$real" "$state" dir
	check "the original (git blob and gzip copy) is durable before the module is replaced" \
	    python3 "$order" "$T/apply.trace" "$real" "$state" store
	check "the history and the watch list are durable before the run ends" \
	    python3 "$order" "$T/apply.trace" "$real" "$state" history
fi

# A killed run's temporary files: the one beside the module, and a gzip
# copy's, are removed by the next apply; one a live run holds locked stays.
root=$T/swept
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
dir=$root/usr/share/perl5
id=$(git hash-object "$pm")
gzdir=$root/var/lib/bucardo-aiven/originals/usr/share/perl5
mkdir -p "$gzdir"
chmod 700 "$root/var/lib/bucardo-aiven" "$root/var/lib/bucardo-aiven/originals" \
    "$root/var/lib/bucardo-aiven/originals/usr" "$root/var/lib/bucardo-aiven/originals/usr/share" "$gzdir"
printf 'half a module' >"$dir/.Bucardo.pm.bucardo-aiven.Kil1ed"
printf 'held by a live run' >"$dir/.Bucardo.pm.bucardo-aiven.Live42"
printf 'half a gzip copy' >"$gzdir/.Bucardo.pm.0123456789abcdef0123456789abcdef01234567.gz.bucardo-aiven.Kil1ed"
printf 'keep' >"$dir/.Other.pm.bucardo-aiven.Kil1ed"
# A subshell locks it (flock(1) on descriptor 9) and becomes sleep, which
# keeps the lock until it is stopped, by its pid.
(flock 9 && touch "$T/locked" && exec sleep 60) 9<"$dir/.Bucardo.pm.bucardo-aiven.Live42" &
holder=$!
at_exit "kill $holder 2>/dev/null"
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
run_ba --root "$root" apply --no-perl-check "$pm"
expect_rc 0 "apply beside stale temporary files exits 0"
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "and patches the module"
check "a killed run's temporary file beside the module is removed" \
    test ! -e "$dir/.Bucardo.pm.bucardo-aiven.Kil1ed"
check "one a live run holds locked stays" test -e "$dir/.Bucardo.pm.bucardo-aiven.Live42"
check "a temporary file of another module stays" test -e "$dir/.Other.pm.bucardo-aiven.Kil1ed"
check "a killed run's temporary gzip copy is removed when the original is kept" \
    test ! -e "$gzdir/.Bucardo.pm.0123456789abcdef0123456789abcdef01234567.gz.bucardo-aiven.Kil1ed"
check "the original's gzip copy is in place" test -f "$gzdir/Bucardo.pm.$id.gz"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

done_testing
