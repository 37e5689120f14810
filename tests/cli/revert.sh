. "$(dirname "$0")/lib.sh"
fail "revert: not written yet"
done_testing
