/* engine.h - the four concurrency models of the talk, as interchangeable
 * engines over one core (check.c), one input path (feed.c behind the
 * politeness scheduler, scheduler.c) and one result sink (sink.c). An engine
 * takes jobs from the scheduler until it is exhausted (or sc_stop is set),
 * checks them, hands every result to the sink and tells the scheduler each
 * job is done. */
#ifndef SC_ENGINE_H
#define SC_ENGINE_H

#include "feed.h"
#include "opts.h"
#include "scheduler.h"
#include "sink.h"

struct sc_dnscache;

struct sc_run {
  const struct sc_opts *o;
  struct sc_feed *feed;
  struct sc_sched *sched; /* where engines take jobs (it wraps the feed) */
  struct sc_sink *sink;
  struct sc_dnscache *dns; /* the DNS cache every check shares, or NULL */
  long concurrency; /* checks in flight in total, already fitted to limits */
  long fd_budget;   /* descriptors the checks may hold in all */
  int loops;        /* event model's loops (the scheduler's lanes), fitted */
};

/* Each returns 0, or -1 after printing why the engine could not run. */
int sc_engine_event(struct sc_run *run);   /* libuv + curl multi socket */
int sc_engine_thread(struct sc_run *run);  /* N threads, blocking easy */
int sc_engine_process(struct sc_run *run); /* N worker processes */
int sc_engine_serial(struct sc_run *run);  /* one after another */

#endif
