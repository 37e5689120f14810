#!/usr/bin/python
# -*- coding: utf-8 -*-
# Ansible module wrapping bucardo-aiven(8): patch Bucardo.pm for managed
# PostgreSQL, revert it, report its state, or check target databases.
# Copyright (c) 2026 the bucardo-aiven developers
# BSD 2-Clause License (see LICENSE or https://opensource.org/license/bsd-2-clause)
# SPDX-License-Identifier: BSD-2-Clause
#
# Not under the GPL: ansible-test's validate-modules reports
# missing-gplv3-license, which tests/sanity/ignore-*.txt ignores, as the
# Ansible documentation says a collection under another licence does.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: bucardo_aiven
short_description: Patch Bucardo for managed PostgreSQL with bucardo-aiven
description:
  - Runs the C(bucardo-aiven) tool, which rewrites the two
    C(session_replication_role) statements of Bucardo's Perl module,
    C(Bucardo.pm), so that Bucardo calls a SECURITY DEFINER function such as
    C(aiven_extras.session_replication_role) and works without superuser on
    managed PostgreSQL (Aiven and others).
  - The tool finds every installed C(Bucardo.pm) by itself, locates the
    statements by pattern, checks the result (a re-scan and C(perl -c)),
    keeps the original in its backup store and can put it back.
  - The module changes something only when the tool reports that it changed
    (or, in check mode, would change) a file. In check mode the tool runs
    with C(--check) and writes nothing, not even its state directory.
  - The tool must already be installed; this module installs nothing.
version_added: "0.1.0"
author:
  - bucardo-aiven developers (@bucardo-aiven)
requirements:
  - bucardo-aiven on the managed host (the Debian package C(bucardo-aiven), or
    C(meson install))
options:
  state:
    description:
      - C(patched) runs C(bucardo-aiven apply); every copy found (or each
        of I(files)) ends up patched.
      - C(reverted) runs C(bucardo-aiven revert); every copy the tool patched
        gets its original back. When nothing was ever applied with this state
        directory (no backup store) and no copy is patched, there is nothing
        to do and the module reports C(ok); a patched copy without a backup
        fails, with the tool's explanation.
      - C(status) runs C(bucardo-aiven status) and only reports; it never
        changes anything.
      - C(check_db) runs C(bucardo-aiven check-db) against each of
        I(conninfo) and reports whether Bucardo, with the patched module,
        will work there. It never changes anything.
    type: str
    choices: [patched, reverted, status, check_db]
    default: patched
  files:
    description:
      - Work on these C(Bucardo.pm) files only, instead of on every copy
        discovery finds.
      - Paths are used as given, also with I(root); they are B(not) taken
        relative to I(root).
      - Ignored with I(state=check_db).
    type: list
    elements: path
  function:
    description:
      - The schema-qualified function the statements call
        (C(--function)). The tool's default is
        C(aiven_extras.session_replication_role).
      - Used with I(state=patched) and I(state=check_db); ignored otherwise.
    type: str
  root:
    description:
      - Work on the system installed below this directory (C(--root)), a
        chroot or an image being built. The state directory then defaults to
        I(root)/var/lib/bucardo-aiven.
      - With I(state=check_db), the C(Bucardo.pm) found there is the one the
        databases are judged against.
    type: path
  state_dir:
    description:
      - The tool's backup store (C(--state-dir)); by default
        C(/var/lib/bucardo-aiven), or below I(root).
    type: path
  pid_dir:
    description:
      - Where Bucardo keeps C(bucardo.mcp.pid) (C(--pid-dir)), used to tell
        whether a running Bucardo must be restarted. Give Bucardo's C(piddir)
        when it is not the default C(/var/run/bucardo).
    type: path
  lock_timeout:
    description:
      - Seconds to wait for another run of the tool holding its lock
        (C(--lock-timeout)); the tool's default is 30.
    type: int
  binary:
    description:
      - Path of the bucardo-aiven program. A bare name is looked up in
        C(PATH), C(/usr/sbin) and C(/usr/local/sbin).
    type: path
    default: /usr/sbin/bucardo-aiven
  perl_check:
    description:
      - Run C(perl -c) on the rewritten module before it replaces the
        original. C(false) passes C(--no-perl-check), and the tool's
        structural check alone decides. Only for I(state=patched).
    type: bool
    default: true
  force:
    description:
      - With I(state=reverted), put the stored original back even when the
        file is no longer what the tool wrote (after a package upgrade or a
        hand edit), losing whatever replaced it (C(--force)).
    type: bool
    default: false
  conninfo:
    description:
      - With I(state=check_db), the target databases, as libpq connection
        strings or URIs (C(host=pg.example.com port=12345 dbname=shop
        user=bucardo sslmode=require)).
      - Keep passwords out of them (they appear in the process list); use
        I(password), C(PGPASSFILE) or C(~/.pgpass). The values are not
        logged.
    type: list
    elements: str
  bucardo_db:
    description:
      - With I(state=check_db), Bucardo's own control database (for example
        C(dbname=bucardo)); syncs with C(rebuild_index) set are reported as
        Ansible warnings (the result's C(warnings)), since they need a
        superuser whatever the patch.
    type: str
  password:
    description:
      - With I(state=check_db), a password handed to the tool in the
        environment (C(PGPASSWORD)), never on its command line.
    type: str
  fail_not_ready:
    description:
      - With I(state=check_db), fail when a database is not ready (or cannot
        be reached). With C(false) the module reports C(ready=false) and a
        warning per database instead.
    type: bool
    default: true
attributes:
  check_mode:
    description: Runs the tool with C(--check), which writes nothing, not
      even the state directory.
    support: full
  diff_mode:
    description: Returns the tool's unified diff of each file changed (or, in
      check mode, that would change).
    support: full
  platform:
    description: Runs on the managed host, where the tool is installed.
    support: full
    platforms: posix
notes:
  - Bucardo reads its module once, when it starts. The module returns
    I(restart_needed=true) when the copy Bucardo loads was changed while a
    Bucardo daemon runs; restart Bucardo then (the role's handler does).
  - With I(state=check_db), the conninfo values are masked in all output,
    so are error messages quoting them.
  - The tool's manual page, bucardo-aiven(8), documents its checks, its
    JSON document and its exit statuses.
seealso:
  - name: Bucardo
    description: The replication daemon whose module this patches.
    link: https://bucardo.org
'''

EXAMPLES = r'''
- name: Patch every Bucardo.pm found
  bucardo_aiven.bucardo_aiven.bucardo_aiven:
    state: patched
  register: patch
  notify: restart bucardo

- name: Show what would change, writing nothing (run with --check --diff)
  bucardo_aiven.bucardo_aiven.bucardo_aiven:
    state: patched
  check_mode: true
  diff: true

- name: Patch one copy for another managed service's function
  bucardo_aiven.bucardo_aiven.bucardo_aiven:
    files:
      - /usr/local/share/perl/5.36.0/Bucardo.pm
    function: rds_tools.session_replication_role

- name: Put the originals back
  bucardo_aiven.bucardo_aiven.bucardo_aiven:
    state: reverted

- name: Report the state of every copy
  bucardo_aiven.bucardo_aiven.bucardo_aiven:
    state: status
  register: ba_status

- name: Check that the target databases are ready
  bucardo_aiven.bucardo_aiven.bucardo_aiven:
    state: check_db
    conninfo:
      - host=pg-shop.example.com port=12345 dbname=shop user=bucardo sslmode=require
    bucardo_db: dbname=bucardo
    password: "{{ vault_bucardo_target_password }}"
'''

RETURN = r'''
msg:
  description:
    - What happened, in one line. On success, for example C(patched
      /usr/share/perl5/Bucardo.pm), C(every copy of Bucardo.pm is already
      patched (1 copy found)) or C(every database is ready for Bucardo (2
      checked)); in check mode C(would patch ...). On failure, the tool's
      reason.
  returned: always
  type: str
  sample: patched /usr/share/perl5/Bucardo.pm
changed:
  description: Whether a file was changed, or in check mode would be; the
    tool's own C(changed).
  returned: always
  type: bool
files:
  description:
    - One entry per file, as in the tool's C(--json) document (keys
      C(path), C(real_path), C(version), C(layout), C(state),
      C(state_after), C(active), C(changed), C(failed), C(action),
      C(perl_check), C(message) or C(error), C(statements)); the unified
      diff is not repeated here but returned as I(diff) in diff mode.
  returned: state is patched, reverted or status
  type: list
  elements: dict
  sample:
    - path: /usr/share/perl5/Bucardo.pm
      real_path: /usr/share/perl5/Bucardo.pm
      version: 5.6.0
      layout: "5.4"
      state: pristine
      state_after: patched
      active: true
      changed: true
      failed: false
      action: patched
      perl_check: passed
      message: null
      statements:
        - sub: disable_triggers
          line: 5359
          before: SET session_replication_role = 'replica'
          after: select aiven_extras.session_replication_role('replica');
restart_needed:
  description: True when the copy Bucardo loads was changed while a Bucardo
    daemon runs, so Bucardo must be restarted to load it.
  returned: state is patched or reverted
  type: bool
restart:
  description: The tool's advice to restart Bucardo, or null.
  returned: state is patched or reverted
  type: str
state_dir:
  description: The tool's state directory (backup store).
  returned: state is patched, reverted or status
  type: str
function:
  description: The function the statements call.
  returned: state is patched, status or check_db
  type: str
searched:
  description: The directories discovery looked in.
  returned: state is patched, reverted or status
  type: list
  elements: str
all_patched:
  description: With I(state=status), every copy found is patched.
  returned: state is status
  type: bool
found:
  description: With I(state=status), at least one copy was found.
  returned: state is status
  type: bool
ready:
  description: With I(state=check_db), every database is ready.
  returned: state is check_db
  type: bool
databases:
  description: With I(state=check_db), one entry per database, as in the
    tool's document (C(ready), C(reason), C(fix), C(server_version),
    C(superuser), C(function_exists), C(function_executable), C(calls), ...).
  returned: state is check_db
  type: list
  elements: dict
diff:
  description: In diff mode, one C(prepared) unified diff per file changed
    (or that would change).
  returned: diff mode, when a file changed
  type: list
  elements: dict
cmd:
  description: The command run (not returned for I(state=check_db)).
  returned: state is patched, reverted or status
  type: list
  elements: str
rc:
  description: The tool's exit status.
  returned: on failure
  type: int
stderr:
  description: What the tool printed on standard error.
  returned: always
  type: str
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

# Exit statuses of bucardo-aiven(8).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_NOT_PATCHED = 3
EXIT_NONE_FOUND = 4
EXIT_USAGE = 64

# The --json documents this module reads. A document that names a newer
# format_version is refused rather than misread.
FORMAT_VERSION = 1


def resolve_binary(module):
    binary = module.params['binary']
    hint = ('install it (the bucardo-aiven package; the role installs it with '
            'bucardo_aiven_package_install: true) or give its path in binary')
    if '/' not in binary:
        found = module.get_bin_path(binary, opt_dirs=['/usr/sbin', '/usr/local/sbin', '/sbin'])
        if not found:
            module.fail_json(msg='%s: not found in PATH; %s' % (binary, hint))
        return found
    if not os.path.isfile(binary):
        module.fail_json(msg='%s: no such file; %s' % (binary, hint))
    if not os.access(binary, os.X_OK):
        module.fail_json(msg='%s: not executable' % binary)
    return binary


def global_options(module, binary):
    p = module.params
    cmd = [binary, '--json']
    if p['root']:
        cmd += ['--root', p['root']]
    if p['state_dir']:
        cmd += ['--state-dir', p['state_dir']]
    if p['pid_dir']:
        cmd += ['--pid-dir', p['pid_dir']]
    if p['lock_timeout'] is not None:
        cmd += ['--lock-timeout', str(p['lock_timeout'])]
    return cmd


def stderr_lines(err):
    return [line.strip() for line in (err or '').splitlines() if line.strip()]


def run_tool(module, cmd, environ_update=None, show_cmd=True):
    """Run the tool (argv list, no shell); return (rc, document, stderr)."""
    rc, out, err = module.run_command(cmd, check_rc=False, environ_update=environ_update or {})
    extra = dict(rc=rc, stderr=err)
    if show_cmd:
        extra['cmd'] = cmd
    if rc == EXIT_USAGE:
        # Usage errors print the reason first, then the usage text.
        lines = stderr_lines(err)
        module.fail_json(msg='bucardo-aiven: usage error (exit 64): %s'
                         % (lines[0] if lines else 'no reason given'), **extra)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        reason = '; '.join(stderr_lines(err)) or (out or '').strip()[:500] or 'no output'
        module.fail_json(msg='bucardo-aiven did not print a JSON document (exit %d): %s'
                         % (rc, reason), stdout=out, **extra)
    fmt = doc.get('format_version', FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        module.fail_json(msg='bucardo-aiven printed JSON format_version %r; this module reads %d: '
                         'use the collection released with the tool' % (fmt, FORMAT_VERSION), **extra)
    # Each of the tool's warnings once, through module.warn(): Ansible fills
    # the result's reserved key 'warnings' from it, so the module never puts
    # them there itself (they would show twice). 'warnings' is the list every
    # document carries; 'warning', the one an older tool gave.
    shown = []
    for w in (doc.get('warnings') or []) + [doc.get('warning')]:
        if w and isinstance(w, str) and w not in shown:
            shown.append(w)
            module.warn(w)
    return rc, doc, err


def file_errors(doc, err):
    """The tool's messages: stderr, plus each error stderr does not repeat."""
    lines = stderr_lines(err)
    msgs = list(lines)
    e = doc.get('error')
    if e and isinstance(e, str) and not any(e in line for line in lines):
        msgs.append(e)
    for f in doc.get('files') or []:
        e = f.get('error')
        if f.get('failed') and e and not any(e in line for line in lines):
            msgs.append(e)
    return msgs


def clean_files(files):
    """The files as reported, without the diff (returned as 'diff' instead)."""
    return [dict((k, v) for k, v in f.items() if k != 'diff') for f in files or []]


def prepared_diffs(files):
    return [{'prepared': f['diff']} for f in files or []
            if f.get('changed') and f.get('diff')]


def copies(n):
    return '%d cop%s' % (n, 'y' if n == 1 else 'ies')


def status_msg(files, rc):
    if rc == EXIT_NONE_FOUND or not files:
        return 'no Bucardo.pm found'
    if rc == EXIT_OK:
        return 'every copy of Bucardo.pm is patched (%s found)' % copies(len(files))
    unpatched = [f for f in files if f.get('state') != 'patched']
    return '%d of %s of Bucardo.pm not patched' % (len(unpatched) or 1, copies(len(files)))


def change_msg(command, files, check_mode, restart):
    verb = 'patch' if command == 'apply' else 'revert'
    done = [f.get('path') or '?' for f in files if f.get('changed')]
    if done:
        msg = '%s %s' % ('would ' + verb if check_mode else verb + 'ed', ', '.join(done))
    elif command == 'apply':
        msg = 'every copy of Bucardo.pm is already patched (%s found)' % copies(len(files))
    else:
        msg = 'nothing to revert (%s found)' % copies(len(files))
    if restart:
        msg += '; ' + restart
    return msg


def status(module, binary):
    p = module.params
    cmd = global_options(module, binary) + ['status']
    if p['files']:
        cmd += ['--'] + p['files']
    rc, doc, err = run_tool(module, cmd)
    files = doc.get('files') or []
    if rc not in (EXIT_OK, EXIT_NOT_PATCHED, EXIT_NONE_FOUND):
        msgs = file_errors(doc, err) or ['exit %d' % rc]
        module.fail_json(msg='bucardo-aiven status failed (exit %d): %s' % (rc, '; '.join(msgs)),
                         files=clean_files(files), cmd=cmd, rc=rc, stderr=err)
    # No 'rc' on success: Ansible takes a result with a non-zero rc as failed.
    return dict(changed=False, msg=status_msg(files, rc),
                files=clean_files(files), all_patched=(rc == EXIT_OK),
                found=(rc != EXIT_NONE_FOUND), state_dir=doc.get('state_dir'),
                function=doc.get('function'), searched=doc.get('searched') or [],
                cmd=cmd, stderr=err)


def apply_or_revert(module, binary):
    p = module.params
    state = p['state']
    command = 'apply' if state == 'patched' else 'revert'
    cmd = global_options(module, binary) + [command]
    if module.check_mode:
        cmd.append('--check')
    if module._diff:
        cmd.append('--diff')
    if state == 'patched':
        if p['function']:
            cmd += ['--function', p['function']]
        if not p['perl_check']:
            cmd.append('--no-perl-check')
    elif p['force']:
        cmd.append('--force')
    if p['files']:
        cmd += ['--'] + p['files']

    rc, doc, err = run_tool(module, cmd)
    files = doc.get('files') or []
    changed = bool(doc.get('changed'))
    any_failed = bool(doc.get('failed')) or any(f.get('failed') for f in files)

    result = dict(changed=changed, files=clean_files(files),
                  restart_needed=bool(doc.get('restart')), restart=doc.get('restart'),
                  state_dir=doc.get('state_dir'), function=doc.get('function'),
                  searched=doc.get('searched') or [], cmd=cmd, stderr=err)
    if module._diff:
        diffs = prepared_diffs(files)
        if diffs:
            result['diff'] = diffs

    if rc != EXIT_OK or any_failed:
        msgs = file_errors(doc, err) or ['exit %d' % rc]
        result['msg'] = 'bucardo-aiven %s failed (exit %d): %s' % (command, rc, '; '.join(msgs))
        module.fail_json(rc=rc, **result)

    result['msg'] = change_msg(command, files, module.check_mode, doc.get('restart'))
    return result


def check_db(module, binary):
    p = module.params
    # --root too: check-db judges the databases against the module Bucardo
    # loads there.
    cmd = global_options(module, binary) + ['check-db']
    if p['function']:
        cmd += ['--function', p['function']]
    if p['bucardo_db']:
        cmd += ['--bucardo-db', p['bucardo_db']]
    cmd += ['--'] + p['conninfo']
    env = {'PGPASSWORD': p['password']} if p['password'] else None
    rc, doc, err = run_tool(module, cmd, environ_update=env, show_cmd=False)

    databases = doc.get('databases') or []
    ready = bool(doc.get('ready')) and rc == EXIT_OK
    result = dict(changed=False, ready=ready, function=doc.get('function'),
                  databases=databases, bucardo_db=doc.get('bucardo_db'), stderr=err)
    if ready:
        result['msg'] = 'every database is ready for Bucardo (%d checked)' % len(databases)
        return result
    if rc not in (EXIT_OK, EXIT_FAILURE):
        result['msg'] = 'bucardo-aiven check-db: unexpected exit %d: %s' % (
            rc, '; '.join(stderr_lines(err)))
        module.fail_json(rc=rc, **result)

    reasons = []
    for d in databases:
        if d.get('ready'):
            continue
        where = '%s@%s:%s/%s' % (d.get('user'), d.get('host'), d.get('port'), d.get('dbname'))
        text = '%s: %s' % (where, d.get('reason') or 'not ready')
        if d.get('fix'):
            text += '; fix: %s' % d['fix']
        reasons.append(text)
    bdb = doc.get('bucardo_db')
    if isinstance(bdb, dict) and bdb.get('error'):
        reasons.append('bucardo control database: %s' % bdb['error'])
    if not reasons:
        reasons = stderr_lines(err) or ['exit %d' % rc]
    if p['fail_not_ready']:
        result['msg'] = 'not every database is ready for Bucardo: %s' % ' | '.join(reasons)
        module.fail_json(rc=rc, **result)
    for r in reasons:
        module.warn('not ready: %s' % r)
    result['msg'] = 'not every database is ready for Bucardo'
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='patched',
                       choices=['patched', 'reverted', 'status', 'check_db']),
            files=dict(type='list', elements='path'),
            function=dict(type='str'),
            root=dict(type='path'),
            state_dir=dict(type='path'),
            pid_dir=dict(type='path'),
            lock_timeout=dict(type='int'),
            binary=dict(type='path', default='/usr/sbin/bucardo-aiven'),
            perl_check=dict(type='bool', default=True),
            force=dict(type='bool', default=False),
            conninfo=dict(type='list', elements='str', no_log=True),
            bucardo_db=dict(type='str', no_log=True),
            password=dict(type='str', no_log=True),
            fail_not_ready=dict(type='bool', default=True),
        ),
        required_if=[('state', 'check_db', ('conninfo',))],
        supports_check_mode=True,
    )
    binary = resolve_binary(module)
    state = module.params['state']
    if state == 'check_db':
        result = check_db(module, binary)
    elif state == 'status':
        result = status(module, binary)
    else:
        result = apply_or_revert(module, binary)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
