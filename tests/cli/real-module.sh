. "$(dirname "$0")/lib.sh"
fail "real-module: not written yet"
done_testing
