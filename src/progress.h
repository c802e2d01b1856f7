/* progress.h - the progress line on a terminal: done / total (total once
 * the input is exhausted), rate, in flight, elapsed; redrawn in place by a
 * small thread, so it works the same for every model, and cleared at the
 * end. A fork waits until a draw is over (the process model starts workers
 * during the run; they must not inherit a lock the thread held). */
#ifndef SC_PROGRESS_H
#define SC_PROGRESS_H

#include "sink.h"
#include "source.h"

struct sc_progress;

/* Starts drawing on stderr; returns NULL (and draws nothing) when off. */
struct sc_progress *sc_progress_start(struct sc_source *src, struct sc_sink *s,
                                      double t0_ms);
/* Writes text (whole lines) to stderr without mixing it into the progress
 * line: under the progress lock, the line is cleared first and drawn
 * again after (at the next tick). */
void sc_progress_emit(struct sc_progress *p, const char *text);

/* Stops the thread and clears the line. NULL is fine. */
void sc_progress_stop(struct sc_progress *p);

#endif
