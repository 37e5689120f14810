. "$(dirname "$0")/lib.sh"
fail "json: not written yet"
done_testing
