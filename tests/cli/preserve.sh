. "$(dirname "$0")/lib.sh"
fail "preserve: not written yet"
done_testing
