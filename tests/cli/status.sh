# status.sh: states, versions, the active copy, exit codes, and the restart advice.
. "$(dirname "$0")/../lib/tap.sh"

root=$T/none
mkdir -p "$root"
run_ba --root "$root" status
expect_rc 4 "no copy found: exit 4"
contains "$out" "no Bucardo.pm found; looked in:" "says it found none"
contains "$out" "$root/usr/share/perl5" "and where it looked"

root=$T/two
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
mkdir -p "$root/usr/local/share/perl/5.36.0"
cp "$FIXTURES/bucardo-5.4.pm" "$root/usr/local/share/perl/5.36.0/Bucardo.pm"
run_ba --root "$root" status
expect_rc 3 "copies not patched: exit 3"
line=$(printf '%s\n' "$out" | grep "$root/usr/local/share/perl/5.36.0/Bucardo.pm")
contains "$line" "active" "the /usr/local copy is the active one (it comes first in @INC)"
contains "$line" "5.4.1" "its version is shown"
contains "$line" "pristine" "its state is shown"
line=$(printf '%s\n' "$out" | grep "$pm")
case "$line" in *active*) fail "the /usr/share/perl5 copy is not active" "$line" ;; *) pass "the /usr/share/perl5 copy is not active" ;; esac

run_ba --root "$root" apply
expect_rc 0 "apply without FILE patches every copy found"
run_ba --root "$root" status
expect_rc 0 "every copy patched: exit 0"
check "both copies listed as patched" test "$(printf '%s\n' "$out" | grep -c '^patched')" = 2

pm=$(sandbox "$FIXTURES/partial-5.6.pm" "$T/partial")
run_ba --root "$T/partial" status "$pm"
expect_rc 3 "a partial copy: exit 3"
contains "$out" "partial" "status says partial"

pm=$(sandbox "$FIXTURES/bucardo-4.pm" "$T/old")
run_ba --root "$T/old" status "$pm"
expect_rc 3 "an unsupported copy: exit 3"
contains "$out" "unsupported" "status says unsupported"
contains "$out" "4.5.0" "and why"

run_ba status "$T/missing.pm"
expect_rc 1 "an unreadable FILE: exit 1"
contains "$errout" "bucardo-aiven: $T/missing.pm: " "error names the file"

# A running Bucardo that loaded the module before it changed must be restarted.
root=$T/running
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
mkdir -p "$root/var/run/bucardo"
(exec -a "Bucardo Master Control Program v5.6.0" sleep 60) &
daemon=$!
at_exit "kill $daemon"
echo "$daemon" >"$root/var/run/bucardo/bucardo.mcp.pid"
sleep 1.1
run_ba --root "$root" apply
expect_rc 0 "apply while Bucardo runs"
contains "$out" "Bucardo is running (pid $daemon)" "apply says Bucardo must be restarted"
run_ba --root "$root" status
contains "$out" "restart" "status says Bucardo must be restarted"
kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null
run_ba --root "$root" status
case "$out" in *restart*) fail "no restart advice once Bucardo stopped" "$out" ;; *) pass "no restart advice once Bucardo stopped" ;; esac

done_testing
