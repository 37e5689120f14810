#include "tap.h"
int main(void) { ok(0, "test-running not written yet"); return tap_done(); }
