# jail.sh: --root DIR confines every write to DIR. Watch-list entries that climb out,
# module directories, the state directory and apt.conf.d replaced by symbolic links that
# lead out (absolute or ../..), and FILE arguments outside the root: nothing outside the
# root is written, whatever the user who builds the tree below DIR puts there.
. "$(dirname "$0")/../lib/hostile.sh"
make_evil

# outside NAME: a root-owned directory outside every root, holding a
# pristine module; its snapshot is taken now.
outside() {
	mkdir -p "$T/$1"
	cp "$FIXTURES/bucardo-5.6.pm" "$T/$1/Bucardo.pm"
	snap "$T/.snap-$1" "$T/$1"
}
still() { # still NAME CASE: the outside directory NAME is as it was; then made afresh
	unchanged "$T/.snap-$1" "$2" "$T/$1"
	rm -rf "$T/$1"
	outside "$1"
}
# user_tree R: R/usr/share and R/var/lib made by the user (an image they build).
user_tree() {
	mkdir -p "$1/usr" "$1/var"
	evil_dir "$1/usr/share" "$1/var/lib"
}

# --- 3a. The watch list leads out of the root --------------------------------------------
# (i) an entry climbing out with /../..
R=$T/j1/root
outside out1
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
mkdir -p -m 700 "$R/var/lib/bucardo-aiven"
printf '/usr/share/perl5/Bucardo.pm\n/../../out1/Bucardo.pm\n' >"$R/var/lib/bucardo-aiven/watchlist"
chmod 600 "$R/var/lib/bucardo-aiven/watchlist"
ba --root "$R" apply --reapply
still out1 "3a apply --reapply: a watch-list entry /../../out1/Bucardo.pm does not reach $T/out1"
ba --root "$R" apply
still out1 "3a apply: nor does discovery"

# (ii) the module's directory, listed while real, replaced by an absolute
# link to a directory outside; (iii) the same with a relative link.
for v in abs rel; do
	R=$T/j-$v/root
	outside "out-$v"
	sandbox "$FIXTURES/bucardo-5.6.pm" "$R" >/dev/null
	ba --root "$R" apply --no-perl-check
	check "3a ($v link): the copy was patched and listed while its directory was real" \
		sh -c "cut -f1 '$R/var/lib/bucardo-aiven/watchlist' | grep -qxF /usr/share/perl5/Bucardo.pm"
	# Then R/usr/share is handed to the user (an image they go on building).
	chown "$EVIL_UID:$EVIL_GID" "$R/usr/share"
	cp "$FIXTURES/bucardo-5.6.pm" "$R/usr/share/perl5/Bucardo.pm"
	as_evil mv "$R/usr/share/perl5" "$R/usr/share/perl5.old"
	if [ $v = abs ]; then
		as_evil ln -s "$T/out-$v" "$R/usr/share/perl5"
	else
		as_evil ln -s "../../../../out-$v" "$R/usr/share/perl5"	# R/usr/share/../../../.. = $T
	fi
	ba --root "$R" apply --reapply
	still "out-$v" "3a ($v link): apply --reapply does not patch the module outside the root that R/usr/share/perl5 now leads to"
	ba --root "$R" apply
	still "out-$v" "3a ($v link): apply (discovery) does not either"
	ba --root "$R" revert
	still "out-$v" "3a ($v link): revert does not either"
	ba --root "$R" apply "$R/usr/share/perl5/Bucardo.pm"
	still "out-$v" "3a ($v link): apply R/usr/share/perl5/Bucardo.pm does not either"
done
in_time "3a: every run ended within ${DEADLINE}s"

# --- 3b. The state directory leads out of the root -----------------------------------------
# A directory outside holding a "lock" with content, reached by R/var/lib/bucardo-aiven
# (absolute or relative link), or by R/var itself.
for v in abs rel parent; do
	R=$T/jb-$v/root
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	user_tree "$R"
	mkdir -p -m 700 "$T/outstate-$v"
	echo precious >"$T/outstate-$v/lock"
	case $v in
	abs) as_evil ln -s "$T/outstate-$v" "$R/var/lib/bucardo-aiven" ;;
	rel) as_evil ln -s "../../../../outstate-$v" "$R/var/lib/bucardo-aiven" ;;	# R/var/lib/../../../.. = $T
	parent)
		# R/var is the user's, and a link to a directory outside.
		mkdir -p "$T/outstate-$v/lib"
		rm -rf "$R/var"
		ln -s "$T/outstate-$v" "$R/var"
		chown -h "$EVIL_UID:$EVIL_GID" "$R/var"
		;;
	esac
	snap "$T/.snap-outstate-$v" "$T/outstate-$v"
	ba --root "$R" apply
	if [ $v != parent ]; then
		refused "3b ($v link): apply refuses a state directory that is a symbolic link"
		same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "3b ($v link): and patches nothing"
	fi
	unchanged "$T/.snap-outstate-$v" "3b ($v): nothing outside the root is written (the outside lock keeps its content)" "$T/outstate-$v"
	find "$T/outstate-$v" -mindepth 1 -not -name lock -not -name lib -prune -exec rm -rf {} +
	find "$T/outstate-$v/lib" -mindepth 1 -prune -exec rm -rf {} + 2>/dev/null
	echo precious >"$T/outstate-$v/lock"
	chmod 700 "$T/outstate-$v"
	snap "$T/.snap-outstate-$v" "$T/outstate-$v"
	ba --root "$R" apply --reapply
	ba --root "$R" revert
	ba --root "$R" history
	unchanged "$T/.snap-outstate-$v" "3b ($v): nor by apply --reapply, revert or history" "$T/outstate-$v"
done
in_time "3b: every run ended within ${DEADLINE}s"

# --- 3c. apt.conf.d leads out of the root --------------------------------------------------
for v in abs rel parent; do
	R=$T/jc-$v/root
	mkdir -p "$R/etc" "$T/outapt-$v/apt.conf.d"
	evil_dir "$R/etc/apt"
	case $v in
	abs) as_evil ln -s "$T/outapt-$v/apt.conf.d" "$R/etc/apt/apt.conf.d" ;;
	rel) as_evil ln -s "../../../../outapt-$v/apt.conf.d" "$R/etc/apt/apt.conf.d" ;;	# R/etc/apt/../../../.. = $T
	parent) rm -rf "$R/etc/apt"; ln -s "$T/outapt-$v" "$R/etc/apt"; chown -h "$EVIL_UID:$EVIL_GID" "$R/etc/apt" ;;
	esac
	snap "$T/.snap-outapt-$v" "$T/outapt-$v"
	ba --root "$R" hook install
	unchanged "$T/.snap-outapt-$v" "3c ($v link): hook install --root writes nothing outside the root" "$T/outapt-$v"
done
# A hook this tool wrote on the host, reached through such a link: hook remove leaves it.
mkdir -p "$T/hosthook/etc/apt/apt.conf.d"
ba --root "$T/hosthook" hook install
R=$T/jc-remove/root
mkdir -p "$R/etc"
evil_dir "$R/etc/apt"
as_evil ln -s "$T/hosthook/etc/apt/apt.conf.d" "$R/etc/apt/apt.conf.d"
snap "$T/.snap-hosthook" "$T/hosthook"
ba --root "$R" hook remove
unchanged "$T/.snap-hosthook" "3c: hook remove --root does not delete a hook outside the root reached through a link" "$T/hosthook"
in_time "3c: every run ended within ${DEADLINE}s"

# --- 3d. revert (and apply) through a directory link to the host's own path -----------------
# Under --root the store records /usr/share/perl5/Bucardo.pm. The user then
# makes R/usr/share/perl5 a link to /usr/share/perl5: followed on the host,
# the name matches the record. Run in a mount namespace in which the host's
# /usr/share/perl5 is a tmpfs holding the tool's patched copy.
R=$T/jd/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
ba --root "$R" apply --no-perl-check
check "3d: the copy below the root was patched first" cmp -s "$pm" "$FIXTURES/expected/bucardo-5.6.pm"
chown "$EVIL_UID:$EVIL_GID" "$R/usr/share"
as_evil mv "$R/usr/share/perl5" "$R/usr/share/perl5.old"
as_evil ln -s /usr/share/perl5 "$R/usr/share/perl5"
mkdir -p "$T/jd/out"
in_ns "
ns_hide_modules
cp $FIXTURES/bucardo-5.6.pm /usr/share/perl5/Bucardo.pm
ns_ba $T/jd/out/reapply -- --root $R apply --reapply
cp /usr/share/perl5/Bucardo.pm $T/jd/out/after-reapply
cp $FIXTURES/bucardo-5.6.pm /usr/share/perl5/Bucardo.pm
ns_ba $T/jd/out/apply-file -- --root $R apply --no-perl-check $R/usr/share/perl5/Bucardo.pm
cp /usr/share/perl5/Bucardo.pm $T/jd/out/after-apply-file
cp $FIXTURES/expected/bucardo-5.6.pm /usr/share/perl5/Bucardo.pm
ns_ba $T/jd/out/revert-file -- --root $R revert $R/usr/share/perl5/Bucardo.pm
cp /usr/share/perl5/Bucardo.pm $T/jd/out/after-revert-file
cp $FIXTURES/expected/bucardo-5.6.pm /usr/share/perl5/Bucardo.pm
ns_ba $T/jd/out/revert -- --root $R revert
cp /usr/share/perl5/Bucardo.pm $T/jd/out/after-revert
"
check "3d: the namespace with the host's module hidden was set up (exit $?)" test -s "$T/jd/out/after-revert"
for s in revert-file revert reapply apply-file; do ns_note_overrun "$T/jd/out/$s"; done
same_file "$T/jd/out/after-reapply" "$FIXTURES/bucardo-5.6.pm" \
	"3d: apply --reapply does not patch the host's /usr/share/perl5/Bucardo.pm through the link"
same_file "$T/jd/out/after-apply-file" "$FIXTURES/bucardo-5.6.pm" \
	"3d: apply R/usr/share/perl5/Bucardo.pm does not patch the host's module through the link"
same_file "$T/jd/out/after-revert-file" "$FIXTURES/expected/bucardo-5.6.pm" \
	"3d: revert R/usr/share/perl5/Bucardo.pm does not write the host's module through the link"
same_file "$T/jd/out/after-revert" "$FIXTURES/expected/bucardo-5.6.pm" \
	"3d: revert (discovery) does not either"
in_time "3d: every run ended within ${DEADLINE}s"

# --- 3e. A FILE argument outside the root ---------------------------------------------------
R=$T/je/root
sandbox "$FIXTURES/bucardo-5.6.pm" "$R" >/dev/null
outside out5
ba --root "$R" apply "$T/out5/Bucardo.pm"
refused "3e: apply --root R FILE-outside-R exits non-zero"
case "$errout" in
*"$R"*|*--root*) pass "3e: and the message names the root" ;;
*) fail "3e: and the message names the root" "stderr: $errout" ;;
esac
still out5 "3e: and the file outside is untouched"
ba --root "$R" apply --check "$T/out5/Bucardo.pm"
refused "3e: apply --check --root R FILE-outside-R is refused too"
# Inside by name, outside by an absolute link on the way.
mkdir -p "$R/opt"
ln -s "$T/out5" "$R/opt/b"
ba --root "$R" apply "$R/opt/b/Bucardo.pm"
refused "3e: apply --root R R/opt/b/Bucardo.pm, with R/opt/b a link to outside, exits non-zero"
still out5 "3e: and the file outside is untouched"
# With --state-dir given, the root still bounds the files.
outside out6
ba --root "$R" --state-dir "$T/je/state6" apply --no-perl-check "$T/out6/Bucardo.pm"
refused "3e: apply --root R --state-dir S FILE-outside-R is refused too"
still out6 "3e: and that file is untouched"
in_time "3e: every run ended within ${DEADLINE}s"

done_testing
