/* git2lazy.c: not written yet. */
