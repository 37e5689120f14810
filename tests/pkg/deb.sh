# deb.sh: the Debian package, built with dpkg-buildpackage and installed on
# THIS machine: its trigger, its postinst, remove and purge (README.Debian).
# Needs root. Leaves the machine as it found it: bucardo-aiven not
# installed, Bucardo.pm as it was, the state directory and the apt hook as
# they were.
. "$(dirname "$0")/../lib/tap.sh"

started=$(date +%s)
pm=/usr/share/perl5/Bucardo.pm
state=/var/lib/bucardo-aiven
hookf=/etc/apt/apt.conf.d/80bucardo-aiven
defaults=/etc/default/bucardo-aiven
piddir=/var/run/bucardo
pidfile=$piddir/bucardo.mcp.pid
tool=/usr/sbin/bucardo-aiven
export DEBIAN_FRONTEND=noninteractive
apt_get() {
	apt-get -o DPkg::Lock::Timeout=600 -o APT::Sandbox::User=root -q -y \
	    --no-install-recommends "$@"
}
# A fatal signal still runs the EXIT trap, and with it restore_machine.
trap 'exit 143' TERM INT HUP

# Stop here with a reason: nothing was changed yet, or restore_machine
# (registered below) puts it back.
bail() {
	skip "the Debian package" "$1"
	done_testing
	exit
}

pkg_status() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null; }

[ "$(id -u)" = 0 ] || bail "needs root: it installs packages on this machine"
if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
	bail "not a Debian system (no apt-get or dpkg)"
fi
[ "$(pkg_status bucardo)" = installed ] ||
	bail "package bucardo is not installed (tools/deps test installs it)"
case $(pkg_status bucardo-aiven) in
'' | not-installed) ;;
*) bail "bucardo-aiven is already on this machine ($(pkg_status bucardo-aiven)); the test would purge it: apt-get purge bucardo-aiven" ;;
esac
dpkg -V bucardo | grep -q " $pm\$" &&
	bail "$pm differs from the package (dpkg -V bucardo); the test would replace it"
[ -z "$(dpkg-divert --listpackage "$pm")" ] || bail "$pm is diverted on this machine"
[ ! -e "$pidfile" ] || bail "Bucardo seems to run here ($pidfile); the test would restart it"

# Build tools: tools/deps test lists them; installed here when missing.
missing=
for p in debhelper dpkg-dev fakeroot build-essential lintian gcc meson ninja-build \
    pkg-config libpcre2-dev libgit2-dev zlib1g-dev libjson-c-dev libpq-dev python3; do
	[ "$(pkg_status "$p")" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt_get install $missing >"$T/deps.log" 2>&1 ||
		bail "cannot install the build tools:$missing ($(tail -n 1 "$T/deps.log"))"
fi
# The way back for Bucardo.pm must work before it is changed.
apt_get install --reinstall --download-only bucardo >"$T/dl.log" 2>&1 ||
	bail "cannot fetch bucardo's .deb to restore Bucardo.pm ($(tail -n 1 "$T/dl.log"))"

# What the machine looks like now.
sha_before=$(sha256sum <"$pm")
verify_before=$(dpkg -V bucardo)
saved_state=
had_state=
if [ -e "$state" ]; then
	had_state=1
	saved_state=$state.deb-test-saved.$$
	mv "$state" "$saved_state"
fi
saved_hook=
if [ -e "$hookf" ]; then
	saved_hook=$T/hook.saved
	cp -a "$hookf" "$saved_hook"
	rm -f "$hookf"
fi
made_piddir=
fake_pid=
diverted=

# Put everything back. Called at the end and again at exit: only the first
# call acts, so the second cannot remove a state directory put back.
restored=
restore_machine() {
	[ -z "$restored" ] || return 0
	restored=1
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null
		wait "$fake_pid" 2>/dev/null
		fake_pid=
	fi
	rm -f "$pidfile"
	[ -z "$made_piddir" ] || rmdir "$piddir" 2>/dev/null
	made_piddir=
	if [ -n "$diverted" ]; then
		dpkg-divert --local --no-rename --remove "$pm" >/dev/null 2>&1
		diverted=
	fi
	case $(pkg_status bucardo-aiven) in
	'' | not-installed) ;;
	*) apt_get purge bucardo-aiven >>"$T/restore.log" 2>&1 ;;
	esac
	if [ "$(sha256sum <"$pm")" != "$sha_before" ]; then
		apt_get install --reinstall bucardo >>"$T/restore.log" 2>&1
	fi
	rm -rf "$state"
	if [ -n "$saved_state" ]; then
		mv "$saved_state" "$state"
		saved_state=
	fi
	rm -f "$hookf"
	[ -z "$saved_hook" ] || cp -a "$saved_hook" "$hookf"
}
at_exit restore_machine

# dpkg_run LOG COMMAND...: dpkg itself has no lock timeout; wait for another
# apt or dpkg run (up to 10 minutes) rather than fail.
dpkg_run() {
	local log=$1 rc
	shift
	for _ in $(seq 300); do
		"$@" >"$log" 2>&1
		rc=$?
		if [ "$rc" != 0 ] && grep -qiE 'locked by another|get lock|frontend lock' "$log"; then
			sleep 2
			continue
		fi
		return "$rc"
	done
	return "$rc"
}

# status_is WANT NAME: bucardo-aiven status on the machine exits WANT.
status_is() {
	local rc=0
	"$tool" status >"$T/status.out" 2>&1 || rc=$?
	if [ "$rc" = "$1" ]; then pass "$2"
	else fail "$2" "status exited $rc, wanted $1" "$(cat "$T/status.out")"; fi
}

# log_has LOG TEXT NAME: the output of an apt or dpkg run says TEXT.
log_has() {
	if grep -qF -- "$2" "$1"; then pass "$3"
	else fail "$3" "wanted: $2" "got: $(grep -v 'Reading database' "$1" | tail -n 25)"; fi
}

log_lacks() {
	if ! grep -qF -- "$2" "$1"; then pass "$3"
	else fail "$3" "unwanted: $2" "got: $(grep -F -- "$2" "$1")"; fi
}

# --- Build ------------------------------------------------------------------
mkdir -p "$T/src"
if git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$SRCDIR" ls-files -z -co --exclude-standard |
		(cd "$SRCDIR" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		tar -xf - -C "$T/src"
else
	(cd "$SRCDIR" && tar --exclude='./build*' --exclude='./obj-*' -cf - .) | tar -xf - -C "$T/src"
fi
t0=$(date +%s)
(cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$T/build.log" 2>&1
build_rc=$?
debs=("$T"/bucardo-aiven_*.deb)
deb=${debs[0]}
chgs=("$T"/bucardo-aiven_*.changes)
changes=${chgs[0]}
if [ "$build_rc" = 0 ] && [ -f "$deb" ]; then
	pass "dpkg-buildpackage -us -uc -b builds $(basename "$deb") ($(($(date +%s) - t0)) s)"
else
	fail "dpkg-buildpackage -us -uc -b builds the package" "exit $build_rc" "$(tail -n 30 "$T/build.log")"
	bail "no package to test"
fi

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$T/contents"
check "the binary is /usr/sbin/bucardo-aiven" grep -qx /usr/sbin/bucardo-aiven "$T/contents"
check "the man page is in section 8" grep -qx /usr/share/man/man8/bucardo-aiven.8.gz "$T/contents"
check "the README is shipped" grep -Eqx '/usr/share/doc/bucardo-aiven/README.md(.gz)?' "$T/contents"
check "the JSON schema is shipped" grep -qx /usr/share/bucardo-aiven/bucardo-aiven.schema.json "$T/contents"
check "the bash completion is installed by meson" \
	grep -qx /usr/share/bash-completion/completions/bucardo-aiven "$T/contents"
check "/etc/default/bucardo-aiven is a conffile" \
	sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./conffiles | grep -qx $defaults"
depends=$(dpkg-deb -f "$deb" Depends)
contains "$depends" "libgit2-1." "Depends names the libgit2 package the binary dlopens"
contains "$(dpkg-deb -f "$deb" Recommends)" "libpq5" "Recommends libpq5 (check-db dlopens it)"
contains "$(dpkg-deb -f "$deb" Enhances)" "bucardo" "Enhances bucardo"
check "the trigger file declares interest-noawait in Bucardo.pm" \
	sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./triggers | grep -qx 'interest-noawait $pm'"

# lintian: errors fail the test; warnings are reported.
lintian --fail-on error "$changes" >"$T/lintian.out" 2>"$T/lintian.err"
lrc=$?
if [ "$lrc" = 0 ]; then
	pass "lintian reports no error"
	grep -E '^[WIP]: ' "$T/lintian.out" | sed 's/^/# lintian: /'
else
	fail "lintian reports no error" "exit $lrc" "$(cat "$T/lintian.out" "$T/lintian.err")"
fi

# --- Install ----------------------------------------------------------------
apt_get install "$deb" >"$T/install.log" 2>&1
check "apt-get installs the package" test "$(pkg_status bucardo-aiven)" = installed
check "installing it patches nothing (PATCH_ON_INSTALL=no)" test "$(sha256sum <"$pm")" = "$sha_before"
check "and creates no state directory" test ! -e "$state"
contains "$("$tool" -V 2>&1)" "bucardo-aiven $(dpkg-query -W -f='${Version}' bucardo-aiven)" \
	"/usr/sbin/bucardo-aiven runs and its version is the package's"
check "the man page is installed" sh -c "zcat /usr/share/man/man8/bucardo-aiven.8.gz | grep -q '^.Dt BUCARDO-AIVEN 8'"
comp=/usr/share/bash-completion/completions/bucardo-aiven
complete_words() {
	# shellcheck disable=SC2016
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_bucardo_aiven; printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@"
}
check "bash completes a command" test "$(complete_words bucardo-aiven ap)" = apply
contains "$(complete_words bucardo-aiven apply --re)" "--reapply" "bash completes apply's options"
contains "$(complete_words bucardo-aiven hook '' | tr '\n' ' ')" "install remove status" \
	"bash completes hook's actions"
check "dpkg registered the trigger interest" \
	grep -qx "$pm bucardo-aiven/noawait" /var/lib/dpkg/triggers/File
check "$defaults says PATCH_ON_INSTALL=no" grep -qx 'PATCH_ON_INSTALL=no' "$defaults"

# The postinst reads Bucardo's pid file, in a directory the bucardo user
# owns: its reader, as installed, must not block on a fifo or follow a link.
readpid=$(sed -n '/^read_pid()/,/^}/p' /var/lib/dpkg/info/bucardo-aiven.postinst)
check "the installed postinst has its careful pid reader" test -n "$readpid"
mkfifo "$T/fifo.pid"
printf '4242\n' >"$T/plain.pid"
ln -s "$T/plain.pid" "$T/link.pid"
for kind in fifo plain link; do
	got=$(PIDFILE=$T/$kind.pid timeout -k 2 20 sh -c "$readpid
read_pid")
	rc=$?
	case $kind in
	plain) check "read_pid reads a plain pid file" test "$rc/$got" = 0/4242 ;;
	*) check "read_pid on a $kind returns at once with nothing" test "$rc" = 0 -a -z "$got" ;;
	esac
done
status_is 3 "status on this machine: not patched (exit 3)"

# --- Patch, then a bucardo reinstall fires the trigger ----------------------
"$tool" apply -q >"$T/apply.out" 2>&1
status_is 0 "bucardo-aiven apply patches this machine's Bucardo.pm"
check "and lists it in the watchlist" sh -c "cut -f1 '$state/watchlist' | grep -qxF '$pm'"
sha_patched=$(sha256sum <"$pm")

# A running Bucardo (a stand-in process with the daemon's title) is
# restarted, through invoke-rc.d, which asks policy-rc.d. Only where the
# policy forbids restarts (containers), so that nothing is really restarted.
fake=
if [ -x /usr/sbin/policy-rc.d ]; then
	prc=0
	/usr/sbin/policy-rc.d bucardo restart >/dev/null 2>&1 || prc=$?
	[ "$prc" = 101 ] && fake=1
fi
if [ -n "$fake" ]; then
	[ -d "$piddir" ] || { mkdir -p "$piddir" && made_piddir=1; }
	bash -c 'exec -a "Bucardo Master Control Program v5.6.0." sleep 600' &
	fake_pid=$!
	echo "$fake_pid" >"$pidfile"
fi

t0=$(date +%s)
apt_get install --reinstall bucardo >"$T/reinstall.log" 2>&1
rc=$?
check "apt-get install --reinstall bucardo exits 0 ($(($(date +%s) - t0)) s)" test "$rc" = 0
status_is 0 "the trigger patched the reinstalled Bucardo.pm again"
log_has "$T/reinstall.log" "bucardo-aiven: patched again the Bucardo.pm that a package replaced" \
	"apt's output says so"
"$tool" history "$pm" >"$T/history.out" 2>&1
check "bucardo-aiven history shows a second apply" test "$(grep -c ' apply ' "$T/history.out")" = 2
if [ -n "$fake" ]; then
	log_has "$T/reinstall.log" "policy-rc.d forbids restarting Bucardo now" \
		"a running Bucardo is restarted with invoke-rc.d, and policy-rc.d is honoured"
	check "the stand-in daemon was left running" kill -0 "$fake_pid"
	kill "$fake_pid" 2>/dev/null
	wait "$fake_pid" 2>/dev/null
	fake_pid=
	rm -f "$pidfile"
	[ -z "$made_piddir" ] || rmdir "$piddir"
	made_piddir=
else
	skip "a running Bucardo is restarted through invoke-rc.d" \
		"policy-rc.d does not forbid restarts here; the test restarts nothing for real"
fi

# A failing re-apply (a state directory others could write to) does not fail
# the bucardo package, and says so loudly.
chmod 777 "$state"
apt_get install --reinstall bucardo >"$T/fail.log" 2>&1
rc=$?
check "with the re-apply failing, apt-get install --reinstall bucardo still exits 0" test "$rc" = 0
check "bucardo is configured" test "$(pkg_status bucardo)" = installed
log_has "$T/fail.log" "ERROR: a package replaced Bucardo.pm, and it could not be patched again" \
	"the failure is reported on stderr"
log_has "$T/fail.log" "the state directory is writable by group or others" "with the tool's reason"
log_has "$T/fail.log" "run as root:  bucardo-aiven apply" "and the command to run by hand"
status_is 3 "Bucardo.pm is left unpatched"
chmod 700 "$state"
"$tool" apply -q >"$T/apply.out" 2>&1
status_is 0 "the command it gives fixes it"

# --- PATCH_ON_INSTALL -------------------------------------------------------
"$tool" revert -q >"$T/revert.out" 2>&1
status_is 3 "revert puts the original back"
dpkg_run "$T/reconf.log" dpkg-reconfigure bucardo-aiven
status_is 3 "dpkg-reconfigure with PATCH_ON_INSTALL=no leaves a reverted copy alone"
sed -i 's/^PATCH_ON_INSTALL=no$/PATCH_ON_INSTALL=yes/' "$defaults"
dpkg_run "$T/reconf.log" dpkg-reconfigure bucardo-aiven
rc=$?
check "dpkg-reconfigure with PATCH_ON_INSTALL=yes exits 0" test "$rc" = 0
status_is 0 "and patches Bucardo.pm"
log_has "$T/reconf.log" "PATCH_ON_INSTALL=yes: patched Bucardo.pm" "and says so"
log_lacks "$T/reconf.log" "restart" "no Bucardo runs: nothing about restarting"
sed -i 's/^PATCH_ON_INSTALL=yes$/PATCH_ON_INSTALL=no/' "$defaults"

# --- A diverted Bucardo.pm --------------------------------------------------
if dpkg_run "$T/divert.log" dpkg-divert --local --no-rename --divert "$pm.deb-test" --add "$pm"; then
	diverted=1
	dpkg_run "$T/reconf.log" dpkg-reconfigure bucardo-aiven
	log_has "$T/reconf.log" "is diverted (by LOCAL, to $pm.deb-test)" \
		"configure warns that a diverted Bucardo.pm escapes the trigger"
	"$tool" hook install >/dev/null 2>&1
	dpkg_run "$T/reconf.log" dpkg-reconfigure bucardo-aiven
	log_lacks "$T/reconf.log" "is diverted" "but not when the apt hook is installed"
	dpkg_run "$T/divert.log" dpkg-divert --local --no-rename --remove "$pm"
	check "the test's diversion is gone" test -z "$(dpkg-divert --listpackage "$pm")"
	diverted=
else
	fail "dpkg-divert adds a diversion for the test" "$(cat "$T/divert.log")"
fi

# --- Remove and purge (README.Debian) ---------------------------------------
"$tool" hook install >/dev/null 2>&1
check "the apt hook is installed" test -f "$hookf"
apt_get remove bucardo-aiven >"$T/remove.log" 2>&1
rc=$?
check "apt-get remove bucardo-aiven exits 0" test "$rc" = 0
check "remove: the package is gone, its conffile kept" test "$(pkg_status bucardo-aiven)" = config-files
check "remove: Bucardo.pm stays patched" test "$(sha256sum <"$pm")" = "$sha_patched"
check "remove: the state directory stays" test -f "$state/watchlist"
check "remove: the apt hook is removed" test ! -e "$hookf"
log_has "$T/remove.log" "removed the apt hook" "and says so"
check "remove: the trigger interest is gone" sh -c "! grep -q bucardo-aiven /var/lib/dpkg/triggers/File"

apt_get purge bucardo-aiven >"$T/purge.log" 2>&1
rc=$?
check "apt-get purge bucardo-aiven exits 0" test "$rc" = 0
check "purge: nothing of the package is left in dpkg" test -z "$(pkg_status bucardo-aiven | grep -v not-installed)"
check "purge: $defaults is gone" test ! -e "$defaults"
check "purge: Bucardo.pm stays patched" test "$(sha256sum <"$pm")" = "$sha_patched"
check "purge: with a file still patched, the state directory (its original) is kept" \
	test -f "$state/watchlist"
log_has "$T/purge.log" "purge keeps $state" "and purge says why"
log_has "$T/purge.log" "apt-get install --reinstall bucardo" "and how to restore"

apt_get install "$deb" >"$T/install.log" 2>&1
check "installed again" test "$(pkg_status bucardo-aiven)" = installed
status_is 0 "Bucardo.pm still patched"
"$tool" revert -q >"$T/revert.out" 2>&1
check "revert gives back the original" test "$(sha256sum <"$pm")" = "$sha_before"
apt_get purge bucardo-aiven >"$T/purge.log" 2>&1
rc=$?
check "purge after revert exits 0" test "$rc" = 0
check "purge: with nothing patched, the state directory is removed" test ! -e "$state"

# --- The machine as it was --------------------------------------------------
restore_machine
check "bucardo-aiven is not installed" test -z "$(pkg_status bucardo-aiven | grep -v not-installed)"
check "Bucardo.pm is as it was" test "$(sha256sum <"$pm")" = "$sha_before"
check "dpkg -V bucardo is as it was" test "$(dpkg -V bucardo)" = "$verify_before"
if [ -n "$saved_hook" ]; then
	same_file "$hookf" "$saved_hook" "the apt hook is as it was"
else
	check "no apt hook is left" test ! -e "$hookf"
fi
if [ -n "$had_state" ]; then
	check "the state directory is back" test -d "$state"
else
	check "no state directory is left" test ! -e "$state"
fi
check "no diversion is left" test -z "$(dpkg-divert --listpackage "$pm")"
check "no pid file is left" test ! -e "$pidfile"
echo "# tests/pkg/deb.sh took $(($(date +%s) - started)) s"

done_testing
