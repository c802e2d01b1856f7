/* lanes.c - the scheduler's lanes and connection-reuse hints (see
 * scheduler.h and scheduler_int.h).
 *
 * Every host belongs to one lane, so its checks run in one loop and meet
 * the connections its earlier checks left in that loop's cache. A lane's
 * loop takes its ready jobs; another loop takes them only when the lane
 * would hold them up (sc_lanes_steal). The hints say whether a check may
 * find a kept connection (job.alone) and whether it should keep its own
 * (sc_sched_keep_connection). The steps a take makes for every URL (the
 * ready lists, the start hints, the seen table) are inline in
 * scheduler_int.h; the policies are here. */
#include <sched.h>
#include <stdlib.h>

#include "scheduler_int.h"
#include "util.h"

/* Ready jobs per slot of its loop at which a lane falls behind. A loop
 * whose thread is descheduled for a while (a VM's stall) lets its lane
 * reach it, and each job then taken by another loop connects afresh
 * there. A bound well above the few ready jobs per slot that ordinary
 * jitter between loops leaves keeps such fresh connections rare; a lower
 * one opened more connections and was no faster, even on input skewed
 * towards one host. The read-ahead stays bounded by max_waiting either
 * way. */
#define BEHIND_PER_SLOT 8

/* How long a job may stay ready in its lane, its loop not taking it,
 * before another loop takes it (see steal_after). */
#define STEAL_WAIT_MS 100

void sc_lanes_init(struct sc_sched *s, const long *slots) {
  s->seen = sc_xcalloc(SC_SEEN_SLOTS, sizeof *s->seen);
  s->lanes = sc_xcalloc((size_t)s->nlanes, sizeof *s->lanes);
  for (int i = 0; i < s->nlanes; i++) {
    s->lanes[i].behind = BEHIND_PER_SLOT * slots[i];
    sc_link_init(&s->lanes[i].ready);
  }
  if (s->nlanes > 1) s->seen_lane = sc_xcalloc(SC_SEEN_SLOTS, 1);
}

void sc_lanes_free(struct sc_sched *s) {
  free(s->seen);
  free(s->seen_lane);
  free(s->lanes);
}

/* The lane of a host new to the hosts table: the one it had if it was
 * seen before (its connections are in that loop's cache), else the lane
 * with the fewest jobs, the taker's own on a tie. Hosts with equal work
 * so split evenly, and so do the lanes' last jobs at the input's end. */
int sc_lanes_pick(const struct sc_sched *s, const struct host *h, int taker) {
  if (s->nlanes == 1) return 0;
  if (h->repeat) return s->seen_lane[h->h.hash & (SC_SEEN_SLOTS - 1)];
  int best = taker;
  for (int i = 0; i < s->nlanes; i++) {
    const struct lane *a = &s->lanes[i], *b = &s->lanes[best];
    if (a->waiting + a->inflight < b->waiting + b->inflight) best = i;
  }
  return best;
}

/* When a taker whose lane has nothing to start, and who can read no more
 * input, may take lane i's first ready job. Returns that time, or -1 if
 * lane i has none ready; *keep says whether the job keeps its connection
 * as any other (else it is marked stolen, see sc_sched_take_ready).
 * - At once, keeping, if lane i fell behind (so many ready jobs that the
 *   other loops stopped reading ahead for it) or the read-ahead is full:
 *   the input is skewed towards its hosts and the other loops would idle
 *   on; they take its jobs for as long as that lasts, so their
 *   connections to its hosts are worth keeping.
 * - Else once the job has been ready STEAL_WAIT_MS without its own loop
 *   taking it: that loop's slots are held by slow checks or retry waits,
 *   or its thread stalled. Not sooner: a job taken into another loop
 *   meets no connection of its host there and opens one (a new TLS
 *   connection costs as much as several checks on kept ones), and loops
 *   that run at slightly different speeds leave backlogs that their own
 *   loops clear soon. Taking any ready job whenever the own lane was
 *   empty opened many more connections and was no faster. */
static double steal_after(const struct sc_sched *s, int i, int *keep) {
  const struct lane *l = &s->lanes[i];
  struct sc_link *first = sc_link_first(&l->ready);
  if (!first) return -1;
  *keep = l->ready_jobs >= l->behind || s->waiting >= s->max_waiting;
  return *keep ? 0
               : SC_CONTAINER(first, struct host, ready)->ready_at +
                     STEAL_WAIT_MS;
}

/* A stolen job connects afresh and does not keep its connection: its
 * host's next checks run in their own lane's loop, so a connection kept
 * in the stealing loop would only take a place in its cache (and memory)
 * that its own hosts' connections need. */
int sc_lanes_steal(struct sc_sched *s, int lane, struct sc_job *job, double now,
                   double *due) {
  for (int i = 1; i < s->nlanes; i++) {
    int other = (lane + i) % s->nlanes, keep = 0;
    double t = steal_after(s, other, &keep);
    if (t >= 0 && t <= now)
      return sc_sched_take_ready(s, other, !keep, job, now);
    if (t >= 0 && (*due < 0 || t < *due)) *due = t;
  }
  return 0;
}

void sc_lanes_wake_others(struct sc_sched *s, int lane) {
  for (int i = 0; i < s->nlanes; i++)
    if (i != lane) sc_lanes_wake_if_hungry(&s->lanes[i]);
}

void sc_sched_on_ready(struct sc_sched *s, int lane, void (*wake)(void *),
                       void *arg) {
  pthread_mutex_lock(&s->lock);
  s->lanes[lane].wake = wake;
  s->lanes[lane].wake_arg = arg;
  s->lanes[lane].hungry = 0;
  pthread_mutex_unlock(&s->lock);
}

/* Takes the lock for sc_sched_keep_connection, or returns 0 where waiting
 * for it could cost this check more than a guess does; the job's
 * start-time hint (job.h, alone) decides then.
 * - A blocking model's taker holds the lock while it waits for the next
 *   input line, which a slow producer may take seconds to send: wait only
 *   while no taker is reading. Other holders (a thread finishing its
 *   check) hold it only briefly and are waited out: giving up on them
 *   too made a host's first check, alone when it started, close a
 *   connection the host's next checks needed.
 * - An event loop never waits: another loop's take may read far ahead
 *   under the lock. Its guesses are rarely "alone", as a loop's checks
 *   start while the input is being read. */
static int lock_unless_reading(struct sc_sched *s) {
  if (!s->input_blocks) return pthread_mutex_trylock(&s->lock) == 0;
  while (pthread_mutex_trylock(&s->lock) != 0) {
    if (atomic_load(&s->reading)) return 0;
    sched_yield();
  }
  return 1;
}

int sc_sched_keep_connection(struct sc_sched *s, const struct sc_job *job) {
  if (job->stolen) return 0;
  if (!s->several) return 1;
  if (!lock_unless_reading(s)) return !job->alone;
  struct host *h = sc_sched_host_find(s, job->host, sc_hash_str(0, job->host));
  int r = h && (h->inflight > 1 || h->nq || (h->repeat && !s->source_done));
  pthread_mutex_unlock(&s->lock);
  return r;
}
