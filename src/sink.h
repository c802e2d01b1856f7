/* sink.h - where every result goes: the tally, the per-URL records
 * (-o FILE), --fail-on matching and the counters progress reads.
 *
 * One sink per run, shared by all engines and threads: sc_sink_add is
 * thread-safe and writes each record whole (records are formatted into a
 * buffer and written with write(2) only at record boundaries, so a record
 * is never torn or interleaved). Results reach it through sc_run_complete
 * only. Its lock is a leaf: it is never taken with another held, and
 * nothing else is called under it (run.h). An output error sets sc_stop,
 * which ends the run. */
#ifndef SC_SINK_H
#define SC_SINK_H

#include <stdint.h>

#include "opts.h"
#include "result.h"

struct sc_sink;

/* Opens the record output named by o->output (created/truncated). On
 * failure prints "sitecheck: cannot write ..." and returns NULL. */
struct sc_sink *sc_sink_open(const struct sc_opts *o);

/* Counts r in the tally and writes its record. Thread-safe. */
void sc_sink_add(struct sc_sink *s, const struct sc_result *r);

/* Results taken so far (for progress). */
uint64_t sc_sink_count(struct sc_sink *s);

/* Results taken so far that are not OK: a failure class, or a final
 * status outside 2xx (for progress). Any thread, no lock. */
uint64_t sc_sink_failures(struct sc_sink *s);

/* Flushes the records, prints the tally (stdout, or stderr with -o -) and,
 * unless quiet, the summary line on stderr. Returns the exit status the
 * run earned: 0, 1 (--fail-on matched) or 2 (an output error happened). The
 * sink is freed. */
int sc_sink_close(struct sc_sink *s, double elapsed_ms);

#endif
