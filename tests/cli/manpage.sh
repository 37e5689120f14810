. "$(dirname "$0")/lib.sh"
fail "manpage: not written yet"
done_testing
