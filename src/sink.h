/* sink.h - where every result goes: the tally, the per-URL records
 * (-o FILE), --fail-on matching and the counters progress reads.
 *
 * One sink per run, shared by all engines and threads: sc_sink_add is
 * thread-safe and writes each record whole (records are formatted into a
 * buffer and written with write(2) only at record boundaries, so a record
 * is never torn or interleaved). */
#ifndef SC_SINK_H
#define SC_SINK_H

#include <stdatomic.h>
#include <stdint.h>

#include "job.h"
#include "opts.h"
#include "result.h"

struct sc_sink;

/* Opens the record output named by o->output (created/truncated). On
 * failure prints "sitecheck: cannot write ..." and returns NULL. */
struct sc_sink *sc_sink_open(const struct sc_opts *o);

/* Counts r in the tally and writes its record. Thread-safe. */
void sc_sink_add(struct sc_sink *s, const struct sc_result *r);

/* --dedup: called by the feed for each checkable line. Returns 0 for the
 * first occurrence of job's URL (check it; the sink remembers it), or 1
 * for a repeat: its record (marked duplicate_of the first line, with the
 * first's status or class) is written now if the first is done, else as
 * soon as it is. Memory: one entry per distinct URL. Thread-safe. */
int sc_sink_duplicate(struct sc_sink *s, const struct sc_job *job);

/* Results taken so far (for progress). */
uint64_t sc_sink_count(struct sc_sink *s);

/* Flushes the records, prints the tally (stdout, or stderr with -o -) and,
 * unless quiet, the summary line on stderr. Returns the exit status the
 * run earned: 0, 1 (--fail-on matched) or 2 (an output error happened). The
 * sink is freed. */
int sc_sink_close(struct sc_sink *s, double elapsed_ms);

/* Set when the run must stop early: a signal (its number) or an output
 * error (-1). Engines stop reading input when it is non-zero. */
extern atomic_int sc_stop;

#endif
