/* msg.h - the one way sitecheck speaks on stderr outside its output
 * contract: errors ("sitecheck: ...") and warnings ("sitecheck: warning:
 * ..."), one whole line each. -q silences warnings here and nowhere else;
 * errors are always printed.
 *
 * Lines go to stderr, or to the writer a higher layer installs while it
 * owns the terminal (the progress line, progress.h): msg knows nothing of
 * its callers. Threads may print at any time, also while the writer is
 * set or cleared; a forked child always writes to stderr itself. */
#ifndef SC_MSG_H
#define SC_MSG_H

/* Sets whether warnings are dropped (from -q). Call it once, before any
 * thread or worker process starts; they read it without a lock. */
void sc_msg_set_quiet(int quiet);

/* Where lines go: write(arg, text) gets each line, whole and ending in
 * a newline, in one call, instead of stderr; NULL goes back to stderr.
 * The pair is published atomically, so it may be set or cleared while
 * other threads print; it is called only in the process that set it (a
 * child forked since writes to stderr: its copy of the writer's state,
 * e.g. a lock, may be one no thread of the child will ever release).
 * Clearing does not wait for calls in flight: write and arg must stay
 * usable until every thread that may have printed since the set has
 * ended, and the writer is set anew only after that too. write may be
 * called with any lock of its caller held, on any thread, so it takes
 * only leaf locks and never prints through msg. */
void sc_msg_set_writer(void (*write)(void *arg, const char *text), void *arg);

/* Prints "sitecheck: " + the formatted text + a newline to stderr (or
 * the writer), in one write, so lines of concurrent threads never mix. */
void sc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As sc_error with "sitecheck: warning: ", unless quiet. */
void sc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
