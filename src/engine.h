/* engine.h - the four concurrency models of the talk, as interchangeable
 * engines over one core (check.c) and one run (run.h). An engine takes
 * jobs from the run's scheduler until it is exhausted (or sc_stop is set),
 * checks them, and hands each finished one to sc_run_complete, which
 * writes its result and frees its host slot; freeing its own slot (a
 * loop's, a thread's, a worker's) stays the engine's. It never sees a
 * decided job: the scheduler completes those itself. Each check it sets
 * up gets the run's keep-the-connection answer (c->keep_fn =
 * sc_run_keep_connection) and the stop flag. */
#ifndef SC_ENGINE_H
#define SC_ENGINE_H

#include "run.h"

/* Each returns 0, or -1 after printing why the engine could not run. */
int sc_engine_event(struct sc_run *run);   /* libuv + curl multi socket */
int sc_engine_thread(struct sc_run *run);  /* N threads, blocking easy */
int sc_engine_process(struct sc_run *run); /* N worker processes */
int sc_engine_serial(struct sc_run *run);  /* one after another */

#endif
