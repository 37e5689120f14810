# exec.sh: code a local user wrote never runs as root: not a Bucardo.pm of theirs (found
# below --root, through HOME, through PERL5LIB, or handed to them after it was listed), not
# an interpreter named by the bucardo script or found on PATH, not a module that root's
# environment (PERL5OPT, PERL5LIB, PERLLIB, PERL5DB, PERL_USE_UNSAFE_INC) would make perl load.
. "$(dirname "$0")/../lib/hostile.sh"
make_evil

# The host's own module and a tree outside every root: nothing may change there.
mkdir -p "$T/outside"
cp "$FIXTURES/bucardo-5.6.pm" "$T/outside/Bucardo.pm"
outside_paths=("$T/outside")
[ -e /usr/share/perl5/Bucardo.pm ] && outside_paths+=(/usr/share/perl5/Bucardo.pm)
snap "$T/.outside" "${outside_paths[@]}"

# user_writes FILE: the user replaces FILE with standard input (a new file
# renamed over it, as they can in a directory of theirs).
user_writes() {
	as_evil sh -c 'cat >"$1.new.$$" && mv -f "$1.new.$$" "$1"' sh "$1"
}

sum() { sha256sum <"$1" | cut -d' ' -f1; }

# --- 1a. A local::lib copy below --root, in a home the user owns -----------------------------
R=$T/a/root S=$T/a/state
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
mkdir -p "$R/home"
evil_dir "$R/home/$EVIL" "$R/home/$EVIL/perl5" "$R/home/$EVIL/perl5/lib" "$R/home/$EVIL/perl5/lib/perl5"
upm=$R/home/$EVIL/perl5/lib/perl5/Bucardo.pm
evil_module a-status | user_writes "$upm"

ba --root "$R" --state-dir "$S" --json status
printf '%s\n' "$out" >"$T/a.json"
states=$(json_states "$T/a.json" "$R/home/$EVIL/")
check "1a status --json: the copy in a home owned by uid $EVIL_UID has state untrusted (got: $(echo $states))" \
	test "$states" = untrusted
entry=$(json_entry "$T/a.json" "$R/home/$EVIL/")
names_uid "$entry $errout" "1a status --json: the report names the owner's uid $EVIL_UID"
contains "$entry $errout" "$R/home/$EVIL" "1a status --json: the report names the user's directory"
ba --root "$R" --state-dir "$S" status
contains "$(printf '%s\n' "$out" "$errout" | grep -F "$R/home/$EVIL")" "untrusted" \
	"1a status (text): the line for the user's copy says untrusted"
names_uid "$out $errout" "1a status (text): names the owner's uid"
no_marker a-status "1a status compiles nothing of the user's"

evil_module a-apply | user_writes "$upm"
before=$(sum "$upm")
ba --root "$R" --state-dir "$S" apply
no_marker a-apply "1a apply: the user's Bucardo.pm is never compiled (its BEGIN block did not run as root)"
check "1a apply: the user's copy is not written" test "$(sum "$upm")" = "$before"
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "1a apply: the trusted copy in /usr/share/perl5 is patched in the same run"
check "1a apply: the user's copy is not in the watch list" \
	sh -c "! grep -qF '/home/$EVIL/' '$S/watchlist' 2>/dev/null"
no_leftovers "1a apply: no temporary or user-owned file in the root-only directories" "$R/usr" "$S"

evil_module a-reapply | user_writes "$upm"
before=$(sum "$upm")
ba --root "$R" --state-dir "$S" apply --reapply
no_marker a-reapply "1a apply --reapply: the user's copy is never compiled"
check "1a apply --reapply: the user's copy is not written" test "$(sum "$upm")" = "$before"

before=$(sum "$upm")
ba --root "$R" --state-dir "$S" revert
check "1a revert: the user's copy is not written" test "$(sum "$upm")" = "$before"
in_time "1a: every run ended within ${DEADLINE}s"

# --- 1b/1c. On the live system: ~/perl5 through HOME, and PERL5LIB ---------------------------
# In a private mount namespace whose module directories are empty tmpfs
# mounts, with a trusted copy in /usr/share/perl5 and the state in $T.
evil_dir "$EVIL_HOME/perl5" "$EVIL_HOME/perl5/lib" "$EVIL_HOME/perl5/lib/perl5" "$EVIL_HOME/lib"
for v in b c; do
	mkdir -p "$T/$v"
	case $v in
	b) upm=$EVIL_HOME/perl5/lib/perl5/Bucardo.pm; envs="HOME=$EVIL_HOME"; what="HOME=$EVIL_HOME" ;;
	c) upm=$EVIL_HOME/lib/Bucardo.pm; envs="PERL5LIB=$EVIL_HOME/lib"; what="PERL5LIB=$EVIL_HOME/lib" ;;
	esac
	rm -f "$EVIL_HOME/perl5/lib/perl5/Bucardo.pm" "$EVIL_HOME/lib/Bucardo.pm"
	for step in status apply reapply; do evil_module "$v-$step" >"$T/$v/evil-$step.pm"; done
	chmod 644 "$T/$v"/evil-*.pm
	in_ns "
ns_hide_modules
w() { as_evil sh -c 'cat >\"\$1.n\" && mv -f \"\$1.n\" \"\$1\"' sh '$upm' <\"\$1\"; }
w $T/$v/evil-status.pm
ns_ba $T/$v/status-json $envs -- --state-dir $T/$v/state --json status
ns_ba $T/$v/status $envs -- --state-dir $T/$v/state status
w $T/$v/evil-apply.pm
sha256sum <'$upm' >$T/$v/user-before-apply
ns_ba $T/$v/apply $envs -- --state-dir $T/$v/state apply
sha256sum <'$upm' >$T/$v/user-after-apply
cp $T/$v/state/watchlist $T/$v/watchlist-after-apply 2>/dev/null
cp /usr/share/perl5/Bucardo.pm $T/$v/trusted-after-apply
w $T/$v/evil-reapply.pm
sha256sum <'$upm' >$T/$v/user-before-reapply
ns_ba $T/$v/reapply $envs -- --state-dir $T/$v/state apply --reapply
sha256sum <'$upm' >$T/$v/user-after-reapply
sha256sum <'$upm' >$T/$v/user-before-revert
ns_ba $T/$v/revert $envs -- --state-dir $T/$v/state revert
sha256sum <'$upm' >$T/$v/user-after-revert
"
	nsrc=$?
	check "1$v ($what): the namespace with the live module hidden was set up (exit $nsrc)" test "$nsrc" = 0
	for s in status-json status apply reapply revert; do ns_note_overrun "$T/$v/$s"; done
	states=$(json_states "$T/$v/status-json.out" "$upm")
	check "1$v ($what) status --json: the user's copy has state untrusted (got: $(echo $states))" \
		test "$states" = untrusted
	contains "$(cat "$T/$v/status.out" "$T/$v/status.err" 2>/dev/null | grep -F "$upm")" "untrusted" \
		"1$v ($what) status (text): the user's copy is shown as untrusted"
	no_marker "$v-status" "1$v ($what) status: nothing of the user's ran as root"
	no_marker "$v-apply" "1$v ($what) apply: the user's Bucardo.pm is never compiled as root"
	check "1$v ($what) apply: the user's copy is not written" cmp -s "$T/$v/user-before-apply" "$T/$v/user-after-apply"
	same_file "$T/$v/trusted-after-apply" "$FIXTURES/expected/bucardo-5.6.pm" \
		"1$v ($what) apply: the trusted copy in /usr/share/perl5 is patched in the same run"
	check "1$v ($what) apply: the user's copy is not in the watch list" \
		sh -c "! grep -qF '$EVIL_HOME/' '$T/$v/watchlist-after-apply' 2>/dev/null"
	no_marker "$v-reapply" "1$v ($what) apply --reapply: the user's copy is never compiled as root"
	check "1$v ($what) apply --reapply: the user's copy is not written" \
		cmp -s "$T/$v/user-before-reapply" "$T/$v/user-after-reapply"
	check "1$v ($what) revert: the user's copy is not written" \
		cmp -s "$T/$v/user-before-revert" "$T/$v/user-after-revert"
	in_time "1$v ($what): every run ended within ${DEADLINE}s"
done

# --- 1d. A copy listed while trusted, then handed to the user --------------------------------
for v in dir parent; do
	R=$T/d-$v/root S=$T/d-$v/state
	d=$R/usr/local/share/perl/5.36.0
	mkdir -p "$d"
	cp "$FIXTURES/bucardo-5.6.pm" "$d/Bucardo.pm"
	ba --root "$R" --state-dir "$S" apply --no-perl-check "$d/Bucardo.pm"
	check "1d ($v): the trusted copy was patched and listed first" sh -c "cut -f1 '$S/watchlist' | grep -qxF /usr/local/share/perl/5.36.0/Bucardo.pm"
	if [ $v = dir ]; then
		chown "$EVIL_UID:$EVIL_GID" "$d"
		evil_module "d-$v" | user_writes "$d/Bucardo.pm"
	else
		# Its parent handed over: the user moves the directory aside and makes their own.
		chown "$EVIL_UID:$EVIL_GID" "$R/usr/local/share/perl"
		as_evil mv "$d" "$d.old"
		as_evil mkdir "$d"
		evil_module "d-$v" | user_writes "$d/Bucardo.pm"
	fi
	before=$(sum "$d/Bucardo.pm")
	ba --root "$R" --state-dir "$S" apply --reapply
	no_marker "d-$v" "1d ($v handed to the user after apply): apply --reapply never compiles the user's file"
	check "1d ($v handed to the user after apply): apply --reapply does not write it" test "$(sum "$d/Bucardo.pm")" = "$before"
	no_leftovers "1d ($v): nothing left in the state directory" "$S"
	in_time "1d ($v): every run ended within ${DEADLINE}s"
done

# --- 1e. The bucardo script's interpreter, and perl on PATH ----------------------------------
# status and apply --check write nothing and run on the live system.
interp() { # interp FILE MARKER OWNER: a "perl" that writes MARKER
	payload_sh "$2" >"$1"
	chmod 755 "$1"
	chown "$3" "$1"
}
mkdir -p "$T/e1bin" "$T/e2bin" "$T/e3bin" "$T/e9"
evil_dir "$EVIL_HOME/bin1" "$EVIL_HOME/bin2" "$EVIL_HOME/bin3" "$EVIL_HOME/bin4" "$EVIL_HOME/bin5" "$EVIL_HOME/bin6"
# e1: #! names a perl the user owns.
interp "$EVIL_HOME/bin1/perl" e1 "$EVIL_UID:$EVIL_GID"
printf '#!%s\nprint "bucardo\\n";\n' "$EVIL_HOME/bin1/perl" >"$T/e1bin/bucardo"; chmod 755 "$T/e1bin/bucardo"
ba_with PATH="$T/e1bin:$PATH" -- --state-dir "$T/e-state" status
no_marker e1 "1e status: a bucardo script whose #! names a perl owned by uid $EVIL_UID is not run"
rm -f "$MK/e1"
ba_with PATH="$T/e1bin:$PATH" -- --state-dir "$T/e-state" apply --check
no_marker e1 "1e apply --check: nor is it run to list @INC"
cp "$FIXTURES/bucardo-5.6.pm" "$T/e9/Bucardo.pm"
rm -f "$MK/e1"
ba_with PATH="$T/e1bin:$PATH" -- --state-dir "$T/e-state" status "$T/e9/Bucardo.pm"
no_marker e1 "1e status FILE: nor is it run to tell the active copy"
# e2: a root-owned perl in a directory the user owns (they can replace it at will).
interp "$EVIL_HOME/bin2/perl" e2 0:0
printf '#!%s\nprint "bucardo\\n";\n' "$EVIL_HOME/bin2/perl" >"$T/e2bin/bucardo"; chmod 755 "$T/e2bin/bucardo"
ba_with PATH="$T/e2bin:$PATH" -- --state-dir "$T/e-state" status
no_marker e2 "1e status: a root-owned perl in a directory of uid $EVIL_UID, named by #!, is not run"
# e3: #!/usr/bin/env perl, and PATH holds a directory of the user's before /usr/bin.
interp "$EVIL_HOME/bin3/perl" e3 "$EVIL_UID:$EVIL_GID"
printf '#!/usr/bin/env perl\nprint "bucardo\\n";\n' >"$T/e3bin/bucardo"; chmod 755 "$T/e3bin/bucardo"
ba_with PATH="$T/e3bin:$EVIL_HOME/bin3:$PATH" -- --state-dir "$T/e-state" status
no_marker e3 "1e status: #!/usr/bin/env perl does not run a perl from a user's directory on PATH"
# e4: the bucardo script itself is the user's, in their directory on PATH.
interp "$EVIL_HOME/bin4/perl" e4 "$EVIL_UID:$EVIL_GID"
printf '#!%s\nprint "bucardo\\n";\n' "$EVIL_HOME/bin4/perl" >"$EVIL_HOME/bin4/bucardo"
chown "$EVIL_UID:$EVIL_GID" "$EVIL_HOME/bin4/bucardo"; chmod 755 "$EVIL_HOME/bin4/bucardo"
ba_with PATH="$EVIL_HOME/bin4:$PATH" -- --state-dir "$T/e-state" status
no_marker e4 "1e status: a user's own bucardo script on PATH does not choose the interpreter root runs"
# e5: no bucardo script; the first perl on PATH is the user's.
interp "$EVIL_HOME/bin5/perl" e5 "$EVIL_UID:$EVIL_GID"
ba_with PATH="$EVIL_HOME/bin5:/usr/sbin:/sbin" -- --state-dir "$T/e-state" status
no_marker e5 "1e status: a perl from a user's directory on PATH is not run"
# e6: apply under --root runs perl -c with the perl on PATH: not the user's.
interp "$EVIL_HOME/bin6/perl" e6 "$EVIL_UID:$EVIL_GID"
R=$T/e6/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
ba_with PATH="$EVIL_HOME/bin6:$PATH" -- --root "$R" --state-dir "$T/e6/state" apply
no_marker e6 "1e apply --root: perl -c never runs a perl from a user's directory on PATH"
in_time "1e: every run ended within ${DEADLINE}s"

# --- 1f. Root's environment makes perl -c load the user's code -------------------------------
evil_dir "$EVIL_HOME/plib" "$EVIL_HOME/work" "$EVIL_HOME/work/Bucardo" "$EVIL_HOME/work/Bucardo/SecTest"
pmod() { # pmod FILE PACKAGE MARKER: a module of the user's that writes MARKER when loaded
	printf 'package %s;\n%s\n1;\n' "$2" "$(payload_perl "$3")" | user_writes "$1"
}
# A trusted copy that uses a module this host lacks, as the real Bucardo.pm
# uses DBIx::Safe, which many hosts lack: perl then searches all of @INC.
awk '{ print } /^use Carp/ && !done { print "use Bucardo::SecTest::NotInstalled;"; done = 1 }' \
	"$FIXTURES/bucardo-5.6.pm" >"$T/needs-missing.pm"
envcase() { # envcase N FIXTURE DESCRIPTION [VAR=VALUE...] -- APPLY-OPTIONS...
	local n=$1 fx=$2 desc=$3 envs=()
	shift 3
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	R=$T/f$n/root
	pm=$(sandbox "$fx" "$R")
	# Every module a payload may sit in, writing marker fN.
	pmod "$EVIL_HOME/plib/evil.pm" evil "f$n"
	pmod "$EVIL_HOME/plib/strict.pm" strict "f$n"
	pmod "$EVIL_HOME/work/Bucardo/SecTest/NotInstalled.pm" Bucardo::SecTest::NotInstalled "f$n"
	BA_CWD=$EVIL_HOME/work ba_with "${envs[@]}" -- --root "$R" --state-dir "$T/f$n/state" apply "$@"
	no_marker "f$n" "1f apply${*:+ $*} with $desc: perl -c loads nothing of the user's"
	rm -f "$EVIL_HOME/plib/"*.pm
}
envcase 1 "$FIXTURES/bucardo-5.6.pm" "PERL5OPT=-Mevil PERL5LIB=~user/plib" \
	PERL5OPT=-Mevil PERL5LIB="$EVIL_HOME/plib" --
envcase 2 "$FIXTURES/bucardo-5.6.pm" "PERL5OPT=-Mevil PERLLIB=~user/plib" \
	PERL5OPT=-Mevil PERLLIB="$EVIL_HOME/plib" --
envcase 3 "$FIXTURES/bucardo-5.6.pm" "PERL5LIB=~user/plib holding strict.pm" \
	PERL5LIB="$EVIL_HOME/plib" --
envcase 4 "$T/needs-missing.pm" "PERL_USE_UNSAFE_INC=1 in a directory of the user's holding a module the file uses" \
	PERL_USE_UNSAFE_INC=1 --
envcase 5 "$FIXTURES/bucardo-5.6.pm" "PERL5OPT=-d and PERL5DB=BEGIN{...}" \
	PERL5OPT=-d PERL5DB="$(payload_perl f5)" --
envcase 6 "$FIXTURES/bucardo-5.6.pm" "PERL5OPT=-Mevil PERL5LIB=~user/plib" \
	PERL5OPT=-Mevil PERL5LIB="$EVIL_HOME/plib" -- --keep-perl-env
envcase 7 "$FIXTURES/bucardo-5.6.pm" "PERL5LIB=~user/plib holding strict.pm" \
	PERL5LIB="$EVIL_HOME/plib" -- --keep-perl-env
envcase 8 "$FIXTURES/bucardo-5.6.pm" "PERLLIB=~user/plib holding strict.pm" \
	PERLLIB="$EVIL_HOME/plib" -- --keep-perl-env
envcase 9 "$FIXTURES/bucardo-5.6.pm" "PERL5OPT=-d and PERL5DB=BEGIN{...}" \
	PERL5OPT=-d PERL5DB="$(payload_perl f9)" -- --keep-perl-env
envcase 10 "$T/needs-missing.pm" "PERL_USE_UNSAFE_INC=1 in a directory of the user's" \
	PERL_USE_UNSAFE_INC=1 -- --keep-perl-env
# Without --keep-perl-env the environment is simply not perl's: the copy is patched as usual.
R=$T/f11/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
pmod "$EVIL_HOME/plib/evil.pm" evil f11
BA_CWD=$EVIL_HOME/work ba_with PERL5OPT=-Mevil PERL5LIB="$EVIL_HOME/plib" PERL_USE_UNSAFE_INC=1 -- \
	--root "$R" --state-dir "$T/f11/state" apply
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "1f apply with the user's PERL5OPT/PERL5LIB in root's environment still patches the trusted copy"
no_marker f11 "1f and loads nothing of the user's doing so"
in_time "1f: every run ended within ${DEADLINE}s"

# --- 1g. What the mode does not show: POSIX ACLs ----------------------------------------------
# A root:root file or directory whose mode shows only root's group writing
# (0664, 0775), and whose ACL lets the user write too.
if command -v setfacl >/dev/null; then
	# The module itself: the user writes their code into it in place.
	R=$T/g1/root S=$T/g1/state
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	chmod 664 "$pm"
	setfacl -m "u:$EVIL_UID:rw" "$pm"
	evil_module g1 | as_evil sh -c 'cat >"$1"' sh "$pm"
	before=$(sum "$pm")
	ba --root "$R" --state-dir "$S" --json status
	printf '%s\n' "$out" >"$T/g1.json"
	check "1g status --json: a module whose ACL lets uid $EVIL_UID write is untrusted (got: $(json_states "$T/g1.json" "$pm" | tr '\n' ' '))" \
		test "$(json_states "$T/g1.json" "$pm")" = untrusted
	contains "$(json_entry "$T/g1.json" "$pm") $errout" "ACL" "1g status: the report says it is the ACL"
	ba --root "$R" --state-dir "$S" apply
	no_marker g1 "1g apply: a module the user can write through its ACL is never compiled"
	check "1g apply: and not written" test "$(sum "$pm")" = "$before"
	check "1g apply: nor put on the watch list" sh -c "! grep -qF /usr/share/perl5/Bucardo.pm '$S/watchlist' 2>/dev/null"
	# A directory on the way: root's own module in it, which the user could
	# replace at any moment, is not touched either.
	R=$T/g2/root S=$T/g2/state
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	setfacl -m "u:$EVIL_UID:rwx" "$R/usr/share/perl5"
	before=$(sum "$pm")
	ba --root "$R" --state-dir "$S" --json status
	printf '%s\n' "$out" >"$T/g2.json"
	check "1g status --json: a module in a directory whose ACL lets uid $EVIL_UID write is untrusted (got: $(json_states "$T/g2.json" "$pm" | tr '\n' ' '))" \
		test "$(json_states "$T/g2.json" "$pm")" = untrusted
	ba --root "$R" --state-dir "$S" apply
	check "1g apply: a module in such a directory is not written" test "$(sum "$pm")" = "$before"
	contains "$out $errout" "ACL" "1g apply: the message says it is the directory's ACL"
	# A default ACL on a trusted directory: the new file must not inherit it.
	R=$T/g3/root S=$T/g3/state
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	chmod 664 "$pm"
	setfacl -d -m "u:$EVIL_UID:rw" "$R/usr/share/perl5"
	ba --root "$R" --state-dir "$S" apply
	same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "1g apply: a trusted module in a directory with a default ACL is patched"
	check "1g apply: the patched file did not inherit the directory's default ACL (no entry for uid $EVIL_UID)" \
		sh -c "! getfacl -n '$pm' 2>/dev/null | grep -q '^user:$EVIL_UID:'"
	check "1g apply: the user cannot write the patched file" sh -c "! ${evil_argv[*]} sh -c ': >>\"\$1\"' sh '$pm' 2>/dev/null"
	in_time "1g: every run ended within ${DEADLINE}s"
else
	skip "1g ACLs" "setfacl is missing (Debian's acl package)"
fi

# --- 1h. PERL5LIB that anybody may fill -------------------------------------------------------
# With --keep-perl-env, a PERL5LIB directory in a sticky world-writable one
# (/tmp): missing, or there and empty. The sticky bit stops others removing
# what is there, not creating the name perl looks for: perl -c must not run.
mkdir -m 1777 "$T/sticky"
mkdir -m 1777 "$T/sticky/empty"
for v in missing empty; do
	R=$T/h-$v/root
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	lib=$T/sticky/nolib
	[ $v = empty ] && lib=$T/sticky/empty
	ba_with PERL5LIB="$lib" -- --root "$R" --state-dir "$T/h-$v/state" --json apply --keep-perl-env
	check "1h apply --keep-perl-env with PERL5LIB a $v directory in a sticky world-writable one: perl -c not run (got: $(printf '%s' "$out" | grep -o '"perl_check": *"[a-z-]*"'))" \
		sh -c "printf '%s' '$out' | grep -q '\"perl_check\": *\"not-run\"'"
	contains "$out" "$T/sticky" "1h ($v): the note names the directory anybody may write"
	same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "1h ($v): the trusted copy is still patched, checked by structure"
done
in_time "1h: every run ended within ${DEADLINE}s"

unchanged "$T/.outside" "nothing outside the roots changed (the host's module, $T/outside)" "${outside_paths[@]}"
done_testing
