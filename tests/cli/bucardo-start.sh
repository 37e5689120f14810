# bucardo-start.sh: which Bucardo.pm the real bucardo script (the machine's
# /usr/bin/bucardo, Debian's 5.6.0, copied into a sandbox "checkout" and
# reached through a symbolic link) loads when started through PATH, from
# the link's directory, and by the link's path from elsewhere; and that
# status names the same copies: the first as active, the others in its
# warning, with the script's own "Version mismatch" words.
#
# Bucardo.pm is required only by `bucardo start`, after it has connected
# to its control database: a throwaway cluster holds one (bucardo install
# --batch). Each copy here is a stand-in written for the test whose
# $VERSION differs from the script's, so every start ends at the script's
# "Version mismatch: bucardo is 5.6.0, but Bucardo.pm is X" before anything
# is forked, and X says which copy was loaded. HOME, PERL5LIB, the PID and
# log directories are in the sandbox; the machine's Bucardo files are only
# read (the script, copied).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/bucardo.sh"
trap 'exit 143' TERM
trap 'exit 130' INT

script=/usr/bin/bucardo
why=
if [ ! -f "$script" ] || ! grep -q "^our \$VERSION = '" "$script"; then
	why="no bucardo script at $script (package bucardo)"
elif [ ! -x "$PG_BIN/initdb" ]; then
	why="no PostgreSQL server found under /usr/lib/postgresql (postgresql-15)"
elif [ ! -f "$PG_BIN/../lib/plperl.so" ]; then
	why="PL/Perl missing for $PG_BIN (postgresql-plperl-15)"
fi
if [ -n "$why" ]; then
	skip "which copy the real bucardo script loads" "$why"
	done_testing
	exit
fi
version=$(sed -n "s/^our \$VERSION = '\\([^']*\\)';.*/\\1/p" "$script" | head -n 1)

bucardo_sandbox
pg_start
case $? in
0) ;;
2)	skip "which copy the real bucardo script loads" "no PostgreSQL server installed"
	done_testing
	exit ;;
*)	fail "a throwaway PostgreSQL cluster starts"
	done_testing
	exit ;;
esac
bucardo_install

# A stand-in module: the script calls Bucardo->new and compares its version.
stand_in() {
	mkdir -p "$(dirname "$1")"
	printf "package Bucardo;\nour \$VERSION = '%s';\nsub new { return { version => \$VERSION } }\n1;\n" \
	    "$2" >"$1"
}
mkdir -p "$T/checkout" "$T/bin" "$T/abin" "$T/elsewhere"
cp "$script" "$T/checkout/bucardo"
chmod 755 "$T/checkout/bucardo"
stand_in "$T/checkout/Bucardo.pm" "$version.beside-target"
stand_in "$T/lib/Bucardo.pm" "$version.perl5lib"
ln -s ../checkout/bucardo "$T/bin/bucardo"
ln -s "$T/checkout/bucardo" "$T/abin/bucardo"
base_path=/usr/sbin:/usr/bin:/sbin:/bin

# start CWD PATH ARGV0: the real script, started in CWD with PATH, as ARGV0
# (a bare name is looked up in PATH by bash, as a user's shell would).
# Prints the copy it loaded, from its own "Version mismatch" line.
start() {
	local v
	bucardo_running=1	# should anything go wrong, the teardown stops it
	(cd "$1" && PATH=$2 PERL5LIB=$T/lib "$3" --no-bucardorc -h "$PGHOST" -p "$PGPORT" \
	    start --log-destination "$T/log" "test" </dev/null) >"$T/start.out" 2>&1
	grep -o "Version mismatch: bucardo is .*, but Bucardo.pm is .*" "$T/start.out" |
	    head -n 1 >"$T/mismatch"
	v=$(sed -n 's/.*, but Bucardo.pm is //p' "$T/mismatch")
	case $v in
	"$version.perl5lib") echo "$T/lib/Bucardo.pm" ;;
	"$version.beside-target") echo "$T/checkout/Bucardo.pm" ;;
	*) echo "unknown: $(head -c 600 "$T/start.out")" ;;
	esac
}

# status_json PATH: the tool's status as the same user would run it.
status_json() {
	(cd "$T/elsewhere" && PATH=$1 PERL5LIB=$T/lib "$BA" --json status) >"$T/.out" 2>"$T/.err"
	[ -s "$T/.out" ] || sed 's/^/# status stderr: /' "$T/.err"
}

py_active='import json,sys; d=json.load(open(sys.argv[1])); a=[f["path"] for f in d["files"] if f["active"]]; assert a == [sys.argv[2]], a'
# The warnings name the copy the other start loads, how it is started, and
# the script's own refusal, word for word.
py_other='import json,sys
d=json.load(open(sys.argv[1]))
want="%s, it loads %s and refuses to start (\"%s\")" % (sys.argv[2], sys.argv[3], sys.argv[4])
assert any(want in w for w in d["warnings"]), (want, d["warnings"])'
py_mismatch='import json,sys
d=json.load(open(sys.argv[1]))
assert any(w.startswith("version mismatch: ") and "(\"%s\")" % sys.argv[2] in w for w in d["warnings"]), (sys.argv[2], d["warnings"])'

# (a) The link on PATH, started through PATH from elsewhere: $0's directory
# is on PATH, so $progname is cut to "bucardo", -l fails, @INC is as usual.
loaded=$(start "$T/elsewhere" "$T/bin:$base_path" bucardo)
check "(a) through PATH: the real script loads the PERL5LIB copy ($loaded)" \
	test "$loaded" = "$T/lib/Bucardo.pm"
mismatch_a=$(cat "$T/mismatch")
status_json "$T/bin:$base_path"
check "(a) status names that copy active" python3 -c "$py_active" "$T/.out" "$loaded"
check "(a) status quotes the script's refusal for it: $mismatch_a" \
	python3 -c "$py_mismatch" "$T/.out" "$mismatch_a"

# (b) The same link, started through PATH from the link's directory: -l on
# the bare name finds the link there, and the target's directory goes first.
loaded=$(start "$T/bin" "$T/bin:$base_path" bucardo)
check "(b) through PATH from the link's directory: the copy beside the target ($loaded)" \
	test "$loaded" = "$T/checkout/Bucardo.pm"
check "(b) status names it, and how Bucardo is started to load it" \
	python3 -c "$py_other" "$T/.out" "started from $T/bin (where the link is)" "$loaded" \
	"$(cat "$T/mismatch")"

# (c) By the link's path with its directory not on PATH, from the link's
# directory (a relative target is read from the current directory).
loaded=$(start "$T/bin" "$base_path" "$T/bin/bucardo")
check "(c) by the link's path, off PATH: the copy beside the target ($loaded)" \
	test "$loaded" = "$T/checkout/Bucardo.pm"

# (d) By the link's path with its directory on PATH: cut like (a).
loaded=$(start "$T/elsewhere" "$T/bin:$base_path" "$T/bin/bucardo")
check "(d) by the link's path, its directory on PATH: the PERL5LIB copy ($loaded)" \
	test "$loaded" = "$T/lib/Bucardo.pm"

# (e) An absolute link, started by its path from anywhere, off PATH.
loaded=$(start "$T/elsewhere" "$base_path" "$T/abin/bucardo")
check "(e) an absolute link by its path, off PATH: the copy beside the target ($loaded)" \
	test "$loaded" = "$T/checkout/Bucardo.pm"
mismatch_e=$(cat "$T/mismatch")
loaded=$(start "$T/elsewhere" "$T/abin:$base_path" bucardo)
check "(e) the absolute link through PATH: the PERL5LIB copy ($loaded)" \
	test "$loaded" = "$T/lib/Bucardo.pm"
status_json "$T/abin:$base_path"
check "(e) status names the PERL5LIB copy active" python3 -c "$py_active" "$T/.out" "$loaded"
check "(e) and the copy a start by a path off PATH loads" \
	python3 -c "$py_other" "$T/.out" \
	"started from $T/abin (where the link is), or by a path whose directory is not on PATH" \
	"$T/checkout/Bucardo.pm" "$mismatch_e"

# (f) The script itself on PATH, no link: @INC as usual, nothing else said.
loaded=$(start "$T/elsewhere" "$T/checkout:$base_path" bucardo)
check "(f) the script itself through PATH: the PERL5LIB copy ($loaded)" \
	test "$loaded" = "$T/lib/Bucardo.pm"
status_json "$T/checkout:$base_path"
check "(f) status names it active, and says nothing of a link" \
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
a=[f["path"] for f in d["files"] if f["active"]]
assert a == [sys.argv[2]], a
assert not any("symbolic link" in w for w in d["warnings"]), d["warnings"]' "$T/.out" "$loaded"
bucardo_running=
check "no Bucardo process was started" test -z "$(alive_pids "$(bucardo_pids)")"

done_testing
