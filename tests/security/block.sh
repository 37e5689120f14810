# block.sh: fifos and devices planted where the tool reads (Bucardo's pid file, a stale
# temporary file, the module itself, the state directory's lock, watch list and its
# temporary file, a kept original, a rules file, the apt hook) never hang a run and are
# never opened: each run ends within the deadline, and inotify sees no open of the node.
. "$(dirname "$0")/../lib/hostile.sh"
# A run takes well under a second; a hang costs the whole deadline, and
# today's build hangs in several cases, so the deadline is shorter here.
DEADLINE=${BLOCK_DEADLINE:-15}
make_evil

# not_opened CASE: the watch started by watch_nodes saw no open.
watch_nodes() { start_watch "$T/.watch" "$@" || fail "the open watcher started" "$(cat "$T/.watch")"; }
not_opened() {
	stop_watch "$T/.watch"
	if [ "$opens" = 0 ]; then pass "$1"
	else fail "$1" "opened $opens time(s)"; fi
}
# kind PATH: p (fifo), c (character device), f, l, ... or "none"
kind() { stat -c %F "$1" 2>/dev/null || echo none; }

# --- 4a. Bucardo's pid file is a fifo or leads to a device -----------------------------------
# /var/run/bucardo belongs to the bucardo user on Debian: here, to the hostile user.
R=$T/pid/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
mkdir -p "$R/var/run"
evil_dir "$R/var/run/bucardo"
as_evil mkfifo "$R/var/run/bucardo/bucardo.mcp.pid"
watch_nodes "$R/var/run/bucardo/bucardo.mcp.pid"
ba --root "$R" status
in_time "4a status: a fifo as R/var/run/bucardo/bucardo.mcp.pid does not hang it"
ba --root "$R" apply --no-perl-check
in_time "4a apply: nor the restart advice after patching"
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "4a apply: the module is patched all the same"
not_opened "4a: the fifo is never opened"
evil_dir "$T/piddir"
as_evil mkfifo "$T/piddir/bucardo.mcp.pid"
ba --root "$R" --pid-dir "$T/piddir" status
in_time "4a status --pid-dir DIR: a fifo as DIR/bucardo.mcp.pid does not hang it"
# A link to a device: opening one can arm a watchdog or rewind a tape.
mkdir -p "$T/devs"
mknod "$T/devs/null" c 1 3
as_evil rm -f "$R/var/run/bucardo/bucardo.mcp.pid"
as_evil ln -s "$T/devs/null" "$R/var/run/bucardo/bucardo.mcp.pid"
watch_nodes "$T/devs/null"
ba --root "$R" status
in_time "4a status: a pid file that links to a device does not hang it"
not_opened "4a status: and the device behind the user's link is never opened"

# --- 4b. A fifo or a device named like a stale temporary file beside the module -------------
R=$T/sweep/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
mkfifo "$R/usr/share/perl5/.Bucardo.pm.bucardo-aiven.ABC123"
mknod "$R/usr/share/perl5/.Bucardo.pm.bucardo-aiven.DEF456" c 1 3
watch_nodes "$R/usr/share/perl5/.Bucardo.pm.bucardo-aiven.ABC123" "$R/usr/share/perl5/.Bucardo.pm.bucardo-aiven.DEF456"
ba --root "$R" apply
in_time "4b apply: a fifo and a device named .Bucardo.pm.bucardo-aiven.XXXXXX beside the module do not hang it"
not_opened "4b apply: the stale-file sweep opens neither"
check "4b apply: both are left as they are" test "$(kind "$R/usr/share/perl5/.Bucardo.pm.bucardo-aiven.ABC123")/$(kind "$R/usr/share/perl5/.Bucardo.pm.bucardo-aiven.DEF456")" = "fifo/character special file"
check "4b apply: the module is either patched or untouched" \
	sh -c "cmp -s '$pm' '$FIXTURES/expected/bucardo-5.6.pm' || cmp -s '$pm' '$FIXTURES/bucardo-5.6.pm'"

# --- 4c. The module itself is a fifo, a device, or a link to a fifo --------------------------
for v in fifo dev link; do
	R=$T/mod-$v/root
	mkdir -p "$R/usr/share/perl5" "$R/opt"
	node=$R/usr/share/perl5/Bucardo.pm
	case $v in
	fifo) mkfifo "$node" ;;
	dev) mknod "$node" c 1 3 ;;
	link) mkfifo "$R/opt/Bucardo.pm"; ln -s /opt/Bucardo.pm "$node"; node=$R/opt/Bucardo.pm ;;
	esac
	watch_nodes "$node"
	ba --root "$R" status
	ba --root "$R" apply
	ba --root "$R" apply "$R/usr/share/perl5/Bucardo.pm"
	refused "4c ($v): apply FILE refuses a module that is not a regular file"
	ba --root "$R" status "$R/usr/share/perl5/Bucardo.pm"
	ba --root "$R" revert "$R/usr/share/perl5/Bucardo.pm"
	in_time "4c ($v): status, apply and revert on it end within ${DEADLINE}s"
	not_opened "4c ($v): it is never opened"
done

# --- 4d. The state directory's lock, watch list, their temporary file, a kept original -----
# state R S NAME TYPE: a state directory with NAME made a node of TYPE (p, c)
plant() {
	mkdir -p -m 700 "$2"
	if [ "$4" = p ]; then mkfifo "$2/$3"; else mknod "$2/$3" c 1 3; fi
}
for t in p c; do
	tn=$([ $t = p ] && echo fifo || echo device)
	# The lock.
	R=$T/lock-$t/root S=$R/var/lib/bucardo-aiven
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	plant "$R" "$S" lock $t
	watch_nodes "$S/lock"
	ba --root "$R" apply --no-perl-check
	in_time "4d: a $tn as STATE/lock does not hang apply"
	refused "4d: apply refuses a $tn as STATE/lock"
	same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "4d: and writes nothing with a $tn as STATE/lock"
	ba --root "$R" history
	in_time "4d: nor does it hang history"
	not_opened "4d: a $tn as STATE/lock is never opened"

	# The watch list.
	R=$T/wl-$t/root S=$R/var/lib/bucardo-aiven
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	plant "$R" "$S" watchlist $t
	watch_nodes "$S/watchlist"
	ba --root "$R" apply --reapply
	in_time "4d: a $tn as STATE/watchlist does not hang apply --reapply"
	refused "4d: apply --reapply refuses a $tn as STATE/watchlist"
	ba --root "$R" apply --no-perl-check
	in_time "4d: nor apply, which updates the list"
	ba --root "$R" revert
	in_time "4d: nor revert"
	not_opened "4d: a $tn as STATE/watchlist is never opened"

	# A stale temporary file of the watch list.
	R=$T/wltmp-$t/root S=$R/var/lib/bucardo-aiven
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	plant "$R" "$S" .watchlist.tmp $t
	watch_nodes "$S/.watchlist.tmp"
	ba --root "$R" apply --no-perl-check
	in_time "4d: a $tn as STATE/.watchlist.tmp does not hang apply"
	not_opened "4d: a $tn as STATE/.watchlist.tmp is never opened"

	# A kept original, where apply verifies an existing copy instead of writing one.
	R=$T/gz-$t/root S=$R/var/lib/bucardo-aiven
	pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
	id=$(git hash-object "$FIXTURES/bucardo-5.6.pm")
	mkdir -p -m 700 "$S" "$S/originals" "$S/originals/usr" "$S/originals/usr/share" "$S/originals/usr/share/perl5"
	plant "$R" "$S/originals/usr/share/perl5" "Bucardo.pm.$id.gz" $t
	watch_nodes "$S/originals/usr/share/perl5/Bucardo.pm.$id.gz"
	ba --root "$R" apply --no-perl-check
	in_time "4d: a $tn as the kept original STATE/originals/.../Bucardo.pm.ID.gz does not hang apply"
	ba --root "$R" revert
	in_time "4d: nor revert"
	not_opened "4d: a $tn as a kept original is never opened"
done

# --- 4e. A rules file is a fifo ---------------------------------------------------------------
R=$T/rules/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
mkdir -p "$T/rules/d"
cp "$SRCDIR"/patches/*.rules "$T/rules/d/"
mkfifo "$T/rules/d/50-fifo.rules"
watch_nodes "$T/rules/d/50-fifo.rules"
ba --root "$R" --rules "$T/rules/d" status
in_time "4e: a fifo among the --rules files does not hang status"
refused "4e: status refuses it"
ba --root "$R" --rules "$T/rules/d" apply
in_time "4e: nor apply"
same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "4e: apply writes nothing"
not_opened "4e: the fifo is never opened"

# --- 4f. The apt hook file is a fifo ------------------------------------------------------------
R=$T/hookf/root
mkdir -p "$R/etc/apt/apt.conf.d"
mkfifo "$R/etc/apt/apt.conf.d/80bucardo-aiven"
watch_nodes "$R/etc/apt/apt.conf.d/80bucardo-aiven"
ba --root "$R" hook status
in_time "4f: a fifo as the apt hook file does not hang hook status"
ba --root "$R" hook install
in_time "4f: nor hook install"
refused "4f: hook install refuses to replace it"
ba --root "$R" hook remove
in_time "4f: nor hook remove"
check "4f: it is left in place" test "$(kind "$R/etc/apt/apt.conf.d/80bucardo-aiven")" = fifo
not_opened "4f: it is never opened"

# --- 4g. A home that multiplies what discovery walks ----------------------------------------
# The user's perlbrew tree: 500 perls, each lib/site_perl a link to one
# directory holding 500 versions, so that one wildcard matches 250,000
# directories. status and apply (without FILE) search a bounded number of
# them, and still find and patch the trusted copy.
R=$T/farm/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$R")
mkdir -p "$R/home"
evil_dir "$R/home/$EVIL"
as_evil sh -c '
	h=$1
	mkdir -p "$h/shared/site_perl" "$h/perl5/perlbrew/perls"
	i=1
	while [ $i -le 500 ]; do
		mkdir "$h/shared/site_perl/5.$i"
		mkdir -p "$h/perl5/perlbrew/perls/p$i/lib"
		ln -s "$h/shared/site_perl" "$h/perl5/perlbrew/perls/p$i/lib/site_perl"
		i=$((i + 1))
	done' sh "$R/home/$EVIL"
# A minute each (valgrind's run takes about 8 s; the quadratic search this
# guards against took minutes).
saved_deadline=$DEADLINE DEADLINE=60
ba --root "$R" --state-dir "$T/farm/state" status
check "4g status with a home of 250,000 matching directories: exit 3 (not patched), within the deadline (exit $rc)" test "$rc" = 3
contains "$out" "$pm" "4g and it still reports the trusted copy"
ba --root "$R" --state-dir "$T/farm/state" apply --no-perl-check
check "4g apply: exit 0 (exit $rc)" test "$rc" = 0
same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "4g and the trusted copy is patched"
in_time "4g: every run ended within ${DEADLINE}s"
DEADLINE=$saved_deadline

done_testing
