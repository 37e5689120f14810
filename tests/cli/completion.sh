# completion.sh: the bash completion, driven as bash drives it (COMP_WORDS,
# COMP_CWORD), with and without the bash-completion package's helpers.
. "$(dirname "$0")/../lib/tap.sh"

script=$SRCDIR/completion/bucardo-aiven.bash

# complete_words HELPERS WORD...: the completions offered for the last WORD,
# sorted, on one line. HELPERS is "with" (bash-completion loaded) or "without".
complete_words() {
	local helpers=$1
	shift
	bash -c '
helpers=$1; script=$2; shift 2
if [ "$helpers" = with ]; then
	. /usr/share/bash-completion/bash_completion >/dev/null 2>&1 || exit 77
fi
. "$script"
# As bash splits a line: "=" is a word break by default.
line="$*"
COMP_LINE=$line
COMP_POINT=${#line}
read -ra COMP_WORDS <<<"$(printf "%s" "$line" | sed "s/=/ = /g")"
case $line in *" "|*=) COMP_WORDS+=("") ;; esac
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_bucardo_aiven bucardo-aiven "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
' _ "$helpers" "$script" "$@"
}

for helpers in without with; do
	if [ "$helpers" = with ] && [ ! -f /usr/share/bash-completion/bash_completion ]; then
		skip "with bash-completion" "the bash-completion package is not installed"
		continue
	fi
	c() { complete_words "$helpers" "$@"; }
	check "$helpers: commands" test "$(c bucardo-aiven st)" = "status"
	check "$helpers: status --function and --form complete" \
	    test "$(c bucardo-aiven status --f)" = "--form --function"
	check "$helpers: --form VALUE" test "$(c bucardo-aiven apply --form "")" = "guarded plain"
	check "$helpers: --form=VALUE" test "$(c bucardo-aiven apply --form=g)" = "guarded"
	check "$helpers: --lock-timeout=VALUE, a global option" \
	    test "$(c bucardo-aiven --lock-timeout=3)" = "30 300"
	check "$helpers: an option given is not offered again" \
	    sh -c "! printf '%s' '$(c bucardo-aiven apply --check --c)' | grep -q -- '--check'"
	check "$helpers: ... while the others still are" \
	    test "$(c bucardo-aiven apply --check --d)" = "--detailed-exitcodes --diff"
	check "$helpers: -q counts as --quiet" \
	    sh -c "! printf '%s' '$(c bucardo-aiven -q --q)' | grep -q -- '--quiet'"
	check "$helpers: an option's value is not taken for the command" \
	    test "$(c bucardo-aiven --root /tmp st)" = "status"
	check "$helpers: --root=DIR is not taken for the command either" \
	    test "$(c bucardo-aiven --root=/tmp st)" = "status"
	check "$helpers: check-db --module-state" \
	    test "$(c bucardo-aiven check-db --module-state gu)" = "guarded guarded:5.0"
	check "$helpers: hook actions" test "$(c bucardo-aiven hook "")" = "install remove status"
	check "$helpers: hook --binary" test "$(c bucardo-aiven hook install --bi)" = "--binary"
done

# The completion offers exactly what the command table takes: each command's
# options and the global ones, as --help (made from the table) lists them.
help=$("$BA" --help)
globals=$(printf '%s\n' "$help" | sed -n '/^global options:/,/^$/p' |
    grep -o -- '--[a-z-]*' | sort -u | tr '\n' ' ')
check "the completion offers the global options --help lists" \
    test "$(complete_words without bucardo-aiven --) " = "$globals"
for cmd in status apply revert history check-db hook; do
	want=$(printf '%s\n' "$help" | grep -E "^ +bucardo-aiven $cmd( |\$)" |
	    grep -o -- '--[a-z-]*' | sort -u | tr '\n' ' ')
	got=$(complete_words without bucardo-aiven "$cmd" -- | tr ' ' '\n' |
	    grep -vx -- '--json\|--quiet\|--verbose' | sort -u | tr '\n' ' ')
	check "$cmd: the completion offers the options --help gives it (${want:-none})" \
	    test "$got" = "$want"
done

done_testing
