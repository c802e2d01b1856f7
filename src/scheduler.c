/* scheduler.c - see scheduler.h.
 *
 * Hosts live in a hash table only while they have checks in flight, jobs
 * waiting, or a --host-rate pause to honour, so a million distinct hosts
 * cost nothing once checked. A host with waiting jobs is either on its
 * lane's ready list (may start one now) or in the sleep heap (rate
 * pause), or full (waits for sc_sched_done). */
#include "scheduler.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
#include "run.h"
#include "util.h"

struct qjob {
  struct sc_job job;
  struct qjob *next;
};

struct host {
  struct hnode h; /* in the hosts table, by name (first member) */
  char *name;
  long inflight;
  double next_ok;      /* --host-rate: earliest next start */
  double undo_next_ok; /* next_ok before the last start (sc_sched_return) */
  uint64_t last_line;  /* the job of that start, by input line */
  int repeat; /* started twice, or seen before this struct (seen table) */
  struct qjob *qhead, *qtail;
  long nq;            /* jobs queued */
  struct host *rnext; /* ready list */
  int on_ready;
  double ready_at; /* when it went on the ready list */
  int lane;
  long heap_at; /* index in the sleep heap, -1 if not there */
};

/* A lane (scheduler.h): its ready hosts, the jobs of its hosts, and how
 * to wake its taker. */
struct lane {
  struct host *ready_head, *ready_tail;
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
  uint64_t *seen;      /* hashes of hosts started, by hash: see SEEN_SLOTS */
  uint8_t *seen_lane;  /* ... and their lanes, with several lanes */
  unsigned long takes; /* for the periodic sweep of idle hosts */
  int source_done;     /* the source returned 0: nothing more comes */
  int input_blocks;    /* the source may wait for a slow producer */
  atomic_int reading;  /* a taker is in it, holding the lock */
  struct htab hosts;
  struct lane *lanes;
  int nlanes;
  struct host **heap; /* min-heap on next_ok */
  long nheap, heap_cap;
};

static struct host *host_find(struct sc_sched *s, const char *name,
                              uint64_t hash) {
  for (struct hnode *n = ht_chain(&s->hosts, hash); n; n = n->next)
    if (n->hash == hash && strcmp(((struct host *)n)->name, name) == 0)
      return (struct host *)n;
  return NULL;
}

/* Hosts are forgotten between their checks (memory stays bounded), but a
 * fixed table remembers the hashes of recently started ones, so that a
 * host coming back is known as one that comes back: its connection is
 * worth keeping (sc_sched_keep_connection). 64 Ki slots, 512 KiB: a host is
 * still remembered after 1,000 other hosts' starts with 98.5% chance. */
#define SEEN_SLOTS 65536

/* The lane of a host new to the hosts table: the one it had if it was
 * seen before (its connections are in that loop's cache), else the lane
 * with the fewest jobs, the taker's own on a tie. Hosts with equal work
 * so split evenly, and so do the lanes' last jobs at the input's end. */
static int pick_lane(const struct sc_sched *s, const struct host *h,
                     int taker) {
  if (s->nlanes == 1) return 0;
  if (h->repeat) return s->seen_lane[h->h.hash & (SEEN_SLOTS - 1)];
  int best = taker;
  for (int i = 0; i < s->nlanes; i++) {
    const struct lane *a = &s->lanes[i], *b = &s->lanes[best];
    if (a->waiting + a->inflight < b->waiting + b->inflight) best = i;
  }
  return best;
}

static struct host *host_get(struct sc_sched *s, const char *name, int lane) {
  uint64_t hash = sc_hash_str(0, name);
  struct host *h = host_find(s, name, hash);
  if (h) return h;
  h = sc_xcalloc(1, sizeof *h);
  h->name = sc_xstrdup(name);
  h->heap_at = -1;
  h->h.hash = hash;
  h->repeat = s->seen[hash & (SEEN_SLOTS - 1)] == (hash | 1);
  h->lane = pick_lane(s, h, lane);
  ht_add(&s->hosts, &h->h);
  return h;
}

/* Forgets h if nothing about it matters any more. */
static void host_maybe_free(struct sc_sched *s, struct host *h, double now) {
  if (h->inflight || h->qhead || h->on_ready || h->heap_at >= 0 ||
      h->next_ok > now)
    return;
  ht_del(&s->hosts, &h->h);
  free(h->name);
  free(h);
}

static void heap_swap(struct sc_sched *s, long i, long j) {
  struct host *t = s->heap[i];
  s->heap[i] = s->heap[j];
  s->heap[j] = t;
  s->heap[i]->heap_at = i;
  s->heap[j]->heap_at = j;
}

/* Restores the heap above i after heap[i]'s next_ok went down. */
static void heap_up(struct sc_sched *s, long i) {
  while (i > 0 && s->heap[(i - 1) / 2]->next_ok > s->heap[i]->next_ok) {
    heap_swap(s, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

static void heap_push(struct sc_sched *s, struct host *h) {
  if (s->nheap == s->heap_cap) {
    s->heap_cap = s->heap_cap ? 2 * s->heap_cap : 64;
    s->heap = sc_xrealloc(s->heap, (size_t)s->heap_cap * sizeof *s->heap);
  }
  long i = s->nheap++;
  s->heap[i] = h;
  h->heap_at = i;
  heap_up(s, i);
}

static struct host *heap_pop(struct sc_sched *s) {
  struct host *top = s->heap[0];
  heap_swap(s, 0, --s->nheap);
  top->heap_at = -1;
  long i = 0;
  for (;;) {
    long l = 2 * i + 1, r = l + 1, m = i;
    if (l < s->nheap && s->heap[l]->next_ok < s->heap[m]->next_ok) m = l;
    if (r < s->nheap && s->heap[r]->next_ok < s->heap[m]->next_ok) m = r;
    if (m == i) break;
    heap_swap(s, i, m);
    i = m;
  }
  return top;
}

static void start(struct sc_sched *s, struct host *h, struct sc_job *job,
                  double now);

static int has_room(const struct sc_sched *s, const struct host *h) {
  return !s->per_host || h->inflight < s->per_host;
}

/* Frees every host that is idle and past its rate pause. With
 * --host-rate a host outlives its last check by its pause; this sweep,
 * run every few thousand takes, keeps such hosts from piling up. */
static void sweep(struct sc_sched *s, double now) {
  for (size_t i = 0; i <= s->hosts.mask; i++)
    for (struct hnode *n = s->hosts.b[i], *next; n; n = next) {
      next = n->next;
      host_maybe_free(s, (struct host *)n, now);
    }
}

/* Wakes lane l's taker if its last take found nothing. */
static void wake_if_hungry(struct lane *l) {
  if (l->hungry && l->wake) {
    l->hungry = 0;
    l->wake(l->wake_arg);
  }
}

/* Puts a host with waiting jobs where it belongs: ready in its lane (the
 * lane's taker woken if it found nothing last time), asleep, or nowhere
 * (full: sc_sched_done brings it back). */
static void place(struct sc_sched *s, struct host *h, double now) {
  if (!h->qhead || h->on_ready || h->heap_at >= 0 || !has_room(s, h)) return;
  if (h->next_ok > now) {
    heap_push(s, h);
    return;
  }
  struct lane *l = &s->lanes[h->lane];
  h->on_ready = 1;
  h->ready_at = now;
  l->ready_jobs += h->nq;
  h->rnext = NULL;
  if (l->ready_tail)
    l->ready_tail->rnext = h;
  else
    l->ready_head = h;
  l->ready_tail = h;
  wake_if_hungry(l);
}

/* How long a job may stay ready in its lane, its loop not taking it,
 * before another loop takes it (see steal_after). */
#define STEAL_WAIT_MS 100

/* Ready jobs per slot of its loop at which a lane falls behind. A loop
 * whose thread is descheduled for a while (a VM's stall) lets its lane
 * reach it, and each job then taken by another loop connects afresh
 * there: tls5k, two sets of 9 interleaved runs, 4 per slot against 8:
 * 358 and 342 TLS connections against 311 and 308, 0.91 and 0.83 s
 * against 0.88 and 0.81 s; tput20k and 20,000 URLs of one host at
 * --per-host 0 (the worst skew) no different beyond noise. The read-ahead
 * stays bounded by max_waiting either way. */
#define BEHIND_PER_SLOT 8

/* When a taker whose lane has nothing to start, and who can read no more
 * input, may take lane i's first ready job. Returns that time, or -1 if
 * lane i has none ready; *keep says whether the job keeps its connection
 * as any other (else it is marked stolen, see take_ready).
 * - At once, keeping, if lane i fell behind (so many ready jobs that the
 *   other loops stopped reading ahead for it) or the read-ahead is full:
 *   the input is skewed towards its hosts and the other loops would idle
 *   on; they take its jobs for as long as that lasts, so their
 *   connections to its hosts are worth keeping.
 * - Else once the job has been ready STEAL_WAIT_MS without its own loop
 *   taking it: that loop's slots are held by slow checks or retry waits,
 *   or its thread stalled. Not sooner: a job taken into another loop
 *   meets no connection of its host there and opens one (a new TLS
 *   connection costs what ~10 checks on kept ones do), and loops that run
 *   at slightly different speeds leave backlogs that their own loops
 *   clear soon. tls5k, medians of 7 runs: one loop 281 TLS connections;
 *   two loops that took any ready job when their own lane had none
 *   365-424, and no faster. */
static double steal_after(const struct sc_sched *s, int i, int *keep) {
  const struct lane *l = &s->lanes[i];
  if (!l->ready_head) return -1;
  *keep = l->ready_jobs >= l->behind || s->waiting >= s->max_waiting;
  return *keep ? 0 : l->ready_head->ready_at + STEAL_WAIT_MS;
}

/* Takes the first job of the first ready host of lane i into *job, or
 * returns 0 if lane i has none. A stolen job connects afresh and does not
 * keep its connection: its host's next checks run in their own lane's
 * loop (kept, such connections filled the loops' caches: 2,102 stolen
 * jobs per 300,000 URLs on this VM's stalls; 1,000,000 URLs peaked at
 * 16.8 MB against 15.5 MB without them). */
static int take_ready(struct sc_sched *s, int i, int stolen, struct sc_job *job,
                      double now) {
  struct lane *l = &s->lanes[i];
  struct host *h = l->ready_head;
  if (!h) return 0;
  l->ready_head = h->rnext;
  if (!l->ready_head) l->ready_tail = NULL;
  h->on_ready = 0;
  l->ready_jobs -= h->nq;
  struct qjob *q = h->qhead;
  h->qhead = q->next;
  if (!h->qhead) h->qtail = NULL;
  h->nq--;
  *job = q->job;
  free(q);
  s->waiting--;
  s->lanes[h->lane].waiting--;
  start(s, h, job, now);
  if (stolen) job->stolen = job->alone = 1;
  place(s, h, now);
  return 1;
}

/* Starts job on host h. A job whose host has no other check in flight or
 * waiting and was not seen before, while several run at once, is marked
 * alone: it connects afresh, as no kept connection can be there for it,
 * and libcurl's search for one would cost (check.c). Whether it keeps its
 * connection is asked at its head (sc_sched_keep_connection): 10,000 distinct
 * names at -c 1000 took 3.5 s with each connection closed there, 7 s with
 * them kept. */
static void start(struct sc_sched *s, struct host *h, struct sc_job *job,
                  double now) {
  h->inflight++;
  s->lanes[h->lane].inflight++;
  job->alone = s->several && h->inflight == 1 && !h->qhead && !h->repeat;
  uint64_t *seen = &s->seen[h->h.hash & (SEEN_SLOTS - 1)];
  if (*seen == (h->h.hash | 1)) h->repeat = 1; /* a start before this one */
  *seen = h->h.hash | 1;
  if (s->seen_lane)
    s->seen_lane[h->h.hash & (SEEN_SLOTS - 1)] = (uint8_t)h->lane;
  s->last_line = job->lineno;
  s->undo_next_ok = s->next_ok;
  h->last_line = job->lineno;
  h->undo_next_ok = h->next_ok;
  if (s->host_gap > 0) h->next_ok = now + s->host_gap;
  if (s->gap > 0) s->next_ok = (s->next_ok > now ? s->next_ok : now) + s->gap;
}

struct sc_sched *sc_sched_new(const struct sc_opts *o, struct sc_source *src,
                              long concurrency, int lanes,
                              void (*complete)(void *arg, struct sc_job *job),
                              void *arg) {
  struct sc_sched *s = sc_xcalloc(1, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->changed, NULL);
  s->source = src;
  s->input_blocks = src && src->blocks;
  s->complete = complete;
  s->complete_arg = arg;
  s->per_host = o->per_host;
  s->gap = o->rate > 0 ? 1000.0 / o->rate : 0;
  s->host_gap = o->host_rate > 0 ? 1000.0 / o->host_rate : 0;
  s->max_waiting = concurrency * 4 > 4096 ? concurrency * 4 : 4096;
  s->several = concurrency > 1;
  s->seen = sc_xcalloc(SEEN_SLOTS, sizeof *s->seen);
  s->nlanes = lanes > 1 ? lanes : 1;
  s->lanes = sc_xcalloc((size_t)s->nlanes, sizeof *s->lanes);
  /* Its share of the checks, as engine_event.c splits them. */
  for (int i = 0; i < s->nlanes; i++)
    s->lanes[i].behind = BEHIND_PER_SLOT * (concurrency / s->nlanes +
                                            (i < concurrency % s->nlanes));
  if (s->nlanes > 1) s->seen_lane = sc_xcalloc(SEEN_SLOTS, 1);
  ht_init(&s->hosts);
  return s;
}

void sc_sched_free(struct sc_sched *s) {
  for (size_t i = 0; i <= s->hosts.mask; i++)
    for (struct hnode *n = s->hosts.b[i], *next; n; n = next) {
      struct host *h = (struct host *)n;
      next = n->next;
      for (struct qjob *q = h->qhead, *qn; q; q = qn) {
        qn = q->next;
        sc_job_clear(&q->job);
        free(q);
      }
      free(h->name);
      free(h);
    }
  ht_free(&s->hosts);
  free(s->heap);
  free(s->seen);
  free(s->seen_lane);
  free(s->lanes);
  pthread_cond_destroy(&s->changed);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* How often a non-blocking taker looks again while the source has
 * nothing yet (a slow pipe): short enough to add no visible delay per
 * line. */
#define INPUT_POLL_MS 2

/* Decided jobs one take reads at most before it hands them out. */
#define DECIDED_MAX 32

/* A take's result beyond those of sc_sched_take: it read decided jobs
 * that must be handed out (outside the lock) before it goes on. */
#define TAKE_AGAIN 2

/* The decided jobs a take read (source.h): they take no host slot and no
 * turn, and go to s->complete once the lock is released, since complete
 * writes to the sink, whose lock is never taken inside ours (run.h). */
struct decided {
  struct sc_job jobs[DECIDED_MAX];
  int n;
};

/* sc_sched_take with the lock held, decided jobs put into *d. Returns as
 * sc_sched_take does, or TAKE_AGAIN: d is full, or the source would have
 * to wait for its next line (a blocking source is let wait only while d
 * is empty, so that no record is held back by a slow producer). */
static int take_locked(struct sc_sched *s, int lane, struct sc_job *job,
                       long *wait_ms, struct decided *d) {
  double now = sc_now_ms();
  int input_pending = 0, behind = 0;
  *wait_ms = -1;
  if (atomic_load(&sc_stop)) return -1;
  if (s->host_gap > 0 && ++s->takes % 4096 == 0) sweep(s, now);
  if (s->gap > 0 && s->next_ok > now) {
    *wait_ms = (long)(s->next_ok - now) + 1;
    return 0;
  }
  while (s->nheap && s->heap[0]->next_ok <= now) place(s, heap_pop(s), now);
  for (;;) {
    if (take_ready(s, lane, 0, job, now)) return 1;
    if (s->source_done || s->waiting >= s->max_waiting || behind) break;
    /* A blocking source waits for a line (the lock keeps the order); with
     * a reader thread, a taker finding none ready looks again soon. */
    int may_wait = d->n == 0, reading = s->input_blocks && may_wait;
    if (reading) atomic_store(&s->reading, 1);
    int got = s->source->next(s->source, job, may_wait);
    if (reading) atomic_store(&s->reading, 0);
    if (got < 0) {
      if (d->n && s->input_blocks) return TAKE_AGAIN;
      input_pending = 1;
      break;
    }
    if (got == 0) {
      s->source_done = 1;
      break;
    }
    if (!job->url) { /* decided: no host, no slot, no turn */
      d->jobs[d->n++] = *job;
      memset(job, 0, sizeof *job);
      if (d->n == DECIDED_MAX) return TAKE_AGAIN;
      continue;
    }
    struct host *h = host_get(s, job->host, lane);
    if (h->lane == lane && !h->qhead && has_room(s, h) && h->next_ok <= now) {
      start(s, h, job, now);
      return 1;
    }
    struct qjob *q = sc_xmalloc(sizeof *q);
    q->job = *job;
    q->next = NULL;
    memset(job, 0, sizeof *job);
    if (h->qtail)
      h->qtail->next = q;
    else
      h->qhead = q;
    h->qtail = q;
    h->nq++;
    s->waiting++;
    s->lanes[h->lane].waiting++;
    if (h->on_ready) s->lanes[h->lane].ready_jobs++;
    place(s, h, now);
    /* Read no further ahead for another lane that fell behind: its jobs
     * are taken below (steal_after). */
    if (h->lane != lane &&
        s->lanes[h->lane].ready_jobs >= s->lanes[h->lane].behind)
      behind = 1;
  }
  /* The input gives no more now: another lane's ready job, if that lane
   * would hold it up (steal_after); else look again when one is due. */
  double due = -1;
  for (int i = 1; i < s->nlanes; i++) {
    int other = (lane + i) % s->nlanes, keep;
    double t = steal_after(s, other, &keep);
    if (t >= 0 && t <= now) {
      take_ready(s, other, !keep, job, now);
      return 1;
    }
    if (t >= 0 && (due < 0 || t < due)) due = t;
  }
  if (s->nheap && (due < 0 || s->heap[0]->next_ok < due))
    due = s->heap[0]->next_ok;
  if (due >= 0) {
    double w = due - now;
    *wait_ms = w < 1 ? 1 : (long)w + 1;
  }
  if (input_pending && (*wait_ms < 0 || *wait_ms > INPUT_POLL_MS))
    *wait_ms = INPUT_POLL_MS;
  return s->source_done && s->waiting == 0 ? -1 : 0;
}

/* Hands the decided jobs of a take to s->complete; no lock is held. */
static void hand_out(struct sc_sched *s, struct decided *d) {
  for (int i = 0; i < d->n; i++) {
    s->complete(s->complete_arg, &d->jobs[i]);
    sc_job_clear(&d->jobs[i]);
  }
  d->n = 0;
}

int sc_sched_take(struct sc_sched *s, int lane, struct sc_job *job,
                  long *wait_ms) {
  struct decided d; /* its jobs are written before they are read */
  d.n = 0;
  int r;
  do {
    pthread_mutex_lock(&s->lock);
    s->lanes[lane].hungry = 0; /* nothing to wake while it takes */
    r = take_locked(s, lane, job, wait_ms, &d);
    s->lanes[lane].hungry = r == 0;
    /* Exhausted: the other lanes learn it now, not at their next timer. */
    if (s->source_done && s->waiting == 0)
      for (int i = 0; i < s->nlanes; i++)
        if (i != lane) wake_if_hungry(&s->lanes[i]);
    pthread_mutex_unlock(&s->lock);
    hand_out(s, &d);
  } while (r == TAKE_AGAIN);
  return r;
}

void sc_sched_on_ready(struct sc_sched *s, int lane, void (*wake)(void *),
                       void *arg) {
  pthread_mutex_lock(&s->lock);
  s->lanes[lane].wake = wake;
  s->lanes[lane].wake_arg = arg;
  s->lanes[lane].hungry = 0;
  pthread_mutex_unlock(&s->lock);
}

int sc_sched_take_wait(struct sc_sched *s, struct sc_job *job) {
  struct decided d; /* its jobs are written before they are read */
  d.n = 0;
  long wait;
  int r;
  pthread_mutex_lock(&s->lock);
  while ((r = take_locked(s, 0, job, &wait, &d)) == 0 || r == TAKE_AGAIN) {
    if (d.n) {
      /* Out of the lock to hand them out; then look again at once. */
      pthread_mutex_unlock(&s->lock);
      hand_out(s, &d);
      pthread_mutex_lock(&s->lock);
      continue;
    }
    /* Wake for a finished check, the next allowed start, or a stop. */
    long ms = wait < 0 || wait > 100 ? 100 : wait;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&s->changed, &s->lock, &ts);
  }
  pthread_mutex_unlock(&s->lock);
  hand_out(s, &d);
  return r;
}

void sc_sched_return(struct sc_sched *s, struct sc_job *job) {
  pthread_mutex_lock(&s->lock);
  struct host *h = host_find(s, job->host, sc_hash_str(0, job->host));
  h->inflight--;
  s->lanes[h->lane].inflight--;
  s->lanes[h->lane].waiting++;
  /* With no start since this one (overall, on its host), its turn under
   * --rate (--host-rate) can be given back. */
  if (job->lineno == s->last_line) s->next_ok = s->undo_next_ok;
  if (job->lineno == h->last_line) {
    h->next_ok = h->undo_next_ok;
    if (h->heap_at >= 0) heap_up(s, h->heap_at);
  }
  struct qjob *q = sc_xmalloc(sizeof *q);
  q->job = *job;
  q->next = h->qhead;
  memset(job, 0, sizeof *job);
  h->qhead = q;
  if (!h->qtail) h->qtail = q;
  h->nq++;
  if (h->on_ready) s->lanes[h->lane].ready_jobs++;
  s->waiting++;
  place(s, h, sc_now_ms());
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

/* Takes the lock for sc_sched_keep_connection, or returns 0 where waiting for
 * it could cost this check more than a guess does; the job's start-time hint
 * (job.h, alone) decides then.
 * - A blocking model's taker holds the lock while it waits for the next
 *   input line, which a slow producer may take seconds to send: wait only
 *   while no taker is reading. Giving up on any holder instead (a thread
 *   finishing its check holds the lock for microseconds) made the first
 *   check of a host, alone when it started, close its connection: a third
 *   connection in 1 run of 40-60 of test_connections_match_the_checks_
 *   that_may_run[thread]; 2-35 guesses of "alone" per 20,000 URLs at
 *   -m thread -c 128.
 * - An event loop never waits: another loop's take may read thousands of
 *   lines ahead under the lock. Its guesses are rarely "alone" (0-1 per
 *   tls5k run), as a loop's checks start while the input is being read. */
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
  struct host *h = host_find(s, job->host, sc_hash_str(0, job->host));
  int r = h && (h->inflight > 1 || h->qhead || (h->repeat && !s->source_done));
  pthread_mutex_unlock(&s->lock);
  return r;
}

void sc_sched_done(struct sc_sched *s, const struct sc_job *job) {
  pthread_mutex_lock(&s->lock);
  struct host *h = host_find(s, job->host, sc_hash_str(0, job->host));
  if (h) {
    double now = sc_now_ms();
    h->inflight--;
    s->lanes[h->lane].inflight--;
    place(s, h, now);
    host_maybe_free(s, h, now);
  }
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}
