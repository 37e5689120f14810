# hook.sh: the apt hook never carries a shell command of anyone's making. hook install run
# from a binary whose path holds $(...), backticks, ;, |, ||, a newline or a space, or given
# such a --binary, is refused and writes nothing; whatever hook file exists is run through
# sh -c exactly as apt runs DPkg::Post-Invoke, and no marker appears. A hook that would run
# a binary the user can replace (in their directory, or theirs) is refused too.
. "$(dirname "$0")/../lib/hostile.sh"
make_evil

# run_hook_file R CASE: if R's hook file exists, run its DPkg::Post-Invoke
# command through sh -c as apt would, as root, in a mount namespace where
# the host's modules and /var/lib are empty tmpfs mounts (the command runs
# "bucardo-aiven apply --reapply" on the live system).
run_hook_file() {
	local f=$1/etc/apt/apt.conf.d/80bucardo-aiven cmd
	[ -f "$f" ] || return 0
	cmd=$(sed -n 's/^DPkg::Post-Invoke { "\(.*\)"; };$/\1/p' "$f")
	[ -n "$cmd" ] || return 0
	printf '%s' "$cmd" >"$T/.hookcmd"
	in_ns "
ns_hide_modules
mount -t tmpfs -o mode=755 ba-sec /var/lib || exit 99
cd /
timeout -k 5 \$DEADLINE sh -c \"\$(cat $T/.hookcmd)\" </dev/null >/dev/null 2>&1
exit 0
"
}

# hostile_copy DIRNAME: a copy of the tool in a root-owned directory named
# DIRNAME (its slashes make nested directories) below $T/hk.N; prints its path.
n=0
hostile_copy() {
	n=$((n + 1))
	local d="$T/hk.$n/$1"
	mkdir -p "$d"
	cp "$BUCARDO_AIVEN" "$d/bucardo-aiven"
	chmod 755 "$d/bucardo-aiven"
	printf '%s\n' "$d/bucardo-aiven"
}

# case_copy NAME MARKER DIRNAME: hook install --root R run from a copy of the
# tool in DIRNAME must be refused, write no hook, and no marker appears.
case_copy() {
	local name=$1 m=$2 bin R=$T/$2/root
	mkdir -p "$R/etc/apt/apt.conf.d"
	bin=$(hostile_copy "$3")
	BA_BIN=$bin ba --root "$R" hook install
	refused "5 $name: hook install run from it is refused"
	check "5 $name: no hook file is written" test ! -e "$R/etc/apt/apt.conf.d/80bucardo-aiven"
	run_hook_file "$R"
	no_marker "$m" "5 $name: running what was written, as apt would, runs nothing of the path's"
}

i='${IFS}'
case_copy 'binary in a directory named $(touch${IFS}MARKER)' h1 "\$(touch$i$MK/h1)"
case_copy 'binary in a directory named `touch${IFS}MARKER`' h2 "\`touch$i$MK/h2\`"
case_copy 'binary in a directory named x;touch${IFS}MARKER;' h3 "x;touch$i$MK/h3;"
case_copy 'binary in a directory named x|touch${IFS}MARKER|x' h4 "x|touch$i$MK/h4|x"
case_copy 'binary in a directory named x||touch${IFS}MARKER||x' h5 "x||touch$i$MK/h5||x"
case_copy 'binary in a directory named $(touch MARKER) (with a space)' h6 "\$(touch $MK/h6)"
case_copy 'binary in a directory named x<newline>touch${IFS}MARKER' h7 "x
touch$i$MK/h7"
case_copy 'binary in a directory named x&touch${IFS}MARKER&' h8 "x&touch$i$MK/h8&"

# --binary PATH (the lead is adding it): the same paths, given.
case_binary() {
	local name=$1 m=$2 R=$T/$2/root
	mkdir -p "$R/etc/apt/apt.conf.d"
	ba --root "$R" hook install --binary "$3"
	refused "5 --binary $name: refused"
	check "5 --binary $name: no hook file is written" test ! -e "$R/etc/apt/apt.conf.d/80bucardo-aiven"
	run_hook_file "$R"
	no_marker "$m" "5 --binary $name: running what was written runs nothing of the path's"
}
case_binary "'/x/\$(touch MARKER)'" b1 "/x/\$(touch $MK/b1)"
case_binary "'/x/\$(touch\${IFS}MARKER)/bucardo-aiven'" b2 "/x/\$(touch$i$MK/b2)/bucardo-aiven"
case_binary "'/x/\`touch\${IFS}MARKER\`'" b3 "/x/\`touch$i$MK/b3\`"
case_binary "'/x/a|touch\${IFS}MARKER'" b4 "/x/a|touch$i$MK/b4"
case_binary "relative 'x/\$(touch\${IFS}MARKER)'" b5 "x/\$(touch$i$MK/b5)"
mkdir -p "$EVIL_HOME/sbin"
chown "$EVIL_UID:$EVIL_GID" "$EVIL_HOME/sbin"
cp "$BUCARDO_AIVEN" "$EVIL_HOME/sbin/bucardo-aiven"
chmod 755 "$EVIL_HOME/sbin/bucardo-aiven"
case_binary "naming a root-owned binary in a directory of the user's" b6 "$EVIL_HOME/sbin/bucardo-aiven"

# A plain --binary is accepted and is what the hook runs (the option works at all).
mkdir -p "$T/sbin" "$T/plain/root/etc/apt/apt.conf.d" "$T/plain/root$T/sbin"
cp "$BUCARDO_AIVEN" "$T/sbin/bucardo-aiven"
cp "$BUCARDO_AIVEN" "$T/plain/root$T/sbin/bucardo-aiven"
ba --root "$T/plain/root" hook install --binary "$T/sbin/bucardo-aiven"
expect_rc 0 "5 --binary PLAIN: a plain root-owned path is accepted"
check "5 --binary PLAIN: the hook runs that binary" \
	grep -qF "$T/sbin/bucardo-aiven apply --reapply" "$T/plain/root/etc/apt/apt.conf.d/80bucardo-aiven"

# The hook would run a binary the user can replace.
R=$T/u1/root
mkdir -p "$R/etc/apt/apt.conf.d"
BA_BIN=$EVIL_HOME/sbin/bucardo-aiven ba --root "$R" hook install
refused "5 hook install run from a root-owned binary in a directory of uid $EVIL_UID is refused"
check "5 and no hook naming it is written" test ! -e "$R/etc/apt/apt.conf.d/80bucardo-aiven"
R=$T/u2/root
mkdir -p "$R/etc/apt/apt.conf.d" "$T/u2/sbin"
cp "$BUCARDO_AIVEN" "$T/u2/sbin/bucardo-aiven"
chown "$EVIL_UID:$EVIL_GID" "$T/u2/sbin/bucardo-aiven"
chmod 755 "$T/u2/sbin/bucardo-aiven"
BA_BIN=$T/u2/sbin/bucardo-aiven ba --root "$R" hook install
refused "5 hook install run from a binary owned by uid $EVIL_UID is refused"
check "5 and no hook naming it is written" test ! -e "$R/etc/apt/apt.conf.d/80bucardo-aiven"

# A binary in a place anybody may fill: apt runs the hook for as long as it
# is installed, and what nobody can replace today anybody can create once
# it is gone (a build tree in /tmp, removed).
R=$T/st/root
mkdir -p "$R/etc/apt/apt.conf.d" "$R/tmp/tree"
chmod 1777 "$R/tmp"
cp "$BUCARDO_AIVEN" "$R/tmp/tree/bucardo-aiven"
ba --root "$R" hook install --binary /tmp/tree/bucardo-aiven
refused "5 --binary below a sticky world-writable directory (a build tree in /tmp) is refused"
check "5 and no hook naming it is written" test ! -e "$R/etc/apt/apt.conf.d/80bucardo-aiven"
ba --root "$R" hook install --binary /tmp/bucardo-aiven
refused "5 --binary that does not exist, in a sticky world-writable directory, is refused"
ba --root "$R" hook install --binary /tmp/ba/bin/bucardo-aiven
refused "5 --binary whose missing directories anybody may create is refused"
contains "$errout" "$R/tmp is writable by everybody" "5 and the message names the directory anybody may fill"
check "5 and no hook naming them is written" test ! -e "$R/etc/apt/apt.conf.d/80bucardo-aiven"
mkdir -p "$R/opt"
ba --root "$R" hook install --binary /opt/ba/bin/bucardo-aiven
check "5 --binary that does not exist yet below a root-only directory is accepted (exit $rc)" test "$rc" = 0
contains "$errout" "does not exist" "5 with a warning that it does not exist"
in_time "5: every run ended within ${DEADLINE}s"

done_testing
