# syslog.sh: the runs nobody watches leave a trace in syslog. In a private
# mount namespace (unshare -m) /dev is a fresh tmpfs holding the device nodes
# the tool uses and, at /dev/log, a datagram socket this test reads: the
# host's own logs are never written to.
. "$(dirname "$0")/../lib/tap.sh"

unset BUCARDO_AIVEN_SYSLOG	# tap.sh silences it; here it is what is tested
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	skip "syslog lines" "needs root and unshare"
	done_testing
	exit
fi

root=$T/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
cp "$FIXTURES/empty.pm" "$root/empty.pm"
mkdir -p "$root/etc/apt/apt.conf.d" "$root/usr/sbin"
cp "$BUCARDO_AIVEN" "$root/usr/sbin/bucardo-aiven"

# in_ns SCRIPT: run SCRIPT (bash) with /dev/log being our socket; the lines
# syslog received are in $T/log afterwards. $BA, $root, $pm are exported.
in_ns() {
	: >"$T/log"
	BA=$BA root=$root pm=$pm T=$T unshare -m bash -c '
set -u
mount --make-rprivate / || exit 90
mkdir -p "$T/dev" && mount -t tmpfs tmpfs "$T/dev" || exit 91
for n in null zero full random urandom tty; do
	[ -e "/dev/$n" ] || continue
	: >"$T/dev/$n" && mount --bind "/dev/$n" "$T/dev/$n" || exit 92
done
# A fresh file: a "ready" left by the previous call must not count for this one.
rm -f "$T/listener.out"
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
print(\"ready\", flush=True)
with open(sys.argv[2], \"ab\") as out:
    try:
        while True:
            line = s.recv(65536)
            if line == b\"END-OF-TEST\":
                break
            out.write(line + b\"\n\"); out.flush()
    except socket.timeout:
        pass
" "$T/dev/log" "$T/log" >"$T/listener.out" &
listener=$!
# python may take seconds to start on a loaded machine: wait for it (up to
# a minute), or the end-of-test message would find no socket.
for i in $(seq 600); do grep -q ready "$T/listener.out" 2>/dev/null && break; sleep 0.1; done
mount --bind "$T/dev" /dev || exit 93
'"$1"'
rc=$?
# The command has ended, so has its logging: tell the listener (a slow run,
# under valgrind, may take seconds before its first line).
python3 -c "
import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b\"END-OF-TEST\", \"/dev/log\")
"
wait $listener
exit $rc
' </dev/null 2>"$T/ns.err"
}

# 1. apply --reapply (what the triggers and the apt hook run) logs a change.
mkdir -p "$root/state"
run_ba --root "$root" --state-dir "$root/state" apply --no-perl-check "$pm"
cp "$FIXTURES/bucardo-5.6.pm" "$pm"	# an upgrade put the pristine module back
in_ns '"$BA" --root "$root" --state-dir "$root/state" apply --reapply -q --no-perl-check; echo "rc=$?" >"$T/rc"'
check "--reapply: the run itself succeeded" grep -qx "rc=0" "$T/rc"
check "--reapply: the change is in syslog, with the tool's name as ident" \
    grep -q "bucardo-aiven\[[0-9]*\]: apply --reapply: .*Bucardo.pm: patched (Bucardo 5.6.0)" "$T/log"
check "--reapply: at priority notice (user facility: <13>)" grep -q "^<13>" "$T/log"

# 2. Nothing to do: nothing logged (the path after every package operation).
in_ns '"$BA" --root "$root" --state-dir "$root/state" apply --reapply -q --no-perl-check'
check "nothing to do: nothing in syslog" test ! -s "$T/log"

# 3. A failure without a terminal: logged at priority err, and one line on stderr.
in_ns '"$BA" --root "$root" --state-dir "$root/state" apply -q --no-perl-check "$root/empty.pm" 2>"$T/stderr"; echo "rc=$?" >"$T/rc"'
check "a failure: exit 1" grep -qx "rc=1" "$T/rc"
check "a failure: logged at priority err (<11>)" grep -q "^<11>.*apply: .*empty.pm: failed: .*empty" "$T/log"
check "a failure: one line on stderr, which apt shows" test "$(wc -l <"$T/stderr")" = 1

# 4. Outside text is escaped before it reaches the log.
printf 'our $VERSION = "5.6.0";\n' >"$root/ho$(printf '\033')[2Jstile.pm"
in_ns '"$BA" --root "$root" --state-dir "$root/state" apply -q --no-perl-check "$root"/ho*stile.pm'
check "a hostile file name: the failure is logged" grep -q "stile.pm: failed" "$T/log"
check "a hostile file name or content: no raw ESC in the log" sh -c "! grep -q \"\$(printf '\\033')\" '$T/log'"

# 5. The hook's changes are logged too.
in_ns '"$BA" --root "$root" hook install --binary /usr/sbin/bucardo-aiven -q'
check "hook install: logged" grep -q "hook install: .*80bucardo-aiven: written" "$T/log"

# 6. BUCARDO_AIVEN_SYSLOG=0 silences it; at a terminal nothing is logged unless =1.
in_ns 'BUCARDO_AIVEN_SYSLOG=0 "$BA" --root "$root" hook remove -q'
check "BUCARDO_AIVEN_SYSLOG=0: nothing logged" test ! -s "$T/log"
check "the namespace was set up (no errors)" test ! -s "$T/ns.err"

done_testing
