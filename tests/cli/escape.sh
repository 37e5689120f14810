#!/bin/bash
# escape.sh: control characters from outside never reach the terminal raw,
# and check-db prints no password, whatever form the connection string has.
# The databases here are behind closed ports: nothing has to run.
. "$(dirname "$0")/../lib/tap.sh"

export HOME=$T PGPASSFILE=$T/no-pgpass PGCONNECT_TIMEOUT=5
unset PGPASSWORD PGSERVICE PGDATABASE PGUSER
# A capitals URI is one database name to libpq: let it fail at once too.
export PGHOST=127.0.0.1 PGPORT=1

# clean FILE: no raw control byte (but newline and tab), no DEL, no C1
# control, nothing that is not UTF-8. Prints what it found otherwise.
clean() {
	python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("not UTF-8: %s" % e)
bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
bad = [hex(ord(c)) for c in text
       if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or c in bidi]
if bad:
    sys.exit("raw control characters: %s" % " ".join(bad[:10]))
PY
}

# no_raw NAME: neither stdout nor stderr of the last run holds a raw control character.
no_raw() {
	local f msg=
	for f in "$T/.out" "$T/.err"; do
		msg=$msg$(clean "$f" 2>&1)
	done
	if [ -z "$msg" ] && ! grep -q $'\x1b' "$T/.out" "$T/.err"; then pass "$1"
	else fail "$1" "$msg" "$(od -c "$T/.out" | head -20)" "$(od -c "$T/.err" | head -10)"; fi
}

# json_ok NAME [PYTHON [ARG...]]: stdout parses as one JSON document, and
# PYTHON holds for it (d; the ARGs are sys.argv[2:]).
json_ok() {
	local name=$1 extra=${2:-pass}
	shift
	[ $# -gt 0 ] && shift
	if python3 -c "
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
$extra
" "$T/.out" "$@" >"$T/.py" 2>&1; then pass "$name"
	else fail "$name" "$(cat "$T/.py")" "$(head -c 1500 "$T/.out")"; fi
}

# 1. A path with control characters, and U+202E (right-to-left override),
# through every printer of the report.
evil=$T/$'evil\e[2J\e[Hready\nfake\xc2\x9b\x7f\xe2\x80\xae'
mkdir -p "$evil/usr/share/perl5"
cp "$FIXTURES/bucardo-5.6.pm" "$evil/usr/share/perl5/Bucardo.pm"
mkdir -p "$T/state"

run_ba --root "$evil" --state-dir "$T/state" status
expect_rc 3 "status under a hostile root: exit 3 (not patched)"
no_raw "status: no raw control character in the output"
contains "$out" 'evil\x1b[2J\x1b[Hready\nfake\xc2\x9b\x7f\xe2\x80\xae/usr/share/perl5/Bucardo.pm' \
	"status: the path is shown with its controls escaped"
check "status: no line injected by the newline in the path" \
	sh -c "! grep -q '^fake' '$T/.out' '$T/.err'"

run_ba --root "$evil" --state-dir "$T/state" --json status
no_raw "status --json: no raw control character in the output"
json_ok "status --json: parses, and the path decodes to the real one, C1 and DEL included" "
paths = [f['path'] for f in d['files']]
assert any(p.startswith(sys.argv[2] + '/') for p in paths), (paths, sys.argv[2])
" "$evil"

run_ba --root "$evil" --state-dir "$T/state" apply --check --diff
expect_rc 0 "apply --check --diff under a hostile root: exit 0"
no_raw "apply --check --diff: no raw control character in the output"
contains "$out" "@@" "apply --check --diff: the diff is shown"
contains "$out" "aiven_extras.session_replication_role" "apply --check --diff: with its changes"
check "apply --check --diff: no line injected by the newline in the path" \
	sh -c "! grep -q '^fake' '$T/.out' '$T/.err'"

run_ba --root "$evil" --state-dir "$T/state" --json apply --check --diff
no_raw "apply --check --diff --json: no raw control character in the output"
json_ok "apply --check --diff --json: parses, with the diff" "
assert any(f.get('diff') and '@@' in f['diff'] for f in d['files']), d['files']
"

# A module whose text holds terminal escapes, a lone CR and CRLF line ends
# in the diff's context: the diff keeps its lines and CRLFs, and nothing else.
root=$T/content
mkdir -p "$root/usr/share/perl5"
awk '/SET session_replication_role = .replica./ && !done {
	printf "        # \033[2J\033[Hready \302\233 \177 cr\r here\n        # dos\r\n"; done = 1 }
	{ print }' "$FIXTURES/bucardo-5.6.pm" >"$root/usr/share/perl5/Bucardo.pm"
run_ba --root "$root" --state-dir "$T/state" apply --check --diff
expect_rc 0 "diff of hostile content: exit 0"
if LC_ALL=C grep -q -e $'\x1b' -e $'\x7f' -e $'\xc2[\x80-\x9f]' -e $'\r[^\n]' "$T/.out" ||
    grep -q $'\x1b' "$T/.err"; then
	fail "diff of hostile content: no raw ESC, DEL, C1 or lone CR" "$(od -c "$T/.out" | grep -n '033\|177\|302' | head)"
else
	pass "diff of hostile content: no raw ESC, DEL, C1 or lone CR"
fi
contains "$out" '        # \x1b[2J\x1b[Hready \xc2\x9b \x7f cr\r here' \
	"diff of hostile content: the line is shown escaped"
check "diff of hostile content: the CRLF line end is kept" \
	grep -q $'^         # dos\r$' "$T/.out"

# 2. No password printed, whatever the form of CONNINFO. S3cretPw is the
# secret; some forms carry it percent-encoded (S3cr%65tPw).
SECRET=S3cretPw
forms=(
	"POSTGRESQL://u:$SECRET@127.0.0.1:1/db"
	"Postgres://u:$SECRET@127.0.0.1:1/db?sslmode=disable"
	"postgresql://u:$SECRET@127.0.0.1:1/db"
	"postgres://u:$SECRET@127.0.0.1:1,127.0.0.1:1/db"
	"postgresql://u:S3cr%65tPw@127.0.0.1:1/db"
	"postgresql://u@127.0.0.1:1/db?password=$SECRET&sslpassword=$SECRET"
	"postgresql://u@127.0.0.1:1/db?pass%77ord=$SECRET"
	"postgresql://u@127.0.0.1:1/db?password=$SECRET%zz"
	"postgresql://u:$SECRET@127.0.0.1:1/db?bogus=1"
	"postgresql://u:p@$SECRET@127.0.0.1:1/db"
	"host=127.0.0.1 port=1 user=u password=$SECRET"
	"host = 127.0.0.1  port = 1  password = '$SECRET x'"
	"host=127.0.0.1 port=1 sslpassword=$SECRET"
	"host=127.0.0.1 port=1 PASSWORD=$SECRET"
	"host=127.0.0.1 port=1 password='$SECRET"
	"host=127.0.0.1 port=1 password=$SECRET more words"
	"dbname='host=127.0.0.1 port=1 password=$SECRET'"
	"dbname=POSTGRESQL://u:$SECRET@127.0.0.1:1/db"
)
# no_secret NAME: the secret, as written or encoded, is on neither stream.
no_secret() {
	if grep -qi -e "$SECRET" -e "S3cr%65tPw" "$T/.out" "$T/.err"; then
		fail "$1" "the secret was printed" "$(head -c 1500 "$T/.out")" "$(head -c 1500 "$T/.err")"
	else
		pass "$1"
	fi
}
# Forms libpq refuses outright (an unknown scheme spelling with options, a bad
# percent escape, an unknown option, an unclosed quote, a stray word) are
# usage errors, 64; the others are databases that cannot be reached, 1.
refused=" 2 8 9 14 15 16 "
n=0
for form in "${forms[@]}"; do
	n=$((n + 1))
	case $refused in *" $n "*) want=64 ;; *) want=1 ;; esac
	run_ba check-db "$form"
	expect_rc "$want" "form $n: exit $want"
	no_secret "form $n: no secret in the text report"
	run_ba --json check-db "$form"
	no_secret "form $n: no secret in the JSON report"
	if [ "$want" = 64 ]; then
		json_ok "form $n: the JSON parses, and says the run failed" \
		    "assert d['failed'] is True and d['exit_status'] == 64 and d['error']"
	else
		json_ok "form $n: the JSON parses" "assert d['databases'][0]['ready'] is False"
	fi
done

# The control database's CONNINFO is hidden the same way.
run_ba check-db --bucardo-db "POSTGRESQL://bucardo:$SECRET@127.0.0.1:1/bucardo" \
	"host=127.0.0.1 port=1 password=$SECRET"
no_secret "--bucardo-db: no secret printed"

# A capitals URI is not what libpq takes: it is said so, without the password.
run_ba check-db "POSTGRESQL://u:$SECRET@127.0.0.1:1/db"
contains "$out$errout" "conninfo #1" "capitals URI: echoed as conninfo #1"
contains "$out$errout" "scheme in lower case" "capitals URI: the fix says why"

# What can be shown still is: the conninfo without its password.
run_ba check-db "postgresql://u:$SECRET@127.0.0.1:1/db"
contains "$out$errout" "host=127.0.0.1 port=1 dbname=db user=u" \
	"URI: echoed as keyword=value pairs without the password"

# 3. A CONNINFO with control characters in it is echoed escaped.
run_ba check-db $'host=127.0.0.1 port=1 dbname=\'x\e[2J\x9b\''
no_raw "check-db: control characters in CONNINFO are escaped"
contains "$out" 'x\x1b[2J\x9b' "check-db: and shown as escapes"
run_ba --json check-db $'host=127.0.0.1 port=1 dbname=\'x\e[2J\x9b\''
no_raw "check-db --json: control characters in CONNINFO are escaped"
json_ok "check-db --json: the JSON parses"

done_testing
