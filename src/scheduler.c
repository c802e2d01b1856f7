/* scheduler.c - politeness (see scheduler.h and scheduler_int.h): the
 * hosts, their queues and limits, the sleep heap, intake from the source,
 * and a take in named steps. Lanes and the reuse hints are in lanes.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run.h"
#include "scheduler_int.h"
#include "util.h"

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

struct host *sc_sched_host_find(struct sc_sched *s, const char *name,
                                uint64_t hash) {
  return SC_HT_FIND_PTR(&s->hosts, hash, name, struct host, h, name);
}

static struct host *host_of(struct sc_sched *s, const struct sc_job *job) {
  return sc_sched_host_find(s, job->host, sc_hash_str(0, job->host));
}

static struct host *host_get(struct sc_sched *s, const char *name, int lane) {
  uint64_t hash = sc_hash_str(0, name);
  struct host *h = sc_sched_host_find(s, name, hash);
  if (h) return h;
  h = sc_xcalloc(1, sizeof *h);
  h->name = sc_xstrdup(name);
  h->heap_at = -1;
  sc_link_init(&h->queue);
  sc_link_init(&h->ready);
  h->h.hash = hash;
  h->repeat = sc_lanes_seen(s, hash);
  h->lane = sc_lanes_pick(s, h, lane);
  sc_ht_add(&s->hosts, &h->h);
  return h;
}

/* Forgets h if nothing about it matters any more. */
static void host_maybe_free(struct sc_sched *s, struct host *h, double now) {
  if (h->inflight || h->nq || h->on_ready || h->heap_at >= 0 ||
      h->next_ok > now)
    return;
  sc_ht_del(&s->hosts, &h->h);
  free(h->name);
  free(h);
}

/* Frees every host that is idle and past its rate pause. With
 * --host-rate a host outlives its last check by its pause; this sweep,
 * run every few thousand takes, keeps such hosts from piling up. */
static void sweep(struct sc_sched *s, double now) {
  for (size_t i = 0; i <= s->hosts.mask; i++)
    for (struct sc_hnode *n = s->hosts.b[i], *next; n; n = next) {
      next = n->next;
      host_maybe_free(s, (struct host *)n, now);
    }
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

static int has_room(const struct sc_sched *s, const struct host *h) {
  return !s->per_host || h->inflight < s->per_host;
}

/* Puts a host with waiting jobs where it belongs: ready in its lane,
 * asleep, or nowhere (full: sc_sched_done brings it back). */
static void place(struct sc_sched *s, struct host *h, double now) {
  if (!h->nq || h->on_ready || h->heap_at >= 0 || !has_room(s, h)) return;
  if (h->next_ok > now)
    heap_push(s, h);
  else
    sc_lanes_ready(s, h, now);
}

/* Queues q on h, last or (a job given back) first, and counts it as
 * waiting, in its lane and ready there if h is. */
static void enqueue(struct sc_sched *s, struct host *h, struct qjob *q,
                    int first) {
  if (first)
    sc_link_add_head(&h->queue, &q->link);
  else
    sc_link_add_tail(&h->queue, &q->link);
  h->nq++;
  s->waiting++;
  s->lanes[h->lane].waiting++;
  if (h->on_ready) s->lanes[h->lane].ready_jobs++;
}

/* Starts job on host h: its slot and its turns under --host-rate and
 * --rate (remembered so that sc_sched_return can give them back). */
static void start(struct sc_sched *s, struct host *h, struct sc_job *job,
                  double now) {
  h->inflight++;
  s->lanes[h->lane].inflight++;
  sc_lanes_started(s, h, job);
  s->last_line = job->lineno;
  s->undo_next_ok = s->next_ok;
  h->last_line = job->lineno;
  h->undo_next_ok = h->next_ok;
  if (s->host_gap > 0) h->next_ok = now + s->host_gap;
  if (s->gap > 0) s->next_ok = (s->next_ok > now ? s->next_ok : now) + s->gap;
}

int sc_sched_take_ready(struct sc_sched *s, int i, int stolen,
                        struct sc_job *job, double now) {
  struct host *h = sc_lanes_pop(s, i);
  if (!h) return 0;
  struct qjob *q = SC_CONTAINER(sc_link_first(&h->queue), struct qjob, link);
  sc_link_del(&q->link);
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

struct sc_sched *sc_sched_new(const struct sc_opts *o, struct sc_source *src,
                              const long *slots_per_lane, int lanes,
                              void (*complete)(void *arg, struct sc_job *job),
                              void *arg) {
  struct sc_sched *s = sc_xcalloc(1, sizeof *s);
  long concurrency = 0;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->changed, NULL);
  s->source = src;
  s->input_blocks = src && src->blocks;
  s->complete = complete;
  s->complete_arg = arg;
  s->per_host = o->per_host;
  s->gap = o->rate > 0 ? 1000.0 / o->rate : 0;
  s->host_gap = o->host_rate > 0 ? 1000.0 / o->host_rate : 0;
  s->nlanes = lanes > 1 ? lanes : 1;
  for (int i = 0; i < s->nlanes; i++) concurrency += slots_per_lane[i];
  s->max_waiting = concurrency * 4 > 4096 ? concurrency * 4 : 4096;
  s->several = concurrency > 1;
  sc_lanes_init(s, slots_per_lane);
  sc_ht_init(&s->hosts);
  return s;
}

void sc_sched_free(struct sc_sched *s) {
  for (size_t i = 0; i <= s->hosts.mask; i++)
    for (struct sc_hnode *n = s->hosts.b[i], *next; n; n = next) {
      struct host *h = (struct host *)n;
      next = n->next;
      for (struct sc_link *l = h->queue.next, *ln; l != &h->queue; l = ln) {
        struct qjob *q = SC_CONTAINER(l, struct qjob, link);
        ln = l->next;
        sc_job_clear(&q->job);
        free(q);
      }
      free(h->name);
      free(h);
    }
  sc_ht_free(&s->hosts);
  free(s->heap);
  sc_lanes_free(s);
  pthread_cond_destroy(&s->changed);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* What one job read from the source came to (intake). */
enum intake {
  INTAKE_STARTED, /* a job of the taker's lane, started into *job */
  INTAKE_QUEUED,  /* queued on its host, or a decided job put aside */
  INTAKE_BEHIND,  /* queued for another lane, which fell behind */
  INTAKE_PENDING, /* the source has nothing ready yet */
  INTAKE_DONE,    /* the source is done */
  INTAKE_HAND_OUT /* decided jobs to hand out before reading on */
};

/* Reads one job from the source, for a taker of lane. A decided job goes
 * to *d: it needs no host, no slot and no turn. It is handed out when the
 * take ends, or before (HAND_OUT) when d is full or the source would have
 * to wait for its next line: a blocking source is let wait only while d is
 * empty, so that no record is held back by a slow producer. A job of the
 * taker's lane whose host may start it now starts; any other is queued on
 * its host. A blocking source may wait here for input, with s->reading set
 * while it may (see sc_sched_keep_connection). */
static enum intake intake(struct sc_sched *s, int lane, struct sc_job *job,
                          double now, struct decided *d) {
  int may_wait = d->n == 0, reading = s->input_blocks && may_wait;
  if (reading) atomic_store(&s->reading, 1);
  int got = s->source->next(s->source, job, may_wait);
  if (reading) atomic_store(&s->reading, 0);
  if (got < 0)
    return d->n && s->input_blocks ? INTAKE_HAND_OUT : INTAKE_PENDING;
  if (got == 0) {
    s->source_done = 1;
    return INTAKE_DONE;
  }
  if (!job->url) {
    d->jobs[d->n++] = *job;
    memset(job, 0, sizeof *job);
    return d->n == DECIDED_MAX ? INTAKE_HAND_OUT : INTAKE_QUEUED;
  }
  struct host *h = host_get(s, job->host, lane);
  if (h->lane == lane && !h->nq && has_room(s, h) && h->next_ok <= now) {
    start(s, h, job, now);
    return INTAKE_STARTED;
  }
  struct qjob *q = sc_xmalloc(sizeof *q);
  q->job = *job;
  memset(job, 0, sizeof *job);
  enqueue(s, h, q, 0);
  place(s, h, now);
  /* Read no further ahead for another lane that fell behind: its jobs
   * are taken by stealing (lanes.c). */
  return h->lane != lane && sc_lanes_behind(s, h->lane) ? INTAKE_BEHIND
                                                        : INTAKE_QUEUED;
}

/* Step: --rate's next start is not due yet. Sets *wait_ms. */
static int rate_pause(const struct sc_sched *s, double now, long *wait_ms) {
  if (s->gap <= 0 || s->next_ok <= now) return 0;
  *wait_ms = (long)(s->next_ok - now) + 1;
  return 1;
}

/* Step: hosts whose --host-rate pause is over go back to their lanes. */
static void wake_sleepers(struct sc_sched *s, double now) {
  while (s->nheap && s->heap[0]->next_ok <= now) place(s, heap_pop(s), now);
}

/* Step: the first ready job of the taker's own lane; while there is
 * none, reads on in the source (queueing other lanes' jobs) as far as the
 * read-ahead bound lets it. Returns 1 with *job, TAKE_AGAIN for decided
 * jobs to hand out, or 0, with *pending set if the source had nothing
 * ready. */
static int take_own(struct sc_sched *s, int lane, struct sc_job *job,
                    double now, struct decided *d, int *pending) {
  int behind = 0;
  for (;;) {
    if (sc_sched_take_ready(s, lane, 0, job, now)) return 1;
    if (s->source_done || s->waiting >= s->max_waiting || behind) return 0;
    switch (intake(s, lane, job, now, d)) {
      case INTAKE_STARTED:
        return 1;
      case INTAKE_PENDING:
        *pending = 1;
        return 0;
      case INTAKE_HAND_OUT:
        return TAKE_AGAIN;
      case INTAKE_BEHIND:
        behind = 1;
        break;
      case INTAKE_QUEUED:
      case INTAKE_DONE:
        break;
    }
  }
}

/* Step: how long a taker that found nothing waits before it looks again:
 * until the first job another lane may give up (due, or -1), or the first
 * host pause ends; while the source has a line on its way, at most
 * INPUT_POLL_MS, or as long as the source says it has nothing (idle_ms);
 * -1 (until a check finishes or the lane's wake) otherwise. */
static long wait_for(const struct sc_sched *s, double due, double now,
                     int pending) {
  long wait = -1;
  if (s->nheap && (due < 0 || s->heap[0]->next_ok < due))
    due = s->heap[0]->next_ok;
  if (due >= 0) {
    double w = due - now;
    wait = w < 1 ? 1 : (long)w + 1;
  }
  if (pending) {
    long idle =
        s->source->idle_ms ? s->source->idle_ms(s->source) : INPUT_POLL_MS;
    if (idle < 1) idle = 1;
    if (wait < 0 || wait > idle) wait = idle;
  }
  return wait;
}

/* sc_sched_take with the lock held, decided jobs put into *d. Returns as
 * sc_sched_take does, or TAKE_AGAIN. */
static int take_locked(struct sc_sched *s, int lane, struct sc_job *job,
                       long *wait_ms, struct decided *d) {
  double now = sc_now_ms(), due = -1;
  int pending = 0;
  *wait_ms = -1;
  if (atomic_load(&sc_stop)) return -1;
  if (s->host_gap > 0 && ++s->takes % 4096 == 0) sweep(s, now);
  if (rate_pause(s, now, wait_ms)) return 0;
  wake_sleepers(s, now);
  int r = take_own(s, lane, job, now, d, &pending);
  if (r != 0) return r;
  if (sc_lanes_steal(s, lane, job, now, &due)) return 1;
  *wait_ms = wait_for(s, due, now, pending);
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
    if (s->source_done && s->waiting == 0) sc_lanes_wake_others(s, lane);
    pthread_mutex_unlock(&s->lock);
    hand_out(s, &d);
  } while (r == TAKE_AGAIN);
  return r;
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
  struct host *h = host_of(s, job);
  h->inflight--;
  s->lanes[h->lane].inflight--;
  /* With no start since this one (overall, on its host), its turn under
   * --rate (--host-rate) can be given back. */
  if (job->lineno == s->last_line) s->next_ok = s->undo_next_ok;
  if (job->lineno == h->last_line) {
    h->next_ok = h->undo_next_ok;
    if (h->heap_at >= 0) heap_up(s, h->heap_at);
  }
  struct qjob *q = sc_xmalloc(sizeof *q);
  q->job = *job;
  memset(job, 0, sizeof *job);
  enqueue(s, h, q, 1);
  place(s, h, sc_now_ms());
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

void sc_sched_done(struct sc_sched *s, const struct sc_job *job) {
  pthread_mutex_lock(&s->lock);
  struct host *h = host_of(s, job);
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

int sc_sched_stats(struct sc_sched *s, struct sc_sched_stats *st) {
  /* Never wait out a taker that reads a slow pipe under the lock: other
   * holders (and a taker reading a file) let go within a few ms. */
  for (;;) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 5 * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    if (pthread_mutex_timedlock(&s->lock, &ts) == 0) break;
    if (atomic_load(&s->reading)) return -1;
  }
  memset(st, 0, sizeof *st);
  for (int i = 0; i < s->nlanes; i++) {
    st->running += s->lanes[i].inflight;
    st->ready += s->lanes[i].ready_jobs;
  }
  for (long i = 0; i < s->nheap; i++) st->host_rate += s->heap[i]->nq;
  st->waiting = s->waiting;
  /* A host with waiting jobs is ready, asleep or full (scheduler_int.h). */
  st->per_host = st->waiting - st->ready - st->host_rate;
  if (st->per_host < 0) st->per_host = 0;
  st->rate_pause = s->gap > 0 && s->next_ok > sc_now_ms();
  pthread_mutex_unlock(&s->lock);
  return 0;
}

void sc_sched_input_ready(struct sc_sched *s) {
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->nlanes; i++) sc_lanes_wake_if_hungry(&s->lanes[i]);
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

long sc_sched_waiting(struct sc_sched *s) {
  pthread_mutex_lock(&s->lock);
  long n = s->waiting;
  pthread_mutex_unlock(&s->lock);
  return n;
}
