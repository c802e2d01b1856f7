/* sink.h - where every result goes: whether it is OK (--accept), the
 * tally, the per-URL records (-o FILE), --fail-on matching, the lines a
 * person reads on stderr (faillist.h), the HTML report (--report) and the
 * counters progress reads.
 *
 * One sink per run, shared by all engines and threads: sc_sink_add is
 * thread-safe and writes each record whole (records are formatted into a
 * buffer and written with write(2) only at record boundaries, so a record
 * is never torn or interleaved). Results reach it through sc_run_complete
 * only. Its lock is a leaf: it is never taken with another held, and
 * nothing else is called under it (run.h) but the modules it owns
 * (records, failure list, report). Lines for stderr made during the run
 * go out through the emit hook after the lock is released, so a hook that
 * takes a lock of its own (the progress line's) never nests in it.
 *
 * An output error sets sc_stop, which ends the run: -1, with one error
 * line; or, when the reader of stdout or of the records went away (EPIPE),
 * SIGPIPE, quietly: nothing more is printed and the run exits 141, as a
 * shell filter killed by SIGPIPE would. */
#ifndef SC_SINK_H
#define SC_SINK_H

#include <stdint.h>

#include "opts.h"
#include "result.h"

struct sc_sink;

/* Opens the record output named by o->output (created/truncated). On
 * failure prints "sitecheck: cannot write ..." and returns NULL. */
struct sc_sink *sc_sink_open(const struct sc_opts *o);

/* Sets where the lines the sink prints during the run go (--show all,
 * output errors): emit(arg, text) gets whole lines. NULL restores the
 * default, a write to stderr. Call it while no result is being added
 * (before the engines start, after they end). */
void sc_sink_set_emit(struct sc_sink *s,
                      void (*emit)(void *arg, const char *text), void *arg);

/* Counts r in the tally and writes its record. Thread-safe. */
void sc_sink_add(struct sc_sink *s, const struct sc_result *r);

/* Results taken so far (for progress). */
uint64_t sc_sink_count(struct sc_sink *s);

/* Results taken so far that are not OK as --accept says (for progress).
 * Any thread, no lock. */
uint64_t sc_sink_failures(struct sc_sink *s);

/* Flushes the records, prints the tally (stdout, or stderr with -o -
 * unless quiet), then on stderr, unless quiet, the summary line and the
 * counts line, and the failure list (--show failures), and writes the
 * --report file. After a closed pipe it prints nothing (the report is
 * still written). Returns the exit status the run earned: 0, 1 (--fail-on
 * matched) or 2 (an output error happened); a closed pipe's 141 comes
 * from sc_stop. The sink is freed. */
int sc_sink_close(struct sc_sink *s, double elapsed_ms);

#endif
