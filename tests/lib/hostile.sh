# tests/lib/hostile.sh: a hostile local user for the security tests (tests/security).
# Sourced by each script after nothing else; it sources tap.sh itself.
#
# Each script gets one throwaway unprivileged user ($EVIL, uid $EVIL_UID),
# made with useradd and removed at exit together with every process it
# still has; a marker directory ($MK) that only root can write to, which
# the hostile payloads try to write into; the racer helper ($RACER); and
# helpers to run the tool as root under a deadline, to run commands as the
# user, to run a script in a private mount namespace, and to compare
# snapshots of the trees an attack must not change.
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# The tool and every perl it runs see a plain root PATH (no shims, no
# user directories) unless a case sets one on purpose.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
unset PERL5OPT PERL5LIB PERLLIB PERL5DB PERL5DB_THREADED PERL_USE_UNSAFE_INC

# Seconds a run of the tool may take; a run still going then is a failure.
DEADLINE=${DEADLINE:-30}
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the security tests need root (they create a user and run the tool as root)"
	trap - EXIT
	rm -rf "$T"
	exit 0
fi
for _cmd in useradd userdel setpriv unshare timeout python3 sha256sum; do
	if ! command -v "$_cmd" >/dev/null; then
		echo "1..0 # SKIP $_cmd is missing"
		trap - EXIT
		rm -rf "$T"
		exit 0
	fi
done

# Every process a script starts in the background is noted here and killed by
# PID at exit.
_bg_pids=()
track() { _bg_pids+=("$1"); }
kill_tracked() {
	local p live=()
	for p in "${_bg_pids[@]+"${_bg_pids[@]}"}"; do
		# TERM first: timeout(1) passes it on to the command it runs.
		kill -TERM "$p" 2>/dev/null && live+=("$p")
	done
	[ ${#live[@]} = 0 ] || sleep 0.3
	for p in "${live[@]+"${live[@]}"}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_bg_pids=()
}
at_exit kill_tracked

# --- the racer --------------------------------------------------------------
# meson passes the built racer as the script's first argument; by hand, set
# RACER, or it is built here from tests/security/racer.c.
RACER=${RACER:-}
if [ -z "$RACER" ] && [ -n "${1:-}" ] && [ -x "$1" ]; then
	RACER=$1
fi
if [ -z "$RACER" ]; then
	if ! ${CC:-cc} -O2 -o "$T/racer" "$SRCDIR/tests/security/racer.c" 2>"$T/.racer-cc"; then
		echo "Bail out! cannot build tests/security/racer.c: $(head -c 300 "$T/.racer-cc")"
		exit 1
	fi
	RACER=$T/racer
else
	# The user must be able to run it: a copy in $T, whatever the build
	# directory's permissions.
	cp "$RACER" "$T/racer"
	RACER=$T/racer
fi
chmod 755 "$RACER"

# --- the hostile user -------------------------------------------------------
EVIL=ba-evil-$$
EVIL_HOME=$T/evilhome
EVIL_UID=
EVIL_GID=

remove_evil() {
	local uid pid
	uid=$(id -u "$EVIL" 2>/dev/null) || uid=$EVIL_UID
	if [ -n "$uid" ]; then
		# By PID, every process the user still has.
		for pid in $(ps -e -o pid= -o uid= | awk -v u="$uid" '$2 == u { print $1 }'); do
			kill -KILL "$pid" 2>/dev/null
		done
	fi
	if getent passwd "$EVIL" >/dev/null; then
		userdel "$EVIL" 2>/dev/null || userdel -f "$EVIL"
	fi
	if getent group "$EVIL" >/dev/null; then
		groupdel "$EVIL" 2>/dev/null
	fi
}

make_evil() {
	if ! grep -q '^root:x:0:0:' /etc/passwd; then
		echo "Bail out! /etc/passwd has no root entry (has something overwritten it?); not adding a user to it"
		exit 1
	fi
	mkdir -p "$EVIL_HOME"
	at_exit remove_evil
	if ! useradd --no-create-home --home-dir "$EVIL_HOME" --shell /bin/sh --user-group "$EVIL" 2>"$T/.useradd"; then
		echo "Bail out! useradd $EVIL failed: $(head -c 300 "$T/.useradd")"
		exit 1
	fi
	EVIL_UID=$(id -u "$EVIL")
	EVIL_GID=$(id -g "$EVIL")
	evil_argv=(env -i HOME="$EVIL_HOME" PATH=/usr/bin:/bin LC_ALL=C
	    setpriv --reuid="$EVIL_UID" --regid="$EVIL_GID" --clear-groups --)
	chown "$EVIL_UID:$EVIL_GID" "$EVIL_HOME"
	chmod 755 "$EVIL_HOME"
}

# as_evil CMD...: run CMD as the hostile user, with a clean environment.
# ${evil_argv[@]} CMD... does the same without a function, so that "&"
# gives the PID of CMD itself (env and setpriv exec it).
evil_argv=()
as_evil() {
	"${evil_argv[@]}" "$@"
}

# evil_dir DIR...: make each DIR (and missing parents below $T) owned by the user.
evil_dir() {
	local d
	for d in "$@"; do
		mkdir -p "$d"
		chown "$EVIL_UID:$EVIL_GID" "$d"
		chmod 755 "$d"
	done
}

# --- markers ----------------------------------------------------------------
# Only root can create files in $MK: a marker there proves that the user's
# code ran as root. Payloads write their uid into it.
MK=$T/mk
mkdir -p "$MK"
chmod 755 "$MK"

# payload_perl NAME: Perl code that writes marker NAME.
payload_perl() {
	printf "BEGIN { if (open my \$bam, '>', '%s/%s') { print \$bam \"\$<\\\\n\"; close \$bam } }" "$MK" "$1"
}

# payload_sh NAME: a shell script that writes marker NAME, then behaves like
# "perl -e 'print @INC'" would for a caller that ignores the answer.
payload_sh() {
	printf '#!/bin/sh\nPATH=/usr/bin:/bin; id -u >%s/%s 2>/dev/null\nexit 0\n' "$MK" "$1"
}

# evil_module NAME [FIXTURE]: a Bucardo.pm that apply would patch, with a
# BEGIN block that writes marker NAME when anything compiles it.
evil_module() {
	awk -v p="$(payload_perl "$1")" '{ print } /^package Bucardo;/ && !done { print p; done = 1 }' \
	    "${2:-$FIXTURES/bucardo-5.6.pm}"
}

# no_marker NAME CASE: the marker never appeared.
no_marker() {
	if [ -e "$MK/$1" ]; then
		fail "$2" "marker $MK/$1 exists: code the user wrote ran as uid $(cat "$MK/$1" 2>/dev/null)"
	else
		pass "$2"
	fi
}

# --- running the tool -------------------------------------------------------
# ba_with [VAR=VALUE...] -- ARGS...: run the tool as root with those
# variables added, stdin from /dev/null, within $DEADLINE seconds (in
# $BA_CWD when set; the binary $BA_BIN when set; under umask $BA_UMASK when set).
# Sets rc, out, errout. A run stopped by the deadline
# is noted in $overruns (see in_time).
overruns=
ba_with() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	(
		cd "${BA_CWD:-$T}" || exit 125
		[ -z "${BA_UMASK:-}" ] || umask "$BA_UMASK"
		exec timeout -k 5 "$DEADLINE" env ${envs[@]+"${envs[@]}"} "${BA_BIN:-$BA}" "$@"
	) </dev/null >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		overruns="$overruns
ran past ${DEADLINE}s (exit $rc): bucardo-aiven $*"
	fi
}
ba() { ba_with -- "$@"; }

# in_time CASE: no run since the last in_time overran the deadline.
in_time() {
	if [ -z "$overruns" ]; then pass "$1"
	else fail "$1" "$overruns"; fi
	overruns=
}

# refused CASE: the last run exited non-zero, within the deadline.
refused() {
	if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$rc" != 137 ]; then pass "$1"
	else fail "$1" "exit $rc" "stdout: $(head -c 800 "$T/.out")" "stderr: $(head -c 800 "$T/.err")"; fi
}

# --- snapshots --------------------------------------------------------------
# snap FILE PATH...: type, mode, owner, size and link target of everything
# below the PATHs, and the sha256 of every regular file.
snap() {
	local f=$1; shift
	{
		find "$@" -printf '%y %m %U:%G %s %p -> %l\n' 2>/dev/null | sort
		find "$@" -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum
	} >"$f"
}

# unchanged FILE CASE PATH...: a new snapshot of PATHs equals FILE's.
unchanged() {
	local f=$1 name=$2; shift 2
	snap "$f.now" "$@"
	if cmp -s "$f" "$f.now"; then pass "$name"
	else fail "$name" "$(diff "$f" "$f.now" | head -20)"; fi
}

# no_user_files CASE DIR...: nothing below DIRs is owned by the hostile user
# and no temporary file of the tool is left there.
no_leftovers() {
	local name=$1 found; shift
	found=$(find "$@" \( -uid "$EVIL_UID" -o -name '.Bucardo.pm.bucardo-aiven.*' \) -printf '%u %p\n' 2>/dev/null)
	if [ -z "$found" ]; then pass "$name"
	else fail "$name" "$found"; fi
}

# --- JSON -------------------------------------------------------------------
# json_states FILE PREFIX: the state of every entry whose path or real_path
# starts with PREFIX, one per line ("-" when there is none).
json_states() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("unparsable:%s" % e)
    sys.exit(0)
hits = [f for f in d.get("files", [])
        if str(f.get("path") or "").startswith(sys.argv[2]) or str(f.get("real_path") or "").startswith(sys.argv[2])]
for f in hits:
    print(f.get("state"))
if not hits:
    print("-")
EOF
}

# json_entry FILE PREFIX: every entry for PREFIX, as JSON text (for messages).
json_entry() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
for f in d.get("files", []):
    if str(f.get("path") or "").startswith(sys.argv[2]) or str(f.get("real_path") or "").startswith(sys.argv[2]):
        print(json.dumps(f))
EOF
}

# --- a private mount namespace ---------------------------------------------
# in_ns SCRIPT: run the bash code SCRIPT as root in a new mount namespace
# with private propagation, so that mounts made there (tmpfs over the live
# system's module directories) are seen by nothing else and vanish with it.
# The code sees T, BA, FIXTURES, MK, EVIL_UID, EVIL_GID, EVIL_HOME, DEADLINE
# and the functions below (ns_hide_modules, ns_ba). Returns its status.
in_ns() {
	{
		printf 'set -u\n'
		printf 'T=%q BA=%q FIXTURES=%q MK=%q EVIL_UID=%q EVIL_GID=%q EVIL_HOME=%q DEADLINE=%q\n' \
		    "$T" "$BA" "$FIXTURES" "$MK" "$EVIL_UID" "$EVIL_GID" "$EVIL_HOME" "$DEADLINE"
		cat <<'EOF'
# Hide every directory that holds a Bucardo.pm on this host (the places the
# tool searches and perl's @INC) behind an empty tmpfs, and put a trusted
# copy of the 5.6 fixture in /usr/share/perl5. Stops the script if that
# fails: nothing may run against the host's own module.
ns_hide_modules() {
	local d
	for d in /etc/perl /usr/local/lib/*/perl/5.* /usr/local/share/perl/5.* /usr/lib/*/perl5/5.* \
	    /usr/share/perl5 /usr/local/lib64/perl5/5.* /usr/local/share/perl5/5.* /usr/local/lib64/perl5 \
	    /usr/local/share/perl5 /usr/lib64/perl5/vendor_perl /usr/share/perl5/vendor_perl \
	    /usr/local/lib/site_perl /usr/local/lib/perl5/site_perl/5.* /usr/lib/perl5/site_perl \
	    /usr/share/perl5/site_perl /root/perl5/lib/perl5 /root/perl5/perlbrew/perls/*/lib/site_perl/5.* \
	    $(/usr/bin/perl -e 'print "$_\n" for grep { m{^/} } @INC' 2>/dev/null); do
		if [ -d "$d" ] && { [ -e "$d/Bucardo.pm" ] || [ -L "$d/Bucardo.pm" ]; }; then
			mount -t tmpfs -o mode=755 ba-sec "$d" || exit 99
		fi
	done
	if [ ! -d /usr/share/perl5 ]; then
		echo "no /usr/share/perl5 on this host" >&2
		exit 98
	fi
	if [ "$(findmnt -n -o SOURCE /usr/share/perl5)" != ba-sec ]; then
		mount -t tmpfs -o mode=755 ba-sec /usr/share/perl5 || exit 99
	fi
	cp "$FIXTURES/bucardo-5.6.pm" /usr/share/perl5/Bucardo.pm || exit 99
	chmod 644 /usr/share/perl5/Bucardo.pm
}
# ns_ba OUT [VAR=VALUE...] -- ARGS: the tool as root under the deadline;
# OUT.rc, OUT.out, OUT.err.
ns_ba() {
	local o=$1 envs=(); shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	(cd "${BA_CWD:-/}" && exec timeout -k 5 "$DEADLINE" env ${envs[@]+"${envs[@]}"} "$BA" "$@") \
	    </dev/null >"$o.out" 2>"$o.err"
	echo $? >"$o.rc"
}
as_evil() {
	env -i HOME="$EVIL_HOME" PATH=/usr/bin:/bin LC_ALL=C \
	    setpriv --reuid="$EVIL_UID" --regid="$EVIL_GID" --clear-groups -- "$@"
}
EOF
		printf '%s\n' "$1"
	} >"$T/.ns.sh"
	timeout -k 5 180 unshare -m --propagation private bash "$T/.ns.sh" &
	local pid=$!
	track "$pid"
	wait "$pid"
}

# ns_rc OUT: the exit status an ns_ba run recorded (124 when it overran).
ns_rc() { cat "$1.rc" 2>/dev/null || echo missing; }
ns_note_overrun() {
	local r
	r=$(ns_rc "$1")
	if [ "$r" = 124 ] || [ "$r" = 137 ]; then
		overruns="$overruns
ran past ${DEADLINE}s (exit $r): $1"
	fi
}

# --- the racer --------------------------------------------------------------
# start_racer OUT ARGS...: run "racer ARGS" as the hostile user in the
# background (its output in OUT), wait until it is set up; $racer_pid.
start_racer() {
	local o=$1 k=0; shift
	: >"$o"
	"${evil_argv[@]}" "$RACER" "$@" >"$o" 2>&1 &
	racer_pid=$!
	track "$racer_pid"
	while ! grep -q '^ready' "$o" && [ $k -lt 300 ]; do
		if ! kill -0 "$racer_pid" 2>/dev/null; then break; fi
		sleep 0.01
		k=$((k + 1))
	done
	grep -q '^ready' "$o"
}
stop_racer() {
	kill -TERM "$racer_pid" 2>/dev/null
	wait "$racer_pid" 2>/dev/null
}

# start_watch OUT PATH...: count opens of PATHs (as root) in the background.
start_watch() {
	local o=$1 k=0; shift
	: >"$o"
	"$RACER" opens -t 120 "$@" >"$o" 2>&1 &
	watch_pid=$!
	track "$watch_pid"
	while ! grep -q '^ready' "$o" && [ $k -lt 300 ]; do
		kill -0 "$watch_pid" 2>/dev/null || break
		sleep 0.01
		k=$((k + 1))
	done
	grep -q '^ready' "$o"
}
# stop_watch OUT: stop it; $opens is the number of opens it saw. (Not to be
# called in a subshell: only this shell can wait for the watcher.)
stop_watch() {
	kill -TERM "$watch_pid" 2>/dev/null
	wait "$watch_pid" 2>/dev/null
	opens=$(sed -n 's/^opens //p' "$1")
	[ -n "$opens" ] || opens="unknown (the watcher said: $(head -c 200 "$1"))"
}

# names_uid TEXT CASE: TEXT mentions the hostile user's uid as a number of
# its own (the user's name, which holds the test's pid, is left out).
names_uid() {
	if printf '%s\n' "$1" | sed "s/$EVIL//g" | grep -Eq "(^|[^0-9])$EVIL_UID([^0-9]|\$)"; then
		pass "$2"
	else
		fail "$2" "uid $EVIL_UID not in: $(printf '%s' "$1" | head -c 1000)"
	fi
}
