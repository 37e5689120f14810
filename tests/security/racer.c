/*
 * racer.c: the hostile user's half of the security tests (tests/security).
 *
 *   racer swap A B [-t SECONDS] [-n FLIPS] [-w DIR]... [-d USEC] [-p SCRIPT]
 *	Exchange the names A and B (renameat2 RENAME_EXCHANGE, the raw system
 *	call) over and over, as a local user who owns their parent directory
 *	can. Without -w it flips in a tight loop (-d USEC pauses between
 *	flips); with -w it flips once for every inotify event in the watched
 *	directories (the tool opening, creating or closing a file there) and,
 *	between events, keeps flipping every -d USEC when -d is given.
 *	With -p it flips once per step of SCRIPT, then holds still. SCRIPT is
 *	a comma-separated list of EVENT[@NAME][#N][+USEC]: wait for the Nth
 *	(default 1st) EVENT (open, create, closew, closenw; "now" waits for
 *	nothing) on an entry named NAME (any, by default) in a watched
 *	directory, busy-wait USEC microseconds, flip. The events are
 *	busy-polled, so the flip follows the tool's system call within
 *	microseconds. For example "closenw@Bucardo.pm" swaps once, right
 *	after the tool has read and closed the module it judged.
 *	With -c DIR=FILE each scripted flip that follows an event first links
 *	FILE into DIR under the name the event was on: the user plants their
 *	own file under the name of a temporary file the tool just created,
 *	where the flip is about to make the tool's path lead.
 *	Stops after SECONDS (default 20), after FLIPS flips, or on
 *	SIGTERM/SIGINT. Prints "ready" once set up and the number of flips
 *	when done.
 *
 *   racer opens [-t SECONDS] PATH...
 *	Count the times anything opens one of PATHs (inotify IN_OPEN on the
 *	node itself: a fifo, a device, a file). Prints "ready", then the
 *	count when stopped (SIGTERM/SIGINT) or after SECONDS (default 60).
 *
 * Exit status: 0 done, 1 a system call failed, 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/inotify.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define MAXWATCH 16

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
exchange(const char *a, const char *b)
{
	/* The raw call: older glibc has no renameat2 wrapper. */
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: racer swap A B [-t SECONDS] [-n FLIPS] [-w DIR]... [-d USEC] [-p SCRIPT] [-c DIR=FILE]\n"
	    "       racer opens [-t SECONDS] PATH...\n");
	exit(2);
}

static void
ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

/* One step of a -p script: wait for an event (or not), spin, flip. */
struct step {
	uint32_t	 mask;		/* 0: no event, flip after the spin */
	char		 name[64];	/* only events on this name; "" any */
	int		 count;		/* the Nth matching event */
	long		 spin_us;	/* busy-wait after the event */
};

static int
parse_script(const char *s, struct step *steps, int max)
{
	char buf[256], *tok, *save, *p;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		struct step *st = &steps[n];

		if (n == max)
			return -1;
		st->count = 1;
		st->spin_us = 0;
		st->name[0] = '\0';
		if ((p = strchr(tok, '+')) != NULL) {
			st->spin_us = atol(p + 1);
			*p = '\0';
		}
		if ((p = strchr(tok, '#')) != NULL) {
			st->count = atoi(p + 1);
			*p = '\0';
		}
		if ((p = strchr(tok, '@')) != NULL) {
			if (strlen(p + 1) >= sizeof(st->name))
				return -1;
			strcpy(st->name, p + 1);
			*p = '\0';
		}
		if (strcmp(tok, "open") == 0)
			st->mask = IN_OPEN;
		else if (strcmp(tok, "create") == 0)
			st->mask = IN_CREATE;
		else if (strcmp(tok, "closew") == 0)
			st->mask = IN_CLOSE_WRITE;
		else if (strcmp(tok, "closenw") == 0)
			st->mask = IN_CLOSE_NOWRITE;
		else if (strcmp(tok, "now") == 0)
			st->mask = 0;
		else
			return -1;
		n++;
	}
	return n;
}

static void
spin(long us)
{
	double until = now() + (double)us / 1e6;

	while (now() < until)
		;
}

/*
 * Events of interest in a batch from the inotify fd: mask bits on a file
 * named name (NULL: any file; the watched directory itself never counts).
 * The name of the last one goes to last (NAME_MAX + 1 bytes).
 */
static int
count_events(const char *buf, ssize_t n, uint32_t mask, const char *name, char *last)
{
	const struct inotify_event *ev;
	const char *p;
	int k = 0;

	for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)p;
		if (!(ev->mask & mask) || ev->len == 0)
			continue;
		if (name != NULL && strcmp(ev->name, name) != 0)
			continue;
		snprintf(last, 256, "%s", ev->name);
		k++;
	}
	return k;
}

static int
do_swap(int argc, char **argv)
{
	const char *a, *b, *watch[MAXWATCH], *script = NULL, *plant = NULL;
	char last[256] = "", planted[4096];
	char evbuf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct step steps[16];
	double seconds = 20, end;
	long max = -1, flips = 0, delay = -1;
	int nwatch = 0, nsteps = 0, cur = 0, seen = 0, fd = -1, c, i;
	struct pollfd pfd;
	ssize_t n;

	if (argc < 3)
		usage();
	a = argv[1];
	b = argv[2];
	optind = 3;
	while ((c = getopt(argc, argv, "t:n:w:d:p:c:")) != -1) {
		switch (c) {
		case 'c': plant = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'n': max = atol(optarg); break;
		case 'd': delay = atol(optarg); break;
		case 'p': script = optarg; break;
		case 'w':
			if (nwatch == MAXWATCH)
				usage();
			watch[nwatch++] = optarg;
			break;
		default: usage();
		}
	}
	if (script != NULL && (nsteps = parse_script(script, steps, 16)) <= 0)
		usage();
	if (nwatch > 0) {
		if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
			perror("inotify_init1");
			return 1;
		}
		for (i = 0; i < nwatch; i++)
			if (inotify_add_watch(fd, watch[i], IN_OPEN | IN_CREATE | IN_CLOSE |
			    IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_MODIFY) == -1) {
				perror(watch[i]);
				return 1;
			}
	}
	/* Check once that the exchange works at all (right owner, same file system). */
	if (exchange(a, b) == -1 || exchange(a, b) == -1) {
		perror("renameat2");
		return 1;
	}
	ready();
	end = now() + seconds;
	while (!stop && now() < end && (max < 0 || flips < max)) {
		if (script != NULL) {
			/* Scripted: busy-poll the events, flip at each step, then hold. */
			struct step *st;

			if (cur == nsteps) {
				usleep(10000);
				continue;
			}
			st = &steps[cur];
			if (st->mask != 0) {
				if (fd == -1 || (n = read(fd, evbuf, sizeof(evbuf))) <= 0)
					continue;
				seen += count_events(evbuf, n, st->mask,
				    st->name[0] != '\0' ? st->name : NULL, last);
				if (seen < st->count)
					continue;
				if (plant != NULL && strchr(plant, '=') != NULL) {
					snprintf(planted, sizeof(planted), "%.*s/%s",
					    (int)(strchr(plant, '=') - plant), plant, last);
					if (link(strchr(plant, '=') + 1, planted) == -1)
						perror(planted);
				}
			}
			spin(st->spin_us);
			if (exchange(a, b) == 0)
				flips++;
			seen = 0;
			cur++;
			/* Events queued before this flip belong to the past. */
			while (fd != -1 && read(fd, evbuf, sizeof(evbuf)) > 0)
				;
			continue;
		}
		if (fd != -1) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, delay >= 0 ? (int)(delay / 1000) : 50) > 0) {
				while (read(fd, evbuf, sizeof(evbuf)) > 0)
					;
				if (exchange(a, b) == 0)
					flips++;
				continue;
			}
			if (delay < 0)
				continue;
		}
		if (exchange(a, b) == 0)
			flips++;
		if (delay > 0 && fd == -1)
			usleep((useconds_t)delay);
	}
	printf("flips %ld\n", flips);
	return 0;
}

static int
do_opens(int argc, char **argv)
{
	char evbuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	double seconds = 60, end;
	long count = 0;
	struct pollfd pfd;
	ssize_t n;
	char *p;
	int fd, c, i;

	optind = 1;
	while ((c = getopt(argc, argv, "t:")) != -1) {
		switch (c) {
		case 't': seconds = atof(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		perror("inotify_init1");
		return 1;
	}
	for (i = optind; i < argc; i++)
		if (inotify_add_watch(fd, argv[i], IN_OPEN | IN_DONT_FOLLOW) == -1) {
			perror(argv[i]);
			return 1;
		}
	ready();
	end = now() + seconds;
	while (!stop && now() < end) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		while ((n = read(fd, evbuf, sizeof(evbuf))) > 0)
			for (p = evbuf; p < evbuf + n;
			    p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
				if (((struct inotify_event *)p)->mask & IN_OPEN)
					count++;
	}
	/* Events that arrived just before the signal. */
	while ((n = read(fd, evbuf, sizeof(evbuf))) > 0)
		for (p = evbuf; p < evbuf + n;
		    p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
			if (((struct inotify_event *)p)->mask & IN_OPEN)
				count++;
	printf("opens %ld\n", count);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "swap") == 0)
		return do_swap(argc - 1, argv + 1);
	if (strcmp(argv[1], "opens") == 0)
		return do_opens(argc - 1, argv + 1);
	usage();
	return 2;
}
