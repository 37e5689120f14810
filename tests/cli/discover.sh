. "$(dirname "$0")/lib.sh"
fail "discover: not written yet"
done_testing
