#!/usr/bin/env python3
"""Count test cases (TAP lines) across a meson test log; print 'N passed, N failed'.

meson's own summary counts test programs; a program holds many cases. A
program that failed without reporting a failing case (a crash, a timeout)
counts as one failed case, so nothing is lost in the count. The skipped
cases are counted on the line before: the last line is exactly
"N passed, N failed", which CI reads.

Before the counts, each failing case is listed with the diagnostic lines
that follow it (at most DIAG_LINES of them), between "--- failed cases"
and "--- end of failed cases": CI shows only the end of a long output, and
.ci/run repeats these blocks last, so that its tail names what failed.
"""
import json
import re
import sys

DIAG_LINES = 30

passed = failed = skipped = 0
report = []
for line in open(sys.argv[1], encoding='utf-8', errors='replace'):
    test = json.loads(line)
    out = test.get('stdout') or ''
    lines = out.splitlines()
    bad = 0
    for i, text in enumerate(lines):
        case = re.match(r'(not ok|ok)\b(.*)', text)
        if not case:
            continue
        if case.group(1) == 'not ok':
            bad += 1
            report.append('%s: %s' % (test['name'], text))
            diag = []
            for follow in lines[i + 1:]:
                if not follow.startswith('#'):
                    break
                diag.append('    ' + follow)
            report.extend(diag[:DIAG_LINES])
            if len(diag) > DIAG_LINES:
                report.append('    (%d more lines in the test log)' % (len(diag) - DIAG_LINES))
        elif re.search(r'#\s*SKIP', case.group(2), re.I):
            skipped += 1
        else:
            passed += 1
    if test.get('result') not in ('OK', 'SKIP', 'EXPECTEDFAIL') and bad == 0:
        bad = 1
        report.append('%s: %s without a failing case (crash or time-out?)' % (test['name'], test.get('result')))
        report.extend('    ' + t for t in lines[-DIAG_LINES:])
    failed += bad
if report:
    print('--- failed cases')
    print('\n'.join(report))
    print('--- end of failed cases')
print('%d skipped' % skipped)
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
