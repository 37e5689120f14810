/* test-report.c: a run's report printed for people and as the one JSON document, escaped, in its envelope. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "report.h"
#include "tap.h"

/*
 * report_release frees the history the store listed (store.c): this test
 * links no store, and frees the events it builds the same way.
 */
void
store_events_free(struct store_event *events, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(events[i].action);
		free(events[i].path);
		free(events[i].bucardo_version);
		free(events[i].tool_version);
		free(events[i].function);
		free(events[i].original_note);
	}
	free(events);
}

/* The one JSON document text holds, with nothing after it but white space; or NULL. */
static json_object *
parse(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *doc;
	size_t len = strlen(text), end;

	if (tok == NULL)
		return NULL;
	doc = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (doc != NULL && text[end + strspn(text + end, " \t\n")] != '\0') {
		printf("#   after the document: %s\n", text + end);
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

static int
has(const char *text, const char *needle)
{
	if (text != NULL && strstr(text, needle) != NULL)
		return 1;
	printf("#   text:  %s\n#   lacks: %s\n", text ? text : "(null)", needle);
	return 0;
}

/*
 * What one call printed on stdout: stdout goes to a temporary file
 * meanwhile (the TAP lines go to stdout too). Returns a string that stays
 * until the next capture.
 */
static FILE *capture_file;
static int saved_stdout = -1;

static void
capture_start(void)
{
	fflush(stdout);
	if ((capture_file = tmpfile()) == NULL || (saved_stdout = dup(1)) == -1 ||
	    dup2(fileno(capture_file), 1) == -1) {
		printf("Bail out! cannot capture stdout\n");
		exit(1);
	}
}

static const char *
capture_end(void)
{
	static char *text;
	long n;

	fflush(stdout);
	if (dup2(saved_stdout, 1) == -1) {
		fprintf(stderr, "cannot restore stdout\n");
		exit(1);
	}
	close(saved_stdout);
	free(text);
	n = ftell(capture_file);
	if (n < 0 || (text = calloc(1, (size_t)n + 1)) == NULL)
		exit(1);
	rewind(capture_file);
	if (fread(text, 1, (size_t)n, capture_file) != (size_t)n)
		exit(1);
	fclose(capture_file);
	return text;
}

/* A report as apply leaves it: one file patched, one refused. */
static void
build_apply(struct report *r, const char *path)
{
	struct file_report *f;

	memset(r, 0, sizeof(*r));
	r->command = "apply";
	r->state_dir = "/var/lib/bucardo-aiven";
	r->function = "aiven_extras.session_replication_role";
	must((f = report_add(r, path)) == NULL);
	f->version = strdup("5.6.0");
	f->layout = strdup("5.4");
	f->state = "pristine";
	f->state_after = "patched";
	f->form = "plain";
	f->action = "patched";
	f->perl_check = "passed";
	f->active = 1;
	f->changed = 1;
	must(report_statement(f, "disable_triggers", 5359, "SET session_replication_role = "
	    "'replica'", "select aiven_extras.session_replication_role('replica');", NULL));
	must(report_statement(f, "enable_triggers", 5376, "SET session_replication_role = "
	    "default", "select aiven_extras.session_replication_role('origin');",
	    "a note on it"));
	must((f = report_add(r, "/usr/local/share/perl/5.36.0/Bucardo.pm")) == NULL);
	f->state = "unsupported";
	f->failed = 1;
	f->message = strdup("/usr/local/share/perl/5.36.0/Bucardo.pm: Bucardo 4.7 is older "
	    "than 4.99.6");
}

static void
test_text(void)
{
	struct report r;
	const char *out;

	build_apply(&r, "/usr/share/perl5/Bucardo.pm");
	r.restart = strdup("Bucardo is running: restart it (bucardo restart)");
	must(report_warn(&r, "version mismatch: %s is %s", "/usr/bin/bucardo", "5.5.0"));
	ok(report_changed(&r) == 1, "report_changed: a file changed");
	capture_start();
	report_print_text(&r, 0);
	out = capture_end();
	is_str(out, "/usr/share/perl5/Bucardo.pm: patched (Bucardo 5.6.0; sub disable_triggers "
	    "line 5359, sub enable_triggers line 5376)\n"
	    "warning: version mismatch: /usr/bin/bucardo is 5.5.0\n"
	    "Bucardo is running: restart it (bucardo restart)\n",
	    "apply: one line per file changed, the failed one left to stderr, then the "
	    "warnings and the restart advice");

	capture_start();
	report_print_text(&r, 1);
	out = capture_end();
	ok(has(out, "  sub disable_triggers, line 5359: SET session_replication_role = "
	    "'replica'  ->  select aiven_extras.session_replication_role('replica');\n") &&
	    has(out, "     note: a note on it\n"), "verbose: each statement, before -> after, "
	    "and its note");
	report_release(&r);
	ok(r.files == NULL && r.nfiles == 0 && r.warnings == NULL, "report_release empties it");

	build_apply(&r, "/usr/share/perl5/Bucardo.pm");
	r.command = "status";
	r.kind = REPORT_STATUS;
	r.files[0].state = "patched";
	r.files[0].message = strdup("perl -c not run");
	capture_start();
	report_print_text(&r, 0);
	out = capture_end();
	is_str(out, "patched     5.6.0    active  /usr/share/perl5/Bucardo.pm\n"
	    "            perl -c not run\n"
	    "unsupported ?        -       /usr/local/share/perl/5.36.0/Bucardo.pm\n"
	    "            /usr/local/share/perl/5.36.0/Bucardo.pm: Bucardo 4.7 is older than "
	    "4.99.6\n", "status: state, version, active, path, and the message under it");
	report_release(&r);

	memset(&r, 0, sizeof(r));
	r.command = "status";
	r.kind = REPORT_STATUS;
	r.discovered = 1;
	r.searched = (char *[]){ "/usr/share/perl5", "/usr/local/share/perl/5.*" };
	r.nsearched = 2;
	r.warning = strdup("perl is not trusted; which copy Bucardo loads is guessed");
	capture_start();
	report_print_text(&r, 0);
	out = capture_end();
	is_str(out, "no Bucardo.pm found; looked in:\n  /usr/share/perl5\n"
	    "  /usr/local/share/perl/5.*\n"
	    "perl is not trusted; which copy Bucardo loads is guessed\n",
	    "nothing found: where discovery looked, and its warning");
	r.searched = NULL;
	r.nsearched = 0;
	report_release(&r);

	memset(&r, 0, sizeof(r));
	r.command = "history";
	r.kind = REPORT_HISTORY;
	r.state_dir = "/var/lib/bucardo-aiven";
	capture_start();
	report_print_text(&r, 0);
	out = capture_end();
	is_str(out, "no recorded changes in /var/lib/bucardo-aiven\n", "history: an empty store");
	must((r.events = calloc(1, sizeof(*r.events))) == NULL);
	r.nevents = 1;
	r.events[0].when = 86400;
	r.events[0].action = strdup("apply");
	r.events[0].path = strdup("/usr/share/perl5/Bucardo.pm");
	r.events[0].bucardo_version = strdup("5.6.0");
	r.events[0].tool_version = strdup("0.1.0");
	memset(r.events[0].before, 'a', 40);
	memset(r.events[0].after, 'b', 40);
	capture_start();
	report_print_text(&r, 0);
	out = capture_end();
	is_str(out, "1970-01-02 00:00:00  apply   /usr/share/perl5/Bucardo.pm  Bucardo 5.6.0  "
	    "aaaaaaaaaaaa..bbbbbbbbbbbb  0.1.0\n", "history: one line per event (TZ=UTC)");
	report_release(&r);
}

static void
test_escaping(void)
{
	struct report r;
	json_object *doc, *files, *f;
	const char *out;
	int rc;

	build_apply(&r, "/tmp/evil\033]0;owned\007\n/Bucardo.pm");
	capture_start();
	report_print_text(&r, 0);
	out = capture_end();
	ok(strchr(out, '\033') == NULL && strchr(out, '\007') == NULL,
	    "text: no raw control character from a file name reaches the terminal");
	ok(has(out, "/tmp/evil\\x1b]0;owned\\x07\\n/Bucardo.pm: patched"),
	    "text: they are shown as escapes, the line kept whole");

	capture_start();
	rc = report_print_json(&r);
	out = capture_end();
	ok(rc == 0, "JSON printed");
	ok(strchr(out, '\033') == NULL && strchr(out, '\007') == NULL,
	    "JSON: no raw control character either");
	doc = parse(out);
	ok(doc != NULL && json_object_object_get_ex(doc, "files", &files) &&
	    (f = json_object_array_get_idx(files, 0)) != NULL &&
	    json_object_object_get_ex(f, "path", &f) &&
	    strcmp(json_object_get_string(f), "/tmp/evil\033]0;owned\007\n/Bucardo.pm") == 0,
	    "JSON: the escapes decode to the very name");
	json_object_put(doc);
	report_release(&r);

	build_apply(&r, "/tmp/\xc2\x9b" "c1/\xff/Bucardo.pm");
	capture_start();
	must(report_print_json(&r));
	out = capture_end();
	ok(strstr(out, "\xc2\x9b") == NULL && strstr(out, "\xff") == NULL &&
	    has(out, "\\u009b") && has(out, "\\ufffd"),
	    "JSON: a C1 control and a byte that is not UTF-8 are escaped");
	ok((doc = parse(out)) != NULL, "and the document still parses");
	json_object_put(doc);
	report_release(&r);
}

/* The key names of a JSON object, in order, joined by spaces. */
static const char *
keys_of(json_object *o)
{
	static char keys[1024];
	size_t n = 0;

	keys[0] = '\0';
	json_object_object_foreach(o, key, val) {
		(void)val;
		n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s", n ? " " : "", key);
		if (n >= sizeof(keys))
			break;
	}
	return keys;
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void
test_json(void)
{
	struct report r;
	json_object *doc, *files, *f, *s, *t;
	const char *out;

	build_apply(&r, "/usr/share/perl5/Bucardo.pm");
	r.files[1].untrusted = 1;
	r.files[1].fault_path = strdup("/usr/local/share/perl");
	r.files[1].fault_uid = 1000;
	must(report_warn(&r, "one %s", "warning"));
	capture_start();
	must(report_print_json(&r));
	out = capture_end();
	ok(report_json_emitted(), "report_json_emitted: a document is out");
	ok(out[strlen(out) - 1] == '\n' && strchr(out, '\n') != out + strlen(out) - 1,
	    "pretty-printed, ending with one newline");
	ok(strstr(out, "\\/") == NULL, "slashes are not escaped");
	doc = parse(out);
	ok(doc != NULL, "one JSON document");
	is_str(keys_of(doc), "format_version version command changed check_mode state_dir "
	    "function failed error files searched restart warning warnings",
	    "the envelope first (format_version, version), then the command's keys");
	ok(json_object_get_int(get(doc, "format_version")) == REPORT_FORMAT_VERSION,
	    "format_version is REPORT_FORMAT_VERSION");
	is_str(json_object_get_string(get(doc, "version")), PACKAGE_VERSION, "version is the tool's");
	is_str(json_object_get_string(get(doc, "command")), "apply", "command");
	ok(json_object_get_boolean(get(doc, "changed")) && !json_object_get_boolean(get(doc,
	    "check_mode")), "changed true (a file changed), check_mode false");
	ok(json_object_get_boolean(get(doc, "failed")) && get(doc, "error") == NULL,
	    "failed true: a file failed, with no error for the whole run");
	ok(json_object_array_length(get(doc, "warnings")) == 1 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(get(doc, "warnings"), 0)),
	    "one warning") == 0, "warnings: report_warn's lines");

	files = get(doc, "files");
	f = json_object_array_get_idx(files, 0);
	is_str(keys_of(f), "path real_path version layout state form state_after active changed "
	    "failed action perl_check message statements", "a file's keys");
	ok(get(f, "real_path") == NULL && get(f, "message") == NULL &&
	    json_object_get_boolean(get(f, "active")), "null for what is unknown; active true");
	s = json_object_array_get_idx(get(f, "statements"), 1);
	ok(s != NULL && json_object_get_int(get(s, "line")) == 5376 &&
	    strcmp(json_object_get_string(get(s, "after")),
	    "select aiven_extras.session_replication_role('origin');") == 0 &&
	    strcmp(json_object_get_string(get(s, "note")), "a note on it") == 0,
	    "a statement: line, after and note");
	f = json_object_array_get_idx(files, 1);
	t = get(f, "untrusted");
	ok(get(f, "message") == NULL && get(f, "error") != NULL &&
	    has(json_object_get_string(get(f, "error")), "older than"),
	    "a failed file's message is its error");
	ok(t != NULL && strcmp(json_object_get_string(get(t, "path")), "/usr/local/share/perl")
	    == 0 && json_object_get_int(get(t, "uid")) == 1000,
	    "an untrusted file: who could change it, and where");
	json_object_put(doc);

	r.error = strdup("the state directory is locked");
	r.files[0].changed = 0;
	r.files[1].failed = 0;
	capture_start();
	must(report_print_json(&r));
	out = capture_end();
	doc = parse(out);
	ok(doc != NULL && !json_object_get_boolean(get(doc, "changed")) &&
	    json_object_get_boolean(get(doc, "failed")) &&
	    strcmp(json_object_get_string(get(doc, "error")), "the state directory is locked") == 0,
	    "a failure of the whole run: failed true, with its error");
	json_object_put(doc);
	report_release(&r);

	memset(&r, 0, sizeof(r));
	r.command = "history";
	r.kind = REPORT_HISTORY;
	capture_start();
	must(report_print_json(&r));
	out = capture_end();
	doc = parse(out);
	ok(doc != NULL && get(doc, "events") != NULL &&
	    json_object_array_length(get(doc, "events")) == 0, "history: an events array");
	json_object_put(doc);
	report_release(&r);
}

static void
test_envelope(void)
{
	json_object *doc = json_object_new_object(), *got;
	const char *out;

	json_object_object_add(doc, "version", json_object_new_string("forged"));
	json_object_object_add(doc, "format_version", json_object_new_int(99));
	json_object_object_add(doc, "action", json_object_new_string("status"));
	capture_start();
	must(report_emit_json(doc));
	out = capture_end();
	json_object_put(doc);
	got = parse(out);
	is_str(keys_of(got), "format_version version command action changed check_mode failed "
	    "error warnings", "a document lacking the envelope's keys gets them, in order");
	ok(json_object_get_int(get(got, "format_version")) == REPORT_FORMAT_VERSION &&
	    strcmp(json_object_get_string(get(got, "version")), PACKAGE_VERSION) == 0,
	    "its own format_version and version do not override the envelope's");
	ok(get(got, "command") == NULL && !json_object_get_boolean(get(got, "changed")) &&
	    !json_object_get_boolean(get(got, "failed")) && get(got, "error") == NULL &&
	    json_object_array_length(get(got, "warnings")) == 0,
	    "defaults: command null, changed and failed false, error null, no warnings");
	json_object_put(got);

	capture_start();
	must(report_emit_error("apply", 1, "--frobnicate: unknown option", 64));
	out = capture_end();
	got = parse(out);
	ok(got != NULL && strcmp(json_object_get_string(get(got, "command")), "apply") == 0 &&
	    json_object_get_boolean(get(got, "check_mode")) &&
	    json_object_get_boolean(get(got, "failed")) &&
	    strcmp(json_object_get_string(get(got, "error")), "--frobnicate: unknown option") == 0 &&
	    json_object_get_int(get(got, "exit_status")) == 64,
	    "report_emit_error: failed, the error and the exit status");
	json_object_put(got);
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_text();
	test_escaping();
	test_json();
	test_envelope();
	return tap_done();
}
