# race.sh: a user who owns a directory on the way to a module swaps it with a root-only
# directory beside it (racer: renameat2 RENAME_EXCHANGE, on inotify events or in a tight
# loop) while apply or revert runs. Root's directory and the module in it must never change:
# no rewrite, no temporary file left, nothing of the user's, none of the user's code run.
. "$(dirname "$0")/../lib/hostile.sh"
make_evil

mkdir -p "$T/outside"
cp "$FIXTURES/bucardo-5.6.pm" "$T/outside/Bucardo.pm"
snap "$T/.outside" "$T/outside"

# race NAME TRIES KIND DESCRIPTION [RACER-OPTIONS...]: TRIES runs, each in a
# fresh tree, with the racer flipping A (the directory the tool is pointed
# at) and B (root's 0700 directory holding root's own Bucardo.pm). In the
# racer options, @A and @U stand for A and for the user's directory
# holding both. KIND:
#   apply-file	A is the user's, holding their Bucardo.pm; apply A/Bucardo.pm
#   apply-root	A is R/home/USER/perl5/lib/perl5 (the user's local::lib);
#		apply --root R finds it
#   revert-file	A was root's and patched by apply; then the directory holding
#		A and B was handed to the user; revert A/Bucardo.pm
#   revert-swapped	the same, B holding a copy of what apply wrote to A
race() {
	local name=$1 tries=$2 kind=$3 desc=$4 i d u a b bi bd x args marker
	local changed= extra= owned= errors=
	shift 4
	for i in $(seq 1 "$tries"); do
		d=$T/$name/$i
		marker=$name-$i
		case $kind in
		apply-root)
			R=$d/root
			sandbox "$FIXTURES/bucardo-5.6.pm" "$R" >/dev/null
			mkdir -p "$R/home"
			u=$R/home/$EVIL/perl5/lib
			evil_dir "$R/home/$EVIL" "$R/home/$EVIL/perl5" "$u"
			;;
		*)
			u=$d/u
			mkdir -p "$u"
			;;
		esac
		a=$u/perl5 b=$u/b
		[ "$kind" = apply-file ] || [ "$kind" = revert-file ] || [ "$kind" = revert-swapped ] && a=$u/a
		mkdir -p "$a" "$b"
		case $kind in
		apply-*)
			chown "$EVIL_UID:$EVIL_GID" "$u" "$a"
			evil_module "$marker" >"$a/Bucardo.pm"
			chown "$EVIL_UID:$EVIL_GID" "$a/Bucardo.pm"
			cp "$FIXTURES/bucardo-5.4.pm" "$b/Bucardo.pm"
			;;
		revert-*)
			cp "$FIXTURES/bucardo-5.6.pm" "$a/Bucardo.pm"
			if [ "$kind" = revert-swapped ]; then
				cp "$FIXTURES/expected/bucardo-5.6.pm" "$b/Bucardo.pm"
			else
				cp "$FIXTURES/bucardo-5.4.pm" "$b/Bucardo.pm"
			fi
			ba --root "$d" --state-dir "$d/state" apply --no-perl-check "$a/Bucardo.pm"
			[ "$rc" = 0 ] || errors="$errors
try $i: the set-up apply failed: $errout"
			chown "$EVIL_UID:$EVIL_GID" "$u"
			;;
		esac
		chmod 700 "$b"
		chmod 755 "$d"
		cp -p "$b/Bucardo.pm" "$d/root-original.pm"
		bi=$(stat -c %i "$b")
		args=()
		for x in "$@"; do
			x=${x//@A/$a}
			args+=("${x//@U/$u}")
		done
		if ! start_racer "$d/racer.out" swap "$a" "$b" -t 20 "${args[@]}"; then
			errors="$errors
try $i: the racer did not start: $(head -c 300 "$d/racer.out")"
			stop_racer
			continue
		fi
		case $kind in
		apply-file) ba --root "$d" --state-dir "$d/state" apply ${NO_PERL_CHECK:+--no-perl-check} "$a/Bucardo.pm" ;;
		apply-root) ba --root "$R" --state-dir "$d/state" apply ${NO_PERL_CHECK:+--no-perl-check} ;;
		revert-*) ba --root "$d" --state-dir "$d/state" revert "$a/Bucardo.pm" ;;
		esac
		stop_racer
		# Root's directory, wherever the racer left it.
		bd=
		for x in "$a" "$b"; do
			[ "$(stat -c %i "$x" 2>/dev/null)" = "$bi" ] && bd=$x
		done
		if [ -z "$bd" ]; then
			errors="$errors
try $i: root's directory is gone from $u"
			continue
		fi
		cmp -s "$bd/Bucardo.pm" "$d/root-original.pm" ||
			changed="$changed
try $i: $bd/Bucardo.pm ($(stat -c %U "$bd/Bucardo.pm" 2>/dev/null)) differs from what root put there (exit $rc: ${errout%%$'\n'*})"
		[ "$(ls -A "$bd")" = Bucardo.pm ] ||
			extra="$extra
try $i: $bd holds $(ls -A "$bd" | tr '\n' ' ')"
		x=$(find "$bd" -uid "$EVIL_UID" -printf '%p ')
		[ -z "$x" ] || owned="$owned
try $i: the user owns $x"
	done
	if [ -z "$errors" ]; then pass "$name ($desc): $tries tries set up and raced"
	else fail "$name ($desc): $tries tries set up and raced" "$errors"; fi
	if [ -z "$changed" ]; then pass "$name ($desc): root's Bucardo.pm in the root-only directory is byte-identical after every try"
	else fail "$name ($desc): root's Bucardo.pm in the root-only directory is byte-identical after every try" "$changed"; fi
	if [ -z "$extra" ]; then pass "$name ($desc): nothing was added to root's directory (no temporary file) in any try"
	else fail "$name ($desc): nothing was added to root's directory (no temporary file) in any try" "$extra"; fi
	if [ -z "$owned" ]; then pass "$name ($desc): no file in root's directory belongs to the user after any try"
	else fail "$name ($desc): no file in root's directory belongs to the user after any try" "$owned"; fi
	x=$(ls "$MK" | grep "^$name-" | tr '\n' ' ')
	if [ -z "$x" ]; then pass "$name ($desc): the user's Bucardo.pm never ran as root"
	else fail "$name ($desc): the user's Bucardo.pm never ran as root" "markers: $x"; fi
	in_time "$name ($desc): every run ended within ${DEADLINE}s"
}

# apply FILE: the judging pass reads the user's file; then the racer swaps
# root's directory in (on the user's file being closed), and the write goes there.
NO_PERL_CHECK=1 race R1 5 apply-file "apply FILE, swapped after it was judged" \
	-w @A -p closenw@Bucardo.pm
# apply FILE: swapped after the module is opened (the temporary file is
# made in root's directory), swapped back once it is made.
NO_PERL_CHECK=1 race R2 10 apply-file "apply FILE, swapped around the temporary file" \
	-w @A -w @U -p open@Bucardo.pm#2,open@a+100
# apply FILE with perl -c, the racer flipping in a tight loop.
race R3 30 apply-file "apply FILE, flipped in a tight loop"
# apply --root: the user's local::lib, found by discovery, swapped after judging.
NO_PERL_CHECK=1 race R4 5 apply-root "apply --root, local::lib swapped after it was judged" \
	-w @A -p closenw@Bucardo.pm
race R5 20 apply-root "apply --root, local::lib flipped on every event" -w @A -w @U
# revert FILE: a copy patched while trusted, whose parent was then handed over.
race R6 10 revert-file "revert FILE, swapped around the temporary file" \
	-w @A -w @U -p open@Bucardo.pm,open@a+100
race R7 3 revert-swapped "revert FILE, swapped before revert reads it" -p now
race R8 30 revert-file "revert FILE, flipped in a tight loop"

# perl -c compiles the file that was judged, not a path. --root DIR where the
# user owns DIR's parent (a tree "whoever built the image" left): once apply
# has created its temporary file in DIR/usr/share/perl5, the user links their
# own file under that name into a tree of theirs and swaps it in for DIR, so
# that the temporary file's path now names their file. Tried R9_TRIES times.
R9_TRIES=5
r9_markers= r9_errors=
for i in $(seq 1 "$R9_TRIES"); do
	A=$T/R9/$i
	mkdir -p "$A"
	chown "$EVIL_UID:$EVIL_GID" "$A"
	chmod 755 "$T/R9"
	R=$A/root
	sandbox "$FIXTURES/bucardo-5.6.pm" "$R" >/dev/null
	evil_dir "$A/fake" "$A/fake/usr" "$A/fake/usr/share" "$A/fake/usr/share/perl5"
	evil_module "R9-$i" | as_evil sh -c 'cat >"$1"' sh "$A/payload.pm"
	if ! start_racer "$A/racer.out" swap "$R" "$A/fake" -t 20 -w "$R/usr/share/perl5" \
		-p create -c "$A/fake/usr/share/perl5=$A/payload.pm"; then
		r9_errors="$r9_errors
try $i: the racer did not start: $(head -c 300 "$A/racer.out")"
		stop_racer
		continue
	fi
	ba --root "$R" --state-dir "$A.state" apply
	stop_racer
	grep -q '^flips 1' "$A/racer.out" || r9_errors="$r9_errors
try $i: the racer did not swap once: $(head -c 300 "$A/racer.out")"
done
x=$(ls "$MK" | grep '^R9-' | tr '\n' ' ')
if [ -z "$r9_errors" ]; then pass "R9 (apply --root, the root's parent swapped after the temporary file is made): $R9_TRIES tries raced"
else fail "R9 (apply --root, the root's parent swapped after the temporary file is made): $R9_TRIES tries raced" "$r9_errors"; fi
if [ -z "$x" ]; then pass "R9: perl -c never compiled the file the user planted under the temporary file's name"
else fail "R9: perl -c never compiled the file the user planted under the temporary file's name" "markers: $x"; fi
in_time "R9: every run ended within ${DEADLINE}s"

unchanged "$T/.outside" "nothing outside the trees changed" "$T/outside"
done_testing
