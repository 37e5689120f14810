/* running.c: not written yet. */
