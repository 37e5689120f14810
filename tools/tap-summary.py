#!/usr/bin/env python3
"""Count test cases (TAP lines) across a meson test log; print 'N passed, N failed'.

meson's own summary counts test programs; a program holds many cases. A
program that failed without reporting a failing case (a crash, a timeout)
counts as one failed case, so nothing is lost in the count. The skipped
cases are counted on the line before: the last line is exactly
"N passed, N failed", which CI reads.
"""
import json
import re
import sys

passed = failed = skipped = 0
for line in open(sys.argv[1], encoding='utf-8', errors='replace'):
    test = json.loads(line)
    out = test.get('stdout') or ''
    cases = re.findall(r'^(not ok|ok)\b[^\n]*', out, re.M)
    bad = 0
    for case in re.finditer(r'^(not ok|ok)\b([^\n]*)', out, re.M):
        if case.group(1) == 'not ok':
            bad += 1
        elif re.search(r'#\s*SKIP', case.group(2), re.I):
            skipped += 1
        else:
            passed += 1
    if test.get('result') not in ('OK', 'SKIP', 'EXPECTEDFAIL') and bad == 0:
        bad = 1
        print('# %s: %s without a failing case (crash or time-out?)' % (test['name'], test.get('result')))
    failed += bad
print('%d skipped' % skipped)
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
