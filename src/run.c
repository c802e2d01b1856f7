/* run.c - see run.h. */
#include "run.h"

#include <stdlib.h>

#include "dedup.h"
#include "feed.h"
#include "job.h"
#include "opts.h"
#include "result.h"
#include "scheduler.h"
#include "sink.h"
#include "util.h"

atomic_int sc_stop;

/* A repeat of a URL that was just answered (dedup.c): its record. */
static void complete_repeat(void *arg, struct sc_job *repeat) {
  struct sc_run *run = arg;
  struct sc_result r;
  sc_result_decided(&r, repeat);
  sc_sink_add(run->sink, &r);
}

void sc_run_complete(struct sc_run *run, struct sc_job *job,
                     const struct sc_result *r) {
  struct sc_result decided;
  if (!job->url) {
    sc_result_decided(&decided, job);
    if (run->on_result)
      run->on_result(run->on_result_arg, job, &decided);
    else
      sc_sink_add(run->sink, &decided);
    return;
  }
  if (r && run->on_result) {
    run->on_result(run->on_result_arg, job, r);
  } else if (r) {
    struct sc_result rel = *r;
    if (rel.a.start_ms >= 0) rel.a.start_ms -= run->t0;
    sc_sink_add(run->sink, &rel);
    if (run->dedup) sc_dedup_answer(run->dedup, job, r, complete_repeat, run);
  }
  sc_sched_done(run->sched, job);
}

/* The scheduler's complete function: a decided job read by a take. */
static void complete_decided(void *arg, struct sc_job *job) {
  sc_run_complete(arg, job, NULL);
}

int sc_run_keep_connection(void *arg, const struct sc_job *job) {
  struct sc_run *run = arg;
  return sc_sched_keep_connection(run->sched, job);
}

/* The checks are split evenly over the loops; the event engine sizes
 * each loop by it and the scheduler each lane. */
static void open_sched(struct sc_run *run) {
  int loops = run->loops;
  long concurrency = run->concurrency;
  run->lane_slots = sc_xcalloc((size_t)loops, sizeof *run->lane_slots);
  for (int i = 0; i < loops; i++)
    run->lane_slots[i] = concurrency / loops + (i < concurrency % loops);
  run->sched = sc_sched_new(run->o, run->source, run->lane_slots, loops,
                            complete_decided, run);
}

int sc_run_open(struct sc_run *run, const struct sc_opts *o, long concurrency,
                long fd_budget, int loops) {
  *run = (struct sc_run){.o = o,
                         .concurrency = concurrency,
                         .fd_budget = fd_budget,
                         .loops = loops,
                         .t0 = sc_now_ms()};
  run->source = sc_feed_open(o);
  if (!run->source) return SC_EXIT_USAGE;
  run->sink = sc_sink_open(o);
  if (!run->sink) {
    run->source->close(run->source);
    return SC_EXIT_USAGE;
  }
  if (o->dedup) {
    run->dedup = sc_dedup_new(run->source);
    run->source = sc_dedup_source(run->dedup);
  }
  open_sched(run);
  return 0;
}

int sc_run_open_source(struct sc_run *run, const struct sc_opts *o,
                       struct sc_source *src,
                       void (*on_result)(void *arg, const struct sc_job *job,
                                         const struct sc_result *r),
                       void *arg, long concurrency, long fd_budget, int loops) {
  *run = (struct sc_run){.o = o,
                         .source = src,
                         .concurrency = concurrency,
                         .fd_budget = fd_budget,
                         .loops = loops,
                         .on_result = on_result,
                         .on_result_arg = arg};
  open_sched(run);
  return 0;
}

int sc_run_close(struct sc_run *run, double elapsed_ms, int failed) {
  sc_sched_free(run->sched);
  int read_error = run->source->close(run->source); /* dedup's too */
  int rc = run->sink ? sc_sink_close(run->sink, elapsed_ms) : SC_EXIT_OK;
  free(run->lane_slots);
  int sig = atomic_load(&sc_stop);
  if (sig > 0) return 128 + sig;
  if (failed) return SC_EXIT_INTERNAL;
  if (read_error && rc == SC_EXIT_OK) return SC_EXIT_USAGE;
  return rc;
}
