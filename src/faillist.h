/* faillist.h - what a person reads on stderr about the results, after the
 * summary line: how many were OK and not OK (by --accept), what the
 * failures were, and which results they were (--show failures); or a line
 * per result as it completes (--show all).
 *
 * A result's line: its status or failure class (coloured when asked),
 * the URL as read, where it came from (where.h: FILE:LINE, stdin for -;
 * "(argument)"; for a link "on" the first place that linked to it and,
 * in the summary, how many more did) and the reason in words (its
 * detail, else the status's reason phrase):
 *
 *     404      http://example.com/gone  urls.txt:3  Not Found
 *     timeout  http://example.com/slow  urls.txt:9  Operation timed out ...
 *
 * Everything in it that comes from the list, the command line or the
 * network passes through sc_redact_url (passwords) and then sc_term_text
 * (escapes), so a terminal acts on none of it. Memory is bounded: the
 * list keeps the first --show-max not-OK results by (input, line)
 * (firstn.h), whatever order they complete in, and counts the rest. Not
 * thread-safe: the sink adds under its lock; sc_faillist_line reads only
 * its arguments. */
#ifndef SC_FAILLIST_H
#define SC_FAILLIST_H

#include "opts.h"
#include "result.h"
#include "util.h"

struct sc_faillist;

/* An empty list for a run with options o (--show-max, -o for the "and M
 * more" line); color: colour the statuses and classes. */
struct sc_faillist *sc_faillist_new(const struct sc_opts *o, int color);

/* Counts r (r->ok already set) and, if it is not OK and among the first
 * --show-max by (input, line), keeps its line (r's strings are copied). */
void sc_faillist_add(struct sc_faillist *f, const struct sc_result *r);

/* Appends the line for r, with "\n", as --show all prints it as r
 * completes. */
void sc_faillist_line(struct sc_buf *b, const struct sc_result *r, int color);

/* Appends the counts line ("3 OK, 2 not OK (404: 1, timeout: 1)") if
 * counts, then if list the kept lines in input order and, when some did
 * not fit, "... and M more: all of them are in FILE" (or how to keep them
 * all). Call once, at the end. */
void sc_faillist_summary(struct sc_faillist *f, struct sc_buf *b, int counts,
                         int list);

void sc_faillist_free(struct sc_faillist *f);

#endif
