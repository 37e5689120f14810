. "$(dirname "$0")/lib.sh"
fail "history: not written yet"
done_testing
