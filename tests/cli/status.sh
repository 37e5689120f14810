. "$(dirname "$0")/lib.sh"
fail "status: not written yet"
done_testing
