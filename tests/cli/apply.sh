. "$(dirname "$0")/lib.sh"
fail "apply: not written yet"
done_testing
