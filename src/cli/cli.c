/* cli.c: the command line: options, the command table, usage and dispatch. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "host/host.h"
#include "commands.h"
#include "options.h"
#include "engine/engine.h"
#include "run.h"

struct command {
	const char	*name;
	int		(*run)(struct options *);
	const char	*args;
	const char	*summary;
	unsigned	 accepts;
};

static const struct command commands[] = {
	{ "status", cmd_status, "[--function NAME] [--form plain|guarded] [FILE ...]",
	    "show every Bucardo.pm, its version and state, and which one perl loads",
	    OPT_FUNCTION | OPT_FORM },
	{ "apply", cmd_apply,
	    "[--check] [--diff] [--function NAME] [--form plain|guarded] [--no-perl-check] "
	    "[--keep-perl-env] [--detailed-exitcodes] [--reapply] [FILE ...]",
	    "rewrite the session_replication_role statements (backing up the original)",
	    OPT_CHECK | OPT_DIFF | OPT_FUNCTION | OPT_FORM | OPT_NO_PERL_CHECK | OPT_DETAILED |
	    OPT_KEEP_PERL_ENV | OPT_REAPPLY },
	{ "revert", cmd_revert, "[--check] [--diff] [--force] [--detailed-exitcodes] [FILE ...]",
	    "put back the original from the backup store", OPT_CHECK | OPT_DIFF | OPT_FORCE |
	    OPT_DETAILED },
	{ "history", cmd_history, "[FILE]",
	    "list what the backup store holds: when, which file, which version, what was done", 0 },
	{ "check-db", cmd_check_db, "[--function NAME] [--bucardo-db CONNINFO] "
	    "[--module FILE | --module-state STATE] [CONNINFO ...]",
	    "check that the databases Bucardo writes to are ready for the module it runs",
	    OPT_FUNCTION | OPT_BUCARDO_DB | OPT_MODULE | OPT_MODULE_STATE },
	{ "hook", cmd_hook, "install [--binary PATH] | remove | status",
	    "add or remove the apt hook that re-applies after every package operation",
	    OPT_BINARY },
};

static void
usage(FILE *to)
{
	size_t i;

	fprintf(to, "usage: %s [--root DIR] [--state-dir DIR] [--json] [-q] [-v] COMMAND [ARGS]\n",
	    PROGNAME);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "       %s %s %s\n", PROGNAME, commands[i].name, commands[i].args);
	fprintf(to, "\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(to, "\nglobal options:\n"
	    "  --root DIR        search below DIR instead of /; state in DIR/var/lib/bucardo-aiven\n"
	    "  --state-dir DIR   backup store (default %s)\n"
	    "  --pid-dir DIR     where Bucardo keeps its pid files (default %s)\n"
	    "  --rules DIR       rewrite rules from DIR instead of the built-in patches/\n"
	    "  --binary PATH     hook install: the command the apt hook runs\n"
	    "  --form FORM       apply: write the plain or the guarded form (default: each\n"
	    "                    layout's own; see bucardo-aiven(8))\n"
	    "  --lock-timeout N  wait up to N seconds for another run (default 30)\n"
	    "  --keep-perl-env   apply: let perl -c see PERL5LIB and PERL5OPT (ignored by\n"
	    "                    default: they would run code not root's)\n"
	    "  --detailed-exitcodes  apply, revert: 0 nothing to do, 2 changed, 4 failed,\n"
	    "                    6 changed and failed (Puppet's codes)\n"
	    "  --json            one JSON document on stdout\n"
	    "  -q, --quiet       print nothing but errors\n"
	    "  -v, --verbose     show each statement found and how it is rewritten\n"
	    "  -h, --help        this text;  -V, --version  the version\n"
	    "\nSee bucardo-aiven(8).\n", DEFAULT_STATE_DIR, DEFAULT_PID_DIR);
}

/*
 * Where a directory option points: given, a host path (the admin named
 * it); else the default, inside the root. display is the host's view.
 */
static int
place(const struct options *o, const char *given, const char *fallback, struct fsroot **fs,
    char **inner, char **display)
{
	struct err e = ERR_INIT;

	if (given == NULL) {
		*fs = o->fs;
		*inner = strdup(fallback);
	} else {
		*fs = o->host;
		if (fsroot_inner(o->host, given, inner, &e) == -1) {
			run_complain("%s", e.msg);
			return -1;
		}
	}
	if (*inner == NULL || asprintf(display, "%s%s", (*fs)->host, *inner) == -1) {
		run_complain("out of memory");
		return -1;
	}
	return 0;
}

static int
parse_timeout(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > 86400)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/*
 * What main needs after a command ran: whether one JSON document was asked
 * for, and for which command, so that a run ending before it printed one
 * (a usage error) still prints one.
 */
struct outcome {
	int		 json;
	int		 check;
	int		 detailed;
	const char	*command;
};

static int
cli_run(int argc, char *argv[], struct outcome *out)
{
	enum { LONG_ROOT = 256, LONG_STATE, LONG_PID, LONG_RULES, LONG_FUNCTION, LONG_CHECK,
		LONG_DIFF, LONG_NO_PERL, LONG_DETAILED, LONG_FORCE, LONG_JSON, LONG_LOCK,
		LONG_KEEP_ENV, LONG_BUCARDO_DB, LONG_REAPPLY, LONG_BINARY, LONG_FORM, LONG_MODULE,
		LONG_MODULE_STATE };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, LONG_ROOT },
		{ "state-dir", required_argument, NULL, LONG_STATE },
		{ "pid-dir", required_argument, NULL, LONG_PID },
		{ "rules", required_argument, NULL, LONG_RULES },
		{ "lock-timeout", required_argument, NULL, LONG_LOCK },
		{ "function", required_argument, NULL, LONG_FUNCTION },
		{ "check", no_argument, NULL, LONG_CHECK },
		{ "diff", no_argument, NULL, LONG_DIFF },
		{ "no-perl-check", no_argument, NULL, LONG_NO_PERL },
		{ "keep-perl-env", no_argument, NULL, LONG_KEEP_ENV },
		{ "detailed-exitcodes", no_argument, NULL, LONG_DETAILED },
		{ "force", no_argument, NULL, LONG_FORCE },
		{ "bucardo-db", required_argument, NULL, LONG_BUCARDO_DB },
		{ "reapply", no_argument, NULL, LONG_REAPPLY },
		{ "binary", required_argument, NULL, LONG_BINARY },
		{ "form", required_argument, NULL, LONG_FORM },
		{ "module", required_argument, NULL, LONG_MODULE },
		{ "module-state", required_argument, NULL, LONG_MODULE_STATE },
		{ "json", no_argument, NULL, LONG_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o;
	struct fsroot fs = FSROOT_INIT, host = FSROOT_INIT;
	struct err e = ERR_INIT;
	const struct command *cmd = NULL;
	struct stat st;
	size_t i;
	int c, status = EXIT_FAILED;

	memset(&o, 0, sizeof(o));
	/* --json anywhere asks for JSON even when the options before it are wrong. */
	for (i = 1; i < (size_t)argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			out->json = 1;
	opterr = 0;	/* getopt's own message would bypass the JSON document */
	o.function = DEFAULT_FUNCTION;
	o.form = RULE_FORMS;
	o.lock_timeout = 30;
	while ((c = getopt_long(argc, argv, "qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case LONG_ROOT: o.root = optarg; break;
		case LONG_STATE: o.state_dir = optarg; break;
		case LONG_PID: o.pid_dir = optarg; break;
		case LONG_RULES: o.rules_dir = optarg; break;
		case LONG_FUNCTION: o.function = optarg; o.seen |= OPT_FUNCTION; break;
		case LONG_CHECK: o.check = 1; o.seen |= OPT_CHECK; break;
		case LONG_DIFF: o.diff = 1; o.seen |= OPT_DIFF; break;
		case LONG_NO_PERL: o.no_perl_check = 1; o.seen |= OPT_NO_PERL_CHECK; break;
		case LONG_KEEP_ENV: o.keep_perl_env = 1; o.seen |= OPT_KEEP_PERL_ENV; break;
		case LONG_DETAILED: o.detailed_exitcodes = 1; o.seen |= OPT_DETAILED; break;
		case LONG_FORCE: o.force = 1; o.seen |= OPT_FORCE; break;
		case LONG_BUCARDO_DB: o.bucardo_db = optarg; o.seen |= OPT_BUCARDO_DB; break;
		case LONG_REAPPLY: o.reapply = 1; o.seen |= OPT_REAPPLY; break;
		case LONG_BINARY: o.binary = optarg; o.seen |= OPT_BINARY; break;
		case LONG_MODULE: o.module = optarg; o.seen |= OPT_MODULE; break;
		case LONG_MODULE_STATE: o.module_state = optarg; o.seen |= OPT_MODULE_STATE; break;
		case LONG_FORM:
			if ((o.form = rules_form_from_name(optarg)) == RULE_FORMS) {
				run_complain("--form %s: plain or guarded", optarg);
				return EXIT_USAGE;
			}
			o.seen |= OPT_FORM;
			break;
		case LONG_JSON: o.json = 1; break;
		case LONG_LOCK:
			if (parse_timeout(optarg, &o.lock_timeout) == -1) {
				run_complain("--lock-timeout: '%s' is not a number of seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V':
			out->command = "version";
			if (out->json)
				return report_emit_error("version", 0, NULL, EXIT_OK) == -1 ?
				    EXIT_FAILED : EXIT_OK;
			printf("%s %s\n", PROGNAME, PACKAGE_VERSION);
			return EXIT_OK;
		default:
			if (optopt > 0 && optopt < 128)
				run_complain("-%c: unknown option; try --help", optopt);
			else
				run_complain("%s: unknown option, or one missing its value; try --help",
				    argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		run_complain("no command given; try --help");
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		run_complain("%s: unknown command; try --help", argv[optind]);
		return EXIT_USAGE;
	}
	out->command = cmd->name;
	out->check = o.check;
	out->detailed = o.detailed_exitcodes;
	if (o.seen & ~cmd->accepts) {
		run_complain("%s: an option given does not apply to this command; try --help", cmd->name);
		return EXIT_USAGE;
	}
	if ((o.seen & OPT_MODULE) && (o.seen & OPT_MODULE_STATE)) {
		run_complain("check-db: --module and --module-state are two ways to say the same; "
		    "give one");
		return EXIT_USAGE;
	}
	if (!rules_function_ok(o.function)) {
		run_complain("--function %s: not a plain SQL function name (schema.name, letters, "
		    "digits and _ only)", o.function);
		return EXIT_USAGE;
	}
	if (o.root != NULL && (stat(o.root, &st) == -1 || !S_ISDIR(st.st_mode))) {
		run_complain("%s: --root must be an existing directory", o.root);
		return EXIT_USAGE;
	}
	if (fsroot_open(&host, NULL, &e) == -1 ||
	    (o.root != NULL && fsroot_open(&fs, o.root, &e) == -1)) {
		run_complain("%s", e.msg);
		status = o.root != NULL ? EXIT_USAGE : EXIT_FAILED;
		goto done;
	}
	o.host = &host;
	o.fs = fs.fd != -1 && fs.host[0] != '\0' ? &fs : &host;
	if (o.fs == &host)
		o.root = NULL;
	/* The defaults lie inside the root; what the admin names is a host path. */
	if (place(&o, o.state_dir, DEFAULT_STATE_DIR, &o.state_fs, &o.state_inner,
	    &o.state_buf) == -1 ||
	    place(&o, o.pid_dir, DEFAULT_PID_DIR, &o.pid_fs, &o.pid_inner, &o.pid_buf) == -1) {
		status = EXIT_USAGE;
		goto done;
	}
	o.state_dir = o.state_buf;
	o.pid_dir = o.pid_buf;
	o.files = argv + optind + 1;
	o.nfiles = argc - optind - 1;
	status = cmd->run(&o);
done:
	free(o.state_inner);
	free(o.state_buf);
	free(o.pid_inner);
	free(o.pid_buf);
	fsroot_close(&fs);
	fsroot_close(&host);
	return status;
}

int
main(int argc, char *argv[])
{
	struct outcome out = { 0, 0, 0, NULL };
	int status = cli_run(argc, argv, &out);

	/* Puppet's "failed" under --detailed-exitcodes, where no report said more. */
	if (out.detailed && status == EXIT_FAILED)
		status = EXIT_DETAILED_FAILED;
	if (out.json && !report_json_emitted())
		report_emit_error(out.command, out.check, status == EXIT_OK || status == EXIT_CHANGED ?
		    NULL : run_last_complaint() ? run_last_complaint() : "failed; see stderr", status);
	return status;
}
