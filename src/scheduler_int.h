/* scheduler_int.h - the scheduler's insides, shared by its two halves and
 * by nothing else:
 *   scheduler.c  politeness: hosts and their queues, --per-host, --rate
 *                and --host-rate, the sleep heap; intake from the source
 *                and the steps of a take.
 *   lanes.c      lanes: which loop a host's checks run in, its ready
 *                list, stealing, waking a lane's taker; and the
 *                connection-reuse hints (alone, repeat, keep). Its steps
 *                that run for every URL are inline at the end of this
 *                header, so that a take makes no calls between the two.
 * Every function here runs with the scheduler's lock held.
 *
 * Hosts live in a hash table only while they have checks in flight, jobs
 * waiting, or a --host-rate pause to honour, so a million distinct hosts
 * cost nothing once checked. A host with waiting jobs is either on its
 * lane's ready list (may start one now), in the sleep heap (rate pause),
 * or full (waits for sc_sched_done). */
#ifndef SC_SCHEDULER_INT_H
#define SC_SCHEDULER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "htab.h"
#include "list.h"
#include "scheduler.h"

struct qjob {
  struct sc_job job;
  struct sc_link link; /* in its host's queue */
};

struct host {
  struct sc_hnode h; /* in the hosts table, by name (first member) */
  char *name;
  long inflight;
  double next_ok;      /* --host-rate: earliest next start */
  double undo_next_ok; /* next_ok before the last start (sc_sched_return) */
  uint64_t last_line;  /* the job of that start, by input line */
  int repeat; /* started twice, or seen before this struct (seen table) */
  struct sc_link queue; /* its waiting jobs (struct qjob), first out first */
  long nq;              /* jobs queued */
  struct sc_link ready; /* in its lane's ready list while on_ready */
  int on_ready;
  double ready_at; /* when it went on the ready list */
  int lane;
  long heap_at; /* index in the sleep heap, -1 if not there */
};

/* A lane (scheduler.h): its ready hosts, the jobs of its hosts, and how
 * to wake its taker. */
struct lane {
  struct sc_link ready;   /* its ready hosts, first come first served */
  long waiting, inflight; /* jobs of its hosts queued / started */
  long ready_jobs;        /* queued on its ready hosts */
  long behind;            /* ready_jobs this many: its loop falls behind */
  int hungry;             /* its last take found nothing */
  void (*wake)(void *);
  void *wake_arg;
};

struct sc_sched {
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a check finished: blocked takers look again */
  struct sc_source *source;
  void (*complete)(void *arg, struct sc_job *job); /* decided jobs */
  void *complete_arg;
  long per_host;        /* 0 = unlimited */
  double host_gap, gap; /* ms between starts per host / overall, or 0 */
  double next_ok;       /* --rate: earliest next start */
  double undo_next_ok;  /* next_ok before the last start */
  uint64_t last_line;   /* the job of the last start, by input line */
  long waiting, max_waiting;
  int several;         /* more than one check may run at once */
  uint64_t *seen;      /* hashes of hosts started, by hash (lanes.c) */
  uint8_t *seen_lane;  /* ... and their lanes, with several lanes */
  unsigned long takes; /* for the periodic sweep of idle hosts */
  int source_done;     /* the source returned 0: nothing more comes */
  int input_blocks;    /* the source may wait for a slow producer */
  atomic_int reading;  /* a taker is in it, holding the lock */
  struct sc_htab hosts;
  struct lane *lanes;
  int nlanes;
  struct host **heap; /* min-heap on next_ok */
  long nheap, heap_cap;
};

/* scheduler.c */

/* The host of that name (hash = sc_hash_str(0, name)), or NULL. */
struct host *sc_sched_host_find(struct sc_sched *s, const char *name,
                                uint64_t hash);

/* Takes the first job of the first ready host of lane i into *job and
 * starts it; a stolen one is marked so (lanes.c). Returns 0 if lane i has
 * no ready host. */
int sc_sched_take_ready(struct sc_sched *s, int i, int stolen,
                        struct sc_job *job, double now);

/* lanes.c */

/* Sets up s->nlanes lanes, lane i running slots[i] checks at once, and
 * the seen table. */
void sc_lanes_init(struct sc_sched *s, const long *slots);
void sc_lanes_free(struct sc_sched *s);

/* The lane of a host new to the hosts table, for a taker of lane taker. */
int sc_lanes_pick(const struct sc_sched *s, const struct host *h, int taker);

/* The step of a take after the input gave no more: another lane's ready
 * job, if that lane would hold it up. Returns 1 with *job taken; else 0,
 * lowering *due (-1: none) to when one may be taken. */
int sc_lanes_steal(struct sc_sched *s, int lane, struct sc_job *job, double now,
                   double *due);

/* Wakes every lane's taker but lane's that found nothing last time. */
void sc_lanes_wake_others(struct sc_sched *s, int lane);

/* Lanes' steps that run for every URL (see above). */

/* Hosts are forgotten between their checks (memory stays bounded), but a
 * fixed table remembers the hashes of recently started ones, so that a
 * host coming back is known as one that comes back: its connection is
 * worth keeping (sc_sched_keep_connection). The table is large enough
 * that a host is still remembered after the starts of many other hosts,
 * and small enough to cost nothing next to the checks in flight. */
#define SC_SEEN_SLOTS 65536

/* Whether a host of this hash started recently (a repeat). */
static inline int sc_lanes_seen(const struct sc_sched *s, uint64_t hash) {
  return s->seen[hash & (SC_SEEN_SLOTS - 1)] == (hash | 1);
}

/* Wakes lane l's taker if its last take found nothing. */
static inline void sc_lanes_wake_if_hungry(struct lane *l) {
  if (l->hungry && l->wake) {
    l->hungry = 0;
    l->wake(l->wake_arg);
  }
}

/* Puts h (waiting jobs, room, no pause) on its lane's ready list and
 * wakes the lane's taker if its last take found nothing. */
static inline void sc_lanes_ready(struct sc_sched *s, struct host *h,
                                  double now) {
  struct lane *l = &s->lanes[h->lane];
  h->on_ready = 1;
  h->ready_at = now;
  l->ready_jobs += h->nq;
  sc_link_add_tail(&l->ready, &h->ready);
  sc_lanes_wake_if_hungry(l);
}

/* Takes lane i's first ready host off its ready list, or returns NULL. */
static inline struct host *sc_lanes_pop(struct sc_sched *s, int i) {
  struct lane *l = &s->lanes[i];
  struct sc_link *first = sc_link_first(&l->ready);
  if (!first) return NULL;
  struct host *h = SC_CONTAINER(first, struct host, ready);
  sc_link_del(first);
  h->on_ready = 0;
  l->ready_jobs -= h->nq;
  return h;
}

/* Whether lane i fell behind: so many ready jobs that reading ahead for
 * it stops and other lanes take its jobs at once (lanes.c). */
static inline int sc_lanes_behind(const struct sc_sched *s, int i) {
  return s->lanes[i].ready_jobs >= s->lanes[i].behind;
}

/* The hints a job gets as it starts on h (h->inflight already counts it).
 * A job whose host has no other check in flight or waiting and was not
 * seen before, while several run at once, is marked alone: it connects
 * afresh, as no kept connection can be there for it, and libcurl's search
 * for one would cost (check.c). Whether it keeps its connection is asked
 * at its head (sc_sched_keep_connection): a host that turns out to have
 * no further checks then closes it, so runs over many distinct hosts do
 * not fill the caches with connections nobody reuses. h is remembered in
 * the seen table, with its lane. */
static inline void sc_lanes_started(struct sc_sched *s, struct host *h,
                                    struct sc_job *job) {
  job->alone = s->several && h->inflight == 1 && !h->nq && !h->repeat;
  uint64_t *seen = &s->seen[h->h.hash & (SC_SEEN_SLOTS - 1)];
  if (*seen == (h->h.hash | 1)) h->repeat = 1; /* a start before this one */
  *seen = h->h.hash | 1;
  if (s->seen_lane)
    s->seen_lane[h->h.hash & (SC_SEEN_SLOTS - 1)] = (uint8_t)h->lane;
}

#endif
