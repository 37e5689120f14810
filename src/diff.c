/* diff.c: not written yet. */
