# tests/lib/crashbuild.sh: a second build of the tool with -Dcrash_points=true, for the reliability tests.
# Sourced after tap.sh. Sets CRASH_BA to the binary; BUCARDO_AIVEN_CRASH names a prebuilt one instead.

: "${SRCDIR:?set SRCDIR to the source tree}"

# crash_build: build into $T/build-crash (about 6 s on 2 cores); one TAP case
# that the build succeeded with no compiler warning. Returns 1 when it failed.
crash_build() {
	if [ -n "${BUCARDO_AIVEN_CRASH:-}" ]; then
		CRASH_BA=$BUCARDO_AIVEN_CRASH
		return 0
	fi
	CRASH_BA=$T/build-crash/bucardo-aiven
	if ! meson setup "$T/build-crash" "$SRCDIR" -Dcrash_points=true -Dtests=false \
	    >"$T/build-crash.log" 2>&1 || ! ninja -C "$T/build-crash" >>"$T/build-crash.log" 2>&1; then
		fail "the crash-point build succeeds" "$(tail -30 "$T/build-crash.log")"
		return 1
	fi
	if grep -q 'warning:' "$T/build-crash.log"; then
		fail "the crash-point build compiles without warnings" "$(grep -A3 'warning:' "$T/build-crash.log" | head -30)"
	else
		pass "the crash-point build compiles without warnings"
	fi
}
