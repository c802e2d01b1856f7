/* msg.h - the one way sitecheck speaks on stderr outside its output
 * contract: errors ("sitecheck: ...") and warnings ("sitecheck: warning:
 * ..."), one whole line each. -q silences warnings here and nowhere else;
 * errors are always printed. */
#ifndef SC_MSG_H
#define SC_MSG_H

/* Sets whether warnings are dropped (from -q). Call it once, before any
 * thread or worker process starts; they read it without a lock. */
void sc_msg_set_quiet(int quiet);

/* Prints "sitecheck: " + the formatted text + a newline to stderr, in one
 * write, so lines of concurrent threads never mix. */
void sc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As sc_error with "sitecheck: warning: ", unless quiet. */
void sc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
