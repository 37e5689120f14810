# output.sh: smaller faults. A state directory that is a symbolic link, the user's, writable
# by others, or below a directory of the user's is refused (and an untrusted one's watch list
# is not even read); a user's link or hard link to a root-only file neither leaks it into any
# output nor stops the trusted copies from being patched, and is never written; a --rules
# directory or file the user can change is refused.
. "$(dirname "$0")/../lib/hostile.sh"
make_evil

# --- 6a. The state directory -------------------------------------------------------------
fresh() { # fresh NAME: a root with a trusted pristine copy; prints the module's path
	sandbox "$FIXTURES/bucardo-5.6.pm" "$T/$1/root"
}
# A link to a root-owned 0700 directory.
pm=$(fresh s1)
mkdir -m 700 "$T/s1/real"
ln -s "$T/s1/real" "$T/s1/link"
ba --root "$T/s1/root" --state-dir "$T/s1/link" apply --no-perl-check
refused "6a apply refuses a --state-dir that is a symbolic link (even to a directory of root's)"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "6a and writes nothing"
check "6a and leaves the link's target empty" test -z "$(ls -A "$T/s1/real")"
ba --root "$T/s1/root" --state-dir "$T/s1/link" history
refused "6a history refuses it too"
# Owned by the user.
pm=$(fresh s2)
mkdir -m 700 "$T/s2/state"
chown "$EVIL_UID:$EVIL_GID" "$T/s2/state"
ba --root "$T/s2/root" --state-dir "$T/s2/state" apply --no-perl-check
refused "6a apply refuses a --state-dir owned by uid $EVIL_UID"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "6a and writes nothing"
# Writable by a group the user is in.
pm=$(fresh s3)
mkdir -m 770 "$T/s3/state"
chgrp "$EVIL_GID" "$T/s3/state"
ba --root "$T/s3/root" --state-dir "$T/s3/state" apply --no-perl-check
refused "6a apply refuses a group-writable --state-dir"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "6a and writes nothing"
# Root's 0700 directory inside a directory of the user's: they can move it
# aside and put their own (with "backups" for revert) in its place.
pm=$(fresh s4)
evil_dir "$T/s4/u"
mkdir -m 700 "$T/s4/u/state"
ba --root "$T/s4/root" --state-dir "$T/s4/u/state" apply --no-perl-check
refused "6a apply refuses a --state-dir inside a directory owned by uid $EVIL_UID"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "6a and writes nothing"
# The default state directory below a root whose var/lib is the user's.
pm=$(fresh s5)
mkdir -p "$T/s5/root/var"
evil_dir "$T/s5/root/var/lib"
ba --root "$T/s5/root" apply --no-perl-check
refused "6a apply refuses R/var/lib/bucardo-aiven when R/var/lib belongs to uid $EVIL_UID"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "6a and writes nothing"
# --reapply and a link to a state directory of the user's, whose watch list
# names a root-only copy root never patched: the list is not read at all.
pm=$(fresh s6)
mkdir -p "$T/s6/root/usr/local/share/perl/5.36.0"
cp "$FIXTURES/bucardo-5.6.pm" "$T/s6/root/usr/local/share/perl/5.36.0/Bucardo.pm"
evil_dir "$T/s6/ustate"
printf '%s\n' "$T/s6/root/usr/local/share/perl/5.36.0/Bucardo.pm" /usr/local/share/perl/5.36.0/Bucardo.pm |
	as_evil sh -c "cat >'$T/s6/ustate/watchlist'"
ln -s "$T/s6/ustate" "$T/s6/state"
start_watch "$T/.watch" "$T/s6/ustate/watchlist"
ba --root "$T/s6/root" --state-dir "$T/s6/state" apply --reapply --no-perl-check
stop_watch "$T/.watch"
refused "6a apply --reapply refuses a --state-dir that links to a directory of uid $EVIL_UID"
check "6a and does not read the watch list there (opened $opens times)" test "$opens" = 0
same_file "$T/s6/root/usr/local/share/perl/5.36.0/Bucardo.pm" "$FIXTURES/bucardo-5.6.pm" "6a and patches nothing it names"
in_time "6a: every run ended within ${DEADLINE}s"

# --- 6d. What is kept in the state directory -------------------------------------------------
# revert writes back what the history holds: nothing in the store may be
# another user's to change, however it came to be so.
# A default ACL naming the user on a state directory others may search:
# everything made in it would inherit their access, umask or not.
if command -v setfacl >/dev/null; then
	pm=$(fresh d1)
	mkdir -m 755 "$T/d1/state"
	setfacl -d -m "u:$EVIL_UID:rwx" "$T/d1/state"
	ba --root "$T/d1/root" --state-dir "$T/d1/state" apply --no-perl-check
	refused "6d apply refuses a state directory whose default ACL names uid $EVIL_UID"
	contains "$errout" "setfacl -k" "6d and says how to remove it"
	same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "6d and writes nothing"
	check "6d and makes nothing in it" test -z "$(ls -A "$T/d1/state")"
else
	skip "6d a default ACL on the state directory" "setfacl is missing (Debian's acl package)"
fi
# Under umask 000 the store is still root's alone.
pm=$(fresh d2)
mkdir -m 755 "$T/d2/state"
BA_UMASK=000 ba --root "$T/d2/root" --state-dir "$T/d2/state" apply --no-perl-check
check "6d apply under umask 000 patches" test "$rc" = 0
x=$(find "$T/d2/state" -perm /022 -printf '%p %m\n' | head -n 5)
check "6d and nothing it made in the state directory is writable by group or others (${x:-none})" test -z "$x"
# A store that another user can write (made loose before, by hand or by an
# older version) is refused by revert, which would write back what it says.
chmod 777 "$T/d2/state/store.git/refs/heads"
ba --root "$T/d2/root" --state-dir "$T/d2/state" revert
refused "6d revert refuses a store whose refs/heads others can write"
contains "$errout" "store.git/refs/heads" "6d and names it"
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "6d and leaves the module as apply wrote it"
in_time "6d: every run ended within ${DEADLINE}s"

# --- 6b. A user's link to a root-only file, found as their local::lib copy ---------------
# lib R: the user's local::lib below R; prints its directory.
lib() {
	mkdir -p "$1/home"
	evil_dir "$1/home/$EVIL" "$1/home/$EVIL/perl5" "$1/home/$EVIL/perl5/lib" "$1/home/$EVIL/perl5/lib/perl5"
	echo "$1/home/$EVIL/perl5/lib/perl5"
}
secret=SECRET-$$-$RANDOM
# A Bucardo-shaped root-only file with a secret beside a statement, and a
# shadow-like one: what a user would point root at.
mkdir -p "$T/secrets"
awk -v s="$secret" '/session_replication_role = .replica/ && !done { print "        ## token: " s; done = 1 } { print }' \
	"$FIXTURES/bucardo-5.6.pm" >"$T/secrets/module.pm"
printf 'root:$6$%s:19000:0:99999:7:::\n' "$secret" >"$T/secrets/shadow"
# all_outputs R: every read-only way of looking at R, stdout and stderr together.
all_outputs() {
	local a all=
	for a in "status" "--json status" "status -v" "apply --check --diff" "--json apply --check --diff" "-v apply --check"; do
		# shellcheck disable=SC2086
		ba --root "$1" --state-dir "$T/secret-state" $a
		all="$all$out$errout"
	done
	printf '%s' "$all"
}
for v in symlink-shadow symlink-module hardlink-module hardlink-shadow; do
	R=$T/l-$v/root
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	d=$(lib "$R")
	mkdir -p -m 700 "$R/root/private"
	case $v in
	*-shadow) cp "$T/secrets/shadow" "$R/root/private/secret" ;;
	*-module) cp "$T/secrets/module.pm" "$R/root/private/secret" ;;
	esac
	chmod 600 "$R/root/private/secret"
	case $v in
	symlink-*) as_evil ln -s /root/private/secret "$d/Bucardo.pm" ;;
	hardlink-*) ln "$R/root/private/secret" "$d/Bucardo.pm" ;;	# as with fs.protected_hardlinks=0
	esac
	ino=$(stat -c %i "$d/Bucardo.pm")
	cp -p "$R/root/private/secret" "$T/l-$v/secret.orig"
	text=$(all_outputs "$R")
	case $text in
	*"$secret"*) fail "6b ($v): the root-only file's content appears in no output of status, status -v, --json or apply --check --diff" \
		"$(printf '%s\n' "$text" | grep -F "$secret" | head -5)" ;;
	*) pass "6b ($v): the root-only file's content appears in no output of status, status -v, --json or apply --check --diff" ;;
	esac
	ba --root "$R" apply --no-perl-check
	case $out$errout in
	*"$secret"*) fail "6b ($v): nor in apply's" "$out$errout" ;;
	*) pass "6b ($v): nor in apply's" ;;
	esac
	same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "6b ($v): apply still patches the trusted copy"
	same_file "$R/root/private/secret" "$T/l-$v/secret.orig" "6b ($v): the root-only file is not written"
	check "6b ($v): the user's entry is left as it was (same inode $ino)" test "$(stat -c %i "$d/Bucardo.pm")" = "$ino"
	check "6b ($v): it is not in the watch list" sh -c "! grep -qF '/home/' '$R/var/lib/bucardo-aiven/watchlist' 2>/dev/null"
	no_leftovers "6b ($v): no temporary or user-owned file in root's directories" "$R/root" "$R/usr" "$R/var"
done
in_time "6b: every run ended within ${DEADLINE}s"

# --- 6c. Rules the user can change ----------------------------------------------------------
rules_case() { # rules_case NAME DESCRIPTION: --rules $T/NAME/rules (set up by the caller)
	local pm=$T/$1/root/usr/share/perl5/Bucardo.pm
	ba --root "$T/$1/root" --state-dir "$T/$1/state" --rules "$T/$1/rules" apply --no-perl-check
	refused "6c apply refuses --rules $2"
	same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "6c and writes nothing with --rules $2"
}
for v in dir file group link filelink; do
	fresh "r-$v" >/dev/null
	case $v in
	dir) evil_dir "$T/r-$v/rules"; cp "$SRCDIR"/patches/*.rules "$T/r-$v/rules/" ;;
	file) mkdir -p "$T/r-$v/rules"; cp "$SRCDIR"/patches/*.rules "$T/r-$v/rules/"
		chown "$EVIL_UID:$EVIL_GID" "$T/r-$v/rules/10-bucardo-5.4.rules" ;;
	group) mkdir -m 775 "$T/r-$v/rules"; chgrp "$EVIL_GID" "$T/r-$v/rules"; cp "$SRCDIR"/patches/*.rules "$T/r-$v/rules/" ;;
	link) evil_dir "$T/r-$v/urules"; cp "$SRCDIR"/patches/*.rules "$T/r-$v/urules/"; ln -s "$T/r-$v/urules" "$T/r-$v/rules" ;;
	filelink) mkdir -p "$T/r-$v/rules"; cp "$SRCDIR"/patches/*.rules "$T/r-$v/rules/"
		evil_dir "$T/r-$v/u"; mv "$T/r-$v/rules/10-bucardo-5.4.rules" "$T/r-$v/u/"
		chown "$EVIL_UID:$EVIL_GID" "$T/r-$v/u/10-bucardo-5.4.rules"
		ln -s "$T/r-$v/u/10-bucardo-5.4.rules" "$T/r-$v/rules/10-bucardo-5.4.rules" ;;
	esac
	case $v in
	dir) rules_case "r-$v" "DIR owned by uid $EVIL_UID" ;;
	file) rules_case "r-$v" "with a rules file owned by uid $EVIL_UID" ;;
	group) rules_case "r-$v" "DIR writable by the user's group" ;;
	link) rules_case "r-$v" "DIR that links to a directory of the user's" ;;
	filelink) rules_case "r-$v" "with a rules file that links to a file of the user's" ;;
	esac
done
in_time "6c: every run ended within ${DEADLINE}s"

done_testing
