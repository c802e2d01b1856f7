/* source.h - where jobs come from: the interface the scheduler takes
 * jobs through, input only.
 *
 * A source turns some input into jobs (job.h) and knows nothing of
 * checks, results or the scheduler. The line-file feed (feed.c) is one;
 * dedup.c wraps another to answer repeated URLs at intake. URL arguments,
 * links found on pages, sitemaps or a crawl frontier plug in the same way:
 * a struct whose first member is a struct sc_source.
 *
 * The contract:
 * - next(self, job, wait) fills *job (which then owns its strings;
 *   sc_job_clear frees them) and returns 1; returns 0 once the source is
 *   done for good or the run is stopping (sc_stop); returns -1 when
 *   nothing is ready yet but more may come (the caller looks again soon).
 *   A source with `blocks` set may instead wait in next for its next job
 *   (until a stop), but only when wait is non-zero: with wait 0 it returns
 *   -1 where it would have waited, keeping its place.
 * - A job with url NULL is decided: the source knew its answer (an
 *   invalid line, a --dedup repeat) and the job carries it (job.h). It
 *   needs no check, no host slot and no turn under --rate.
 * - next is called by one caller at a time (the scheduler, under its lock:
 *   a source may take its own lock inside, see run.h, but must never call
 *   back into the scheduler, the sink or the run). taken and eof may be
 *   called from any thread at any time (progress).
 * - close ends the source, frees it, and returns 1 if its input failed
 *   midway (already reported on stderr), else 0. */
#ifndef SC_SOURCE_H
#define SC_SOURCE_H

#include <stdint.h>

#include "job.h"

struct sc_source {
  int (*next)(struct sc_source *self, struct sc_job *job, int wait);
  uint64_t (*taken)(struct sc_source *self); /* input items taken so far */
  int (*eof)(struct sc_source *self);        /* next has returned 0 */
  int (*close)(struct sc_source *self);
  int blocks; /* next may wait for input when asked to (see above) */
  /* Optional (NULL: look again within a few ms). After next returned -1:
   * the milliseconds until it may have a job (a schedule's next due
   * time), so a taker with nothing to do sleeps that long. Called like
   * next. A source whose jobs can also arrive sooner, from another thread
   * (a /probe request, a reload), sets `wakes` and has the scheduler wake
   * its takers then (sc_sched_input_ready). */
  long (*idle_ms)(struct sc_source *self);
  int wakes;
};

#endif
