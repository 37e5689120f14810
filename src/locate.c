/* locate.c: not written yet. */
