#!/usr/bin/env python3
"""tests/lib/syncorder.py: check, from an strace of one apply, what reached the disk and when.

    syncorder.py TRACE MODULE STATE RULE

TRACE is `strace -f -y -o TRACE -e trace=fsync,fdatasync,syncfs,sync,rename,
renameat,renameat2,link,linkat` of one apply that replaced MODULE (a host
path), with the state directory STATE. RULE is one of:

  staged      the file renamed to MODULE was fsynced before the rename
  dir         MODULE's directory was fsynced after the rename
  store       everything put in place under STATE before the rename (git
              objects, the gzip copy of the original) was durable before it
  history     everything put in place under STATE after the rename (the
              branch, the watch list) was durable before the run ended

A name put in place (rename or link) is durable once a later sync or syncfs
has run, or once its directory has been fsynced after it and its content
before it (the file renamed, or the source of the link). Exits 0 when RULE
holds; otherwise prints why and the events, and exits 1.
"""
import os
import re
import sys

CALL = re.compile(r'^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)\)\s+=\s+(-?\d+)')
FDPATH = re.compile(r'^-?\d+<(.*)>$')


def args_of(text):
    """Split strace's argument text: "quoted" strings and FD<path> items."""
    out, cur, quoted, depth, i = [], '', False, 0, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '\\' and i + 1 < len(text):
                cur += text[i:i + 2]
                i += 2
                continue
            if c == '"':
                quoted = False
            cur += c
        elif c == '"':
            quoted = True
            cur += c
        elif c == '<':
            depth += 1
            cur += c
        elif c == '>':
            depth -= 1
            cur += c
        elif c == ',' and depth == 0:
            out.append(cur.strip())
            cur = ''
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


def unquote(s):
    if s.startswith('"') and s.endswith('"'):
        return bytes(s[1:-1], 'utf-8').decode('unicode_escape')
    return s


def fd_path(arg):
    m = FDPATH.match(arg)
    return m.group(1) if m else None


def at(dirarg, namearg):
    name = unquote(namearg)
    if name.startswith('/'):
        return os.path.normpath(name)
    base = fd_path(dirarg)
    if base is None:
        return None
    return os.path.normpath(os.path.join(base, name))


def events(trace):
    """(kind, a, b): ('fsync', path), ('sync', path or None), ('put', src, dst)."""
    evs = []
    for line in open(trace, encoding='utf-8', errors='replace'):
        m = CALL.match(line.strip())
        if not m or m.group(4) != '0':
            continue
        call, a = m.group(2), args_of(m.group(3))
        if call in ('fsync', 'fdatasync'):
            evs.append(('fsync', fd_path(a[0]), None))
        elif call == 'syncfs':
            evs.append(('sync', fd_path(a[0]), None))
        elif call == 'sync':
            evs.append(('sync', None, None))
        elif call in ('rename', 'link'):
            evs.append(('put', os.path.normpath(unquote(a[0])), os.path.normpath(unquote(a[1]))))
        elif call in ('renameat', 'renameat2', 'linkat'):
            evs.append(('put', at(a[0], a[1]), at(a[2], a[3])))
    return evs


def durable(evs, i, until, state):
    """Is the put at evs[i] durable by evs[until]?"""
    _, src, dst = evs[i]
    for k in range(i + 1, until):
        kind, p, _ = evs[k]
        # syncfs of any descriptor on the state directory's file system:
        # here, one below STATE (the tests keep STATE on one file system).
        if kind == 'sync' and (p is None or p == state or p.startswith(state + '/')):
            return True
    content = any(evs[k][0] == 'fsync' and evs[k][1] == src for k in range(0, i))
    entry = any(evs[k][0] == 'fsync' and evs[k][1] == os.path.dirname(dst)
                for k in range(i + 1, until))
    return content and entry


def main():
    trace, module, state, rule = sys.argv[1:5]
    module, state = os.path.normpath(module), os.path.normpath(state)
    evs = events(trace)
    renames = [i for i, e in enumerate(evs) if e[0] == 'put' and e[2] == module]
    if len(renames) != 1:
        return fail('the module was put in place %d times, not once' % len(renames), evs)
    r = renames[0]
    staged = evs[r][1]
    if rule == 'staged':
        if not any(e[0] == 'fsync' and e[1] == staged for e in evs[:r]):
            return fail('%s was not fsynced before it was renamed to %s' % (staged, module), evs)
    elif rule == 'dir':
        if not any(e[0] == 'fsync' and e[1] == os.path.dirname(module) for e in evs[r + 1:]):
            return fail('%s was not fsynced after the rename' % os.path.dirname(module), evs)
    elif rule in ('store', 'history'):
        span = range(0, r) if rule == 'store' else range(r + 1, len(evs))
        until = r if rule == 'store' else len(evs)
        puts = [i for i in span if evs[i][0] == 'put' and evs[i][2] is not None and
                evs[i][2].startswith(state + '/')]
        if not puts:
            return fail('nothing was put in place under %s %s the rename' %
                        (state, 'before' if rule == 'store' else 'after'), evs)
        bad = [evs[i][2] for i in puts if not durable(evs, i, until, state)]
        if bad:
            return fail('not durable %s: %s' % ('before the module was replaced' if rule == 'store'
                                                 else 'when the run ended', ', '.join(bad)), evs)
    else:
        return fail('no such rule: ' + rule, [])
    return 0


def fail(why, evs):
    print(why)
    for e in evs:
        print('  %s %s%s' % (e[0], e[1], ' -> ' + e[2] if e[2] else ''))
    return 1


if __name__ == '__main__':
    sys.exit(main())
