/* verify.c: not written yet. */
