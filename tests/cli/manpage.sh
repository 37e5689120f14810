# manpage.sh: the man page is clean under mandoc -T lint and documents every command and option.
. "$(dirname "$0")/../lib/tap.sh"

page=${SRCDIR:?}/man/bucardo-aiven.8
if command -v mandoc >/dev/null; then
	lint=$(mandoc -T lint -W warning "$page" 2>&1)
	check "mandoc -T lint finds nothing" test -z "$lint"
	[ -z "$lint" ] || printf '#   %s\n' "$lint"
	text=$(mandoc -T utf8 "$page" | col -b)
else
	skip "mandoc -T lint" "mandoc is not installed"
	text=$(cat "$page")
fi
help=$("$BA" --help)
for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	contains "$text" "$opt" "the man page documents $opt"
done
for cmd in status apply revert history; do
	contains "$text" "bucardo-aiven $cmd" "the man page has a synopsis line for $cmd"
done
for section in "EXIT STATUS" EXAMPLES FILES "SEE ALSO"; do
	contains "$text" "$section" "the man page has $section"
done
for code in 0 1 2 3 4 64; do
	check "EXIT STATUS explains $code" sh -c "printf '%s\n' \"\$1\" | sed -n '/^EXIT STATUS/,/^[A-Z]/p' | grep -qE '^ +$code( |\$)'" sh "$text"
done

done_testing
