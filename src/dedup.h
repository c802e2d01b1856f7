/* dedup.h - --dedup: each distinct URL is checked once, decided at
 * intake.
 *
 * The dedup source wraps another source (the feed) and remembers every
 * URL it hands out to check. A later line with the same URL is not
 * checked: if the first occurrence is answered, the repeat comes out as a
 * decided job carrying that answer (duplicate_of its line); if the first
 * is still in flight, the repeat is parked here, and sc_dedup_answer
 * hands it out once the first's result is in (sc_run_complete calls it).
 * Memory: one entry per distinct URL, plus the parked repeats' lines.
 *
 * Thread-safe. The source's next runs under the scheduler's lock and
 * takes the table's lock inside it (run.h); sc_dedup_answer is called
 * with no lock held and calls emit with none held either. */
#ifndef SC_DEDUP_H
#define SC_DEDUP_H

#include "job.h"
#include "result.h"
#include "source.h"

struct sc_dedup;

/* Wraps inner, which the dedup source then owns (its close closes
 * inner). */
struct sc_dedup *sc_dedup_new(struct sc_source *inner);

/* The dedup source: next, taken, eof and close as source.h says; taken
 * and eof are inner's. Its close frees the dedup too. */
struct sc_source *sc_dedup_source(struct sc_dedup *d);

/* The first occurrence of job's URL (a job this source handed out to
 * check) is answered with r: remembers the answer for later repeats and
 * calls emit(arg, repeat) for each repeat parked on it, a decided job
 * (job.h) that is cleared after emit returns. Once per URL: a later call
 * for it does nothing. */
void sc_dedup_answer(struct sc_dedup *d, const struct sc_job *job,
                     const struct sc_result *r,
                     void (*emit)(void *arg, struct sc_job *repeat), void *arg);

#endif
