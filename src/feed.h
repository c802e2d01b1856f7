/* feed.h - the one path from input files to checks.
 *
 * The feed streams the input files line by line (reader.c), validates each
 * line (url.c) and hands out jobs to the engines. Lines that need no
 * network to decide (invalid URLs, reserved names) are reported to the sink
 * right here, so every line read yields exactly one result. In the event
 * model a reader thread reads ahead a bounded number of lines, so a loop
 * never blocks on a slow pipe with checks in flight; in every model a
 * stop request ends a wait for input. Thread-safe: several loops or
 * threads may pull from one feed. */
#ifndef SC_FEED_H
#define SC_FEED_H

#include <stdint.h>

#include "job.h"
#include "opts.h"
#include "sink.h"

struct sc_feed;

/* Opens every input file up front, so a missing one is a usage error
 * before any request. On failure prints "sitecheck: cannot read ..." and
 * returns NULL. */
struct sc_feed *sc_feed_open(const struct sc_opts *o);

/* Fills *job with the next line to check (the job owns its strings; free
 * them with sc_job_clear). Returns 1 for a job, 0 when the input is done or
 * the run is stopping (sc_stop); -1 when the reader thread (event model)
 * has no line ready yet. Without a reader thread it blocks for the next
 * line, until a stop. */
int sc_feed_next(struct sc_feed *f, struct sc_sink *s, struct sc_job *job);

/* Whether sc_feed_next may block (no reader thread: the blocking models). */
int sc_feed_blocks(const struct sc_feed *f);

/* Lines taken from the input so far, and whether the input is exhausted
 * (for progress). */
uint64_t sc_feed_taken(struct sc_feed *f);
int sc_feed_eof(struct sc_feed *f);

/* Ends the reader thread and closes the files. Returns 1 if an input file
 * failed mid-read (already reported on stderr), else 0. */
int sc_feed_close(struct sc_feed *f);

#endif
