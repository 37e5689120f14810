/* cli.c: the command line: options, the command table, usage and dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
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

/*
 * The command line as data, in the style of git's command table: every
 * option once, with the commands that take it; every command once, with
 * its operands. getopt's table, --help, each command's usage line and the
 * check that an option applies to the command are all made from these two
 * tables, so they cannot drift apart (tests/cli/completion.sh checks the
 * bash completion against --help).
 */
enum opt_kind {
	OPT_KIND_FLAG,		/* sets an int field to 1 */
	OPT_KIND_STRING,	/* stores the argument in a const char * field */
	OPT_KIND_PARSE		/* parse() reads the argument; -1: a usage error */
};

struct option_row {
	const char	*name;		/* the long name, without -- */
	int		 letter;	/* the short option, or 0 */
	const char	*value;		/* the argument's name in usage; NULL: a flag */
	enum opt_kind	 kind;
	size_t		 field;		/* offsetof(struct options, ...) */
	int		(*parse)(struct options *, const char *);
	unsigned	 bit;		/* OPT_* for a command's option; 0: global */
	unsigned	 excludes;	/* OPT_* it may not be given with */
	const char	*help;
};

struct command {
	const char	*name;
	int		(*run)(struct options *);
	const char	*operands;	/* after the options, in usage */
	const char	*summary;
	unsigned	 accepts;	/* OPT_* this command takes */
};

static int parse_form(struct options *, const char *);
static int parse_timeout(struct options *, const char *);

#define FIELD(f)	offsetof(struct options, f)

static const struct option_row option_rows[] = {
	{ "root", 0, "DIR", OPT_KIND_STRING, FIELD(root), NULL, 0, 0,
	    "search below DIR instead of /; state in DIR/var/lib/bucardo-aiven" },
	{ "state-dir", 0, "DIR", OPT_KIND_STRING, FIELD(state_dir), NULL, 0, 0,
	    "the backup store (default " DEFAULT_STATE_DIR ")" },
	{ "pid-dir", 0, "DIR", OPT_KIND_STRING, FIELD(pid_dir), NULL, 0, 0,
	    "where Bucardo keeps its pid files (default " DEFAULT_PID_DIR ")" },
	{ "rules", 0, "DIR", OPT_KIND_STRING, FIELD(rules_dir), NULL, 0, 0,
	    "rewrite rules from DIR instead of the built-in patches/" },
	{ "lock-timeout", 0, "N", OPT_KIND_PARSE, 0, parse_timeout, 0, 0,
	    "wait up to N seconds for another run (default 30)" },
	{ "json", 0, NULL, OPT_KIND_FLAG, FIELD(json), NULL, 0, 0,
	    "one JSON document on stdout, whatever happens" },
	{ "quiet", 'q', NULL, OPT_KIND_FLAG, FIELD(quiet), NULL, 0, 0,
	    "print nothing but errors" },
	{ "verbose", 'v', NULL, OPT_KIND_FLAG, FIELD(verbose), NULL, 0, 0,
	    "show each statement found and how it is rewritten" },
	{ "check", 0, NULL, OPT_KIND_FLAG, FIELD(check), NULL, OPT_CHECK, 0,
	    "write nothing; say what would change" },
	{ "diff", 0, NULL, OPT_KIND_FLAG, FIELD(diff), NULL, OPT_DIFF, 0,
	    "show each change as a unified diff" },
	{ "force", 0, NULL, OPT_KIND_FLAG, FIELD(force), NULL, OPT_FORCE, 0,
	    "put the original back even over a file changed since, or not verified" },
	{ "function", 0, "NAME", OPT_KIND_STRING, FIELD(function), NULL, OPT_FUNCTION, 0,
	    "the SQL function to call (default " DEFAULT_FUNCTION ")" },
	{ "form", 0, "plain|guarded", OPT_KIND_PARSE, 0, parse_form, OPT_FORM, 0,
	    "write the plain or the guarded form (default: each layout's own)" },
	{ "no-perl-check", 0, NULL, OPT_KIND_FLAG, FIELD(no_perl_check), NULL, OPT_NO_PERL_CHECK,
	    0, "skip perl -c on the result (the structural check still runs)" },
	{ "keep-perl-env", 0, NULL, OPT_KIND_FLAG, FIELD(keep_perl_env), NULL, OPT_KEEP_PERL_ENV,
	    0, "let perl -c see PERL5LIB and PERLLIB, when every directory is trusted" },
	{ "detailed-exitcodes", 0, NULL, OPT_KIND_FLAG, FIELD(detailed_exitcodes), NULL,
	    OPT_DETAILED, 0, "exit 0 nothing to do, 2 changed, 4 failed, 6 changed and failed" },
	{ "reapply", 0, NULL, OPT_KIND_FLAG, FIELD(reapply), NULL, OPT_REAPPLY, 0,
	    "patch again only the copies patched before (package triggers, the apt hook)" },
	{ "bucardo-db", 0, "CONNINFO", OPT_KIND_STRING, FIELD(bucardo_db), NULL, OPT_BUCARDO_DB, 0,
	    "Bucardo's control database: check every database its syncs write to" },
	{ "module", 0, "FILE", OPT_KIND_STRING, FIELD(module), NULL, OPT_MODULE, OPT_MODULE_STATE,
	    "judge for FILE, the Bucardo.pm another machine runs" },
	{ "module-state", 0, "STATE", OPT_KIND_STRING, FIELD(module_state), NULL, OPT_MODULE_STATE,
	    OPT_MODULE, "judge for a module in STATE: pristine, patched or guarded[:5.0|:5.4]" },
	{ "binary", 0, "PATH", OPT_KIND_STRING, FIELD(binary), NULL, OPT_BINARY, 0,
	    "the command the apt hook runs" },
};

static const struct command commands[] = {
	{ "status", cmd_status, "[FILE ...]",
	    "show every Bucardo.pm, its version and state, and which one perl loads",
	    OPT_FUNCTION | OPT_FORM },
	{ "apply", cmd_apply, "[FILE ...]",
	    "rewrite the session_replication_role statements (backing up the original)",
	    OPT_CHECK | OPT_DIFF | OPT_FUNCTION | OPT_FORM | OPT_NO_PERL_CHECK | OPT_KEEP_PERL_ENV |
	    OPT_DETAILED | OPT_REAPPLY },
	{ "revert", cmd_revert, "[FILE ...]",
	    "put back the original from the backup store",
	    OPT_CHECK | OPT_DIFF | OPT_FORCE | OPT_DETAILED },
	{ "history", cmd_history, "[FILE]",
	    "list what the backup store holds: when, which file, which version, what was done", 0 },
	{ "check-db", cmd_check_db, "[CONNINFO ...]",
	    "check that the databases Bucardo writes to are ready for the module it runs",
	    OPT_FUNCTION | OPT_BUCARDO_DB | OPT_MODULE | OPT_MODULE_STATE },
	{ "hook", cmd_hook, "install | remove | status",
	    "add or remove the apt hook that re-applies after every package operation "
	    "(status exits 0 when installed, 3 when not)", OPT_BINARY },
};

#define NROWS		(sizeof(option_rows) / sizeof(option_rows[0]))
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))
#define LONG_BASE	256	/* getopt_long's val for row i: LONG_BASE + i */

/* "--name VALUE" or "--name", into out (size bytes). */
static void
option_words(const struct option_row *r, char *out, size_t size)
{
	snprintf(out, size, "--%s%s%s", r->name, r->value ? " " : "", r->value ? r->value : "");
}

/* One command's usage line: its options from the table, then its operands. */
static void
usage_line(FILE *to, const struct command *c)
{
	char words[80];
	size_t i, j;

	fprintf(to, "       %s %s", PROGNAME, c->name);
	for (i = 0; i < NROWS; i++) {
		const struct option_row *r = &option_rows[i];

		if (r->bit == 0 || !(c->accepts & r->bit))
			continue;
		/* Two options that exclude each other are one choice: [--a X | --b Y]. */
		for (j = 0; j < i; j++)
			if (option_rows[j].bit & r->excludes && c->accepts & option_rows[j].bit)
				break;
		if (j < i)
			continue;
		option_words(r, words, sizeof(words));
		fprintf(to, " [%s", words);
		for (j = i + 1; j < NROWS; j++)
			if (option_rows[j].bit & r->excludes && c->accepts & option_rows[j].bit) {
				option_words(&option_rows[j], words, sizeof(words));
				fprintf(to, " | %s", words);
			}
		fputc(']', to);
	}
	fprintf(to, " %s\n", c->operands);
}

static void
usage(FILE *to)
{
	char words[80], names[80];
	size_t i, k;

	fprintf(to, "usage: %s [global options] COMMAND [options] [operands]\n", PROGNAME);
	for (k = 0; k < NCOMMANDS; k++)
		usage_line(to, &commands[k]);
	fprintf(to, "\ncommands:\n");
	for (k = 0; k < NCOMMANDS; k++)
		fprintf(to, "  %-9s %s\n", commands[k].name, commands[k].summary);
	fprintf(to, "\nglobal options:\n");
	for (i = 0; i < NROWS; i++) {
		const struct option_row *r = &option_rows[i];

		if (r->bit != 0)
			continue;
		option_words(r, words, sizeof(words));
		if (r->letter)
			fprintf(to, "  -%c, %-21s %s\n", r->letter, words, r->help);
		else
			fprintf(to, "  %-25s %s\n", words, r->help);
	}
	fprintf(to, "  -h, --help                this text\n"
	    "  -V, --version             the version\n"
	    "\ncommand options:\n");
	for (i = 0; i < NROWS; i++) {
		const struct option_row *r = &option_rows[i];
		size_t used = 0;

		if (r->bit == 0)
			continue;
		names[0] = '\0';
		for (k = 0; k < NCOMMANDS; k++)
			if (commands[k].accepts & r->bit)
				used += (size_t)snprintf(names + used, used < sizeof(names) ?
				    sizeof(names) - used : 0, "%s%s", used ? ", " : "", commands[k].name);
		option_words(r, words, sizeof(words));
		fprintf(to, "  %-25s (%s) %s\n", words, names, r->help);
	}
	fprintf(to, "\nSee bucardo-aiven(8).\n");
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
parse_timeout(struct options *o, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > 86400) {
		run_complain("--lock-timeout: '%s' is not a number of seconds (0 to 86400)", s);
		return -1;
	}
	o->lock_timeout = (unsigned)v;
	return 0;
}

static int
parse_form(struct options *o, const char *s)
{
	if ((o->form = rules_form_from_name(s)) == RULE_FORMS) {
		run_complain("--form %s: plain or guarded", s);
		return -1;
	}
	return 0;
}

/* Set what row i stands for; -1 when its argument is a usage error. */
static int
option_set(struct options *o, const struct option_row *r, const char *arg)
{
	char *base = (char *)o;

	o->seen |= r->bit;
	switch (r->kind) {
	case OPT_KIND_FLAG:
		*(int *)(void *)(base + r->field) = 1;
		return 0;
	case OPT_KIND_STRING:
		*(const char **)(void *)(base + r->field) = arg;
		return 0;
	case OPT_KIND_PARSE:
		return r->parse(o, arg);
	}
	return -1;
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
	struct option longopts[NROWS + 3];
	char shortopts[2 * NROWS + 8];
	struct options o;
	struct fsroot fs = FSROOT_INIT, host = FSROOT_INIT;
	struct err e = ERR_INIT;
	const struct command *cmd = NULL;
	struct stat st;
	size_t i, k;
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
	/* getopt's tables, from option_rows. */
	k = 0;
	shortopts[k++] = 'h';
	shortopts[k++] = 'V';
	for (i = 0; i < NROWS; i++) {
		longopts[i] = (struct option){ option_rows[i].name,
		    option_rows[i].value ? required_argument : no_argument, NULL, LONG_BASE + (int)i };
		if (option_rows[i].letter) {
			shortopts[k++] = (char)option_rows[i].letter;
			if (option_rows[i].value)
				shortopts[k++] = ':';
		}
	}
	shortopts[k] = '\0';
	longopts[NROWS] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[NROWS + 1] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[NROWS + 2] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c >= LONG_BASE && c < LONG_BASE + (int)NROWS) {
			if (option_set(&o, &option_rows[c - LONG_BASE], optarg) == -1)
				return EXIT_USAGE;
			continue;
		}
		for (i = 0; i < NROWS && option_rows[i].letter != c; i++)
			;
		if (c != 0 && i < NROWS) {
			option_set(&o, &option_rows[i], optarg);
			continue;
		}
		switch (c) {
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
	for (i = 0; i < NROWS; i++) {
		const struct option_row *r = &option_rows[i];

		if ((o.seen & r->bit) && !(cmd->accepts & r->bit)) {
			run_complain("%s: --%s does not apply to this command; try --help",
			    cmd->name, r->name);
			return EXIT_USAGE;
		}
		if ((o.seen & r->bit) && (o.seen & r->excludes)) {
			run_complain("%s: --%s and the option it excludes are two ways to say the "
			    "same; give one", cmd->name, r->name);
			return EXIT_USAGE;
		}
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
	int status;

	/*
	 * What this tool makes is root's alone unless it says otherwise: a
	 * file keeps the mode it is given (atomic_write_at, fchmod), and what
	 * libgit2 makes in the store (refs 0666, directories 0777, less the
	 * umask) must not become writable by others under a loose umask.
	 */
	umask(077);
	status = cli_run(argc, argv, &out);

	/* Puppet's "failed" under --detailed-exitcodes, where no report said more. */
	if (out.detailed && status == EXIT_FAILED)
		status = EXIT_DETAILED_FAILED;
	if (out.json && !report_json_emitted())
		report_emit_error(out.command, out.check, status == EXIT_OK || status == EXIT_CHANGED ?
		    NULL : run_last_complaint() ? run_last_complaint() : "failed; see stderr", status);
	return status;
}
