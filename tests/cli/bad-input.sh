. "$(dirname "$0")/lib.sh"
fail "bad-input: not written yet"
done_testing
