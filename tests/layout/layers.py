#!/usr/bin/env python3
"""layers.py SRCDIR: the source tree keeps its architecture (README, ARCHITECTURE).

Prints TAP. src/ holds one directory per layer, in this order: each may
include only the layers before it, and only through their one header,
LAYER/LAYER.h; a file's own layer it includes by module header. Only cli/
writes to stdout or stderr (base/esc.c provides the escaping printf that
cli/ uses). Every .c file is listed in meson.build's layers table under
its directory.
"""
import os
import re
import sys

ORDER = ["base", "engine", "host", "state", "db", "cli"]
# A call of a printing function (not format(printf, ...) in an attribute),
# the standard streams, or err(3) and warn(3).
PRINTING = re.compile(r"(?<![\w.>])(?:printf|fprintf|vprintf|vfprintf|puts|fputs|perror|putchar)"
                      r"\s*\((?!\s*\d)|\b(?:stdout|stderr)\b|"
                      r"(?<![\w.>])(?:err|errx)\s*\(\s*[0-9A-Z]|(?<![\w.>])(?:warn|warnx)\s*\(\s*\"")
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)

src = os.path.join(sys.argv[1], "src")
meson = open(os.path.join(sys.argv[1], "meson.build")).read()
n = 0
failed = 0


def case(ok, name, detail=""):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, name))
    if not ok:
        failed += 1
        for line in detail.splitlines():
            print("#   " + line)


present = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
case(present == sorted(ORDER), "src/ holds exactly the layers " + ", ".join(ORDER),
     "found: %s" % present)
loose = [f for f in os.listdir(src) if os.path.isfile(os.path.join(src, f))]
case(not loose, "no source file outside a layer", "loose: %s" % loose)

for layer in ORDER:
    d = os.path.join(src, layer)
    if not os.path.isdir(d):
        continue
    own = set(os.listdir(d))
    bad_inc, bad_print = [], []
    for name in sorted(own):
        if not name.endswith((".c", ".h")):
            continue
        text = open(os.path.join(d, name)).read()
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)	# comments may say anything
        code = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', code)	# and so may strings
        for inc in INCLUDE.findall(text):
            if inc == "config.h" or inc in own:
                continue
            parts = inc.split("/")
            if (len(parts) == 2 and parts[0] in ORDER and parts[1] == parts[0] + ".h" and
                    ORDER.index(parts[0]) < ORDER.index(layer)):
                continue
            bad_inc.append("%s/%s: %s" % (layer, name, inc))
        if layer != "cli" and not (layer == "base" and name == "esc.c"):
            for m in PRINTING.finditer(code):
                line = code[:m.start()].count("\n") + 1
                bad_print.append("%s/%s:%d: %s" % (layer, name, line, m.group(0)))
        if name.endswith(".c") and name != "cli.c":
            mod = name[:-2]
            listed = re.search(r"'%s'\s*:\s*\[[^\]]*'%s'" % (layer, mod), meson, re.S)
            if not listed:
                bad_inc.append("%s/%s: not in meson.build's layers table under '%s'" %
                               (layer, name, layer))
    case(not bad_inc, "%s/ includes only itself and earlier layers' headers" % layer,
         "\n".join(bad_inc))
    case(not bad_print, "%s/ prints nothing" % layer if layer != "cli" else
         "cli/ is the layer that prints", "\n".join(bad_print))

print("1..%d" % n)
sys.exit(1 if failed else 0)
