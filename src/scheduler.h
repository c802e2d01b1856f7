/* scheduler.h - the politeness scheduler between the job source and the
 * engines.
 *
 * It decides which job may start now: at most --per-host checks in flight
 * per host, check starts spaced by --rate overall and --host-rate per host.
 * Jobs that must wait are queued per host, in our code and never in
 * libcurl's (where a queued transfer's timeout would already run). The
 * source is read ahead only while fewer than a bounded number of jobs
 * wait, so memory stays bounded: a long list of one host's URLs is read
 * as fast as its per-host limit lets it be checked. Thread-safe: the loops
 * of --loops and the threads of the thread model share one scheduler, so
 * the limits hold for the whole run.
 *
 * Decided jobs (source.h: an invalid line, a --dedup repeat) take no host
 * slot and no turn: the take that read them hands them to the complete
 * function given to sc_sched_new, after releasing the lock and before it
 * returns. Takers never see them.
 *
 * Lanes: each loop of --loops takes from its own lane, and every host
 * belongs to one lane (a new host to the lane with the fewest jobs, a
 * host seen before to its old one), so a host's checks run in one loop
 * and reuse that loop's connections (libcurl's cache is per loop). A
 * taker whose lane has nothing ready reads on in the input, queueing
 * other lanes' jobs. It takes another lane's ready job only when that
 * lane would hold it up: the lane fell behind (so many ready jobs that
 * reading ahead for it stops), or the job waited there 100 ms (its loop's
 * slots held by slow checks). A lane's taker that found nothing is woken
 * (its wake function) when a job of its lane becomes ready or the input
 * is exhausted.
 *
 * Locks (run.h): the source is asked for jobs under the scheduler's lock;
 * nothing else is called under it but a lane's wake function. */
#ifndef SC_SCHED_H
#define SC_SCHED_H

#include "job.h"
#include "opts.h"
#include "source.h"

struct sc_sched;

/* Takes jobs from src. Lane i (0 .. lanes-1; lanes >= 1) runs
 * slots_per_lane[i] checks at once: that sizes the read-ahead and when a
 * lane falls behind. complete(arg, job) is given every decided job, with
 * no lock held, on the thread of the take that read it; the job is
 * cleared after it returns. */
struct sc_sched *sc_sched_new(const struct sc_opts *o, struct sc_source *src,
                              const long *slots_per_lane, int lanes,
                              void (*complete)(void *arg, struct sc_job *job),
                              void *arg);
void sc_sched_free(struct sc_sched *s);

/* Takes the next job allowed to start now into *job (which then owns its
 * strings), for a taker of lane (0 with one lane). Returns 1 for a job; 0
 * if none may start yet, with *wait_ms the time until one may (-1: not
 * before a check finishes, or the lane's wake); -1 when the input is
 * exhausted and nothing waits, or the run is stopping. */
int sc_sched_take(struct sc_sched *s, int lane, struct sc_job *job,
                  long *wait_ms);

/* Has wake(arg) called, under the scheduler's lock, when lane's last take
 * found nothing and one of its jobs becomes ready; wake must not call back
 * into the scheduler (uv_async_send does not). NULL stops it: after this
 * returns, wake is not running and will not be called. */
void sc_sched_on_ready(struct sc_sched *s, int lane, void (*wake)(void *),
                       void *arg);

/* The same as sc_sched_take for one lane, blocking until a job may start;
 * returns 1 or -1. */
int sc_sched_take_wait(struct sc_sched *s, struct sc_job *job);

/* Gives back a job taken but not started: it goes first in its host's
 * queue and the next taker gets it. Its turn under --rate and --host-rate
 * is given back too if no job started after it (else it waits for a new
 * turn: spacing is never shortened). *job is emptied. */
void sc_sched_return(struct sc_sched *s, struct sc_job *job);

/* Whether job (taken, not yet done) should keep its connection for another
 * check of its host: 1 if another check of its host is in flight or
 * waiting, or the host came back before (a repeat) and the input is not
 * exhausted, or only one check runs at a time (the input is then read one
 * line at a time, so nothing is known of the next one); 0 for a stolen
 * job. The check core asks it through the keep_fn the engine installs
 * (check.h, sc_run_keep_connection). Never waits for input: when a taker
 * holds the scheduler while it reads a line (blocking models), or in the
 * event model whenever another thread holds it, the job's start-time hint
 * answers (job.h, alone); in the blocking models it waits out other
 * holders, who hold the lock only briefly. */
int sc_sched_keep_connection(struct sc_sched *s, const struct sc_job *job);

/* Where the scheduler's jobs are (a snapshot, for the progress line).
 * Each waiting job is counted once, by why it waits. */
struct sc_sched_stats {
  long running;   /* taken and not yet done (or given back) */
  long waiting;   /* read and queued, not yet taken: the sum of the next */
  long per_host;  /* ... on hosts at their --per-host limit */
  long host_rate; /* ... on hosts in a --host-rate pause */
  long ready;     /* ... that may start: a taker with a free slot takes */
  int rate_pause; /* --rate's next start is not due yet (ready jobs wait) */
};

/* Fills *st under the scheduler's lock and returns 0; returns -1 at once,
 * *st untouched, while a taker holds the lock waiting for input (a slow
 * pipe, blocking models), which may take seconds. It walks the hosts in
 * a --host-rate pause (at most one per waiting job), so call it a few
 * times a second at most; the per-URL path pays nothing for it. Any
 * thread, with no lock held. */
int sc_sched_stats(struct sc_sched *s, struct sc_sched_stats *st);

/* Marks a job taken with sc_sched_take as finished: its host slot frees.
 * Call it before clearing the job. */
void sc_sched_done(struct sc_sched *s, const struct sc_job *job);

/* The source has a job ready sooner than it said (source.h, wakes): wakes
 * every lane's taker whose last take found nothing. Call it with no lock
 * of the source held. */
void sc_sched_input_ready(struct sc_sched *s);

/* Jobs taken from the source that wait here, not started yet. */
long sc_sched_waiting(struct sc_sched *s);

#endif
