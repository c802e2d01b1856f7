/* scheduler.c - see scheduler.h.
 *
 * Hosts live in a hash table only while they have checks in flight, jobs
 * waiting, or a --host-rate pause to honour, so a million distinct hosts
 * cost nothing once checked. A host with waiting jobs is either on the
 * ready list (may start one now) or in the sleep heap (rate pause), or
 * full (waits for sc_sched_done). */
#include "scheduler.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
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
  struct host *rnext; /* ready list */
  int on_ready;
  long heap_at; /* index in the sleep heap, -1 if not there */
};

struct sc_sched {
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a check finished: blocked takers look again */
  struct sc_feed *feed;
  struct sc_sink *sink;
  long per_host;        /* 0 = unlimited */
  double host_gap, gap; /* ms between starts per host / overall, or 0 */
  double next_ok;       /* --rate: earliest next start */
  double undo_next_ok;  /* next_ok before the last start */
  uint64_t last_line;   /* the job of the last start, by input line */
  long waiting, max_waiting;
  int several;         /* more than one check may run at once */
  uint64_t *seen;      /* hashes of hosts started, by hash: see SEEN_SLOTS */
  unsigned long takes; /* for the periodic sweep of idle hosts */
  int feed_done;
  struct htab hosts;
  struct host *ready_head, *ready_tail;
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
 * worth keeping (sc_sched_company). 64 Ki slots, 512 KiB: a host is still
 * remembered after 1,000 other hosts' starts with 98.5% chance. */
#define SEEN_SLOTS 65536

static struct host *host_get(struct sc_sched *s, const char *name) {
  uint64_t hash = sc_hash_str(0, name);
  struct host *h = host_find(s, name, hash);
  if (h) return h;
  h = sc_xcalloc(1, sizeof *h);
  h->name = sc_xstrdup(name);
  h->heap_at = -1;
  h->h.hash = hash;
  h->repeat = s->seen[hash & (SEEN_SLOTS - 1)] == (hash | 1);
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

/* Puts a host with waiting jobs where it belongs: ready, asleep, or
 * nowhere (full: sc_sched_done brings it back). */
static void place(struct sc_sched *s, struct host *h, double now) {
  if (!h->qhead || h->on_ready || h->heap_at >= 0 || !has_room(s, h)) return;
  if (h->next_ok > now) {
    heap_push(s, h);
    return;
  }
  h->on_ready = 1;
  h->rnext = NULL;
  if (s->ready_tail)
    s->ready_tail->rnext = h;
  else
    s->ready_head = h;
  s->ready_tail = h;
}

/* Starts job on host h. A job whose host has no other check in flight or
 * waiting and was not seen before, while several run at once, is marked
 * alone: it connects afresh, as no kept connection can be there for it,
 * and libcurl's search for one would cost (check.c). Whether it keeps its
 * connection is asked at its head (sc_sched_company): 10,000 distinct
 * names at -c 1000 took 3.5 s with each connection closed there, 7 s with
 * them kept. */
static void start(struct sc_sched *s, struct host *h, struct sc_job *job,
                  double now) {
  h->inflight++;
  job->alone = s->several && h->inflight == 1 && !h->qhead && !h->repeat;
  uint64_t *seen = &s->seen[h->h.hash & (SEEN_SLOTS - 1)];
  if (*seen == (h->h.hash | 1)) h->repeat = 1; /* a start before this one */
  *seen = h->h.hash | 1;
  s->last_line = job->lineno;
  s->undo_next_ok = s->next_ok;
  h->last_line = job->lineno;
  h->undo_next_ok = h->next_ok;
  if (s->host_gap > 0) h->next_ok = now + s->host_gap;
  if (s->gap > 0) s->next_ok = (s->next_ok > now ? s->next_ok : now) + s->gap;
}

struct sc_sched *sc_sched_new(const struct sc_opts *o, struct sc_feed *f,
                              struct sc_sink *sink, long concurrency) {
  struct sc_sched *s = sc_xcalloc(1, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->changed, NULL);
  s->feed = f;
  s->sink = sink;
  s->per_host = o->per_host;
  s->gap = o->rate > 0 ? 1000.0 / o->rate : 0;
  s->host_gap = o->host_rate > 0 ? 1000.0 / o->host_rate : 0;
  s->max_waiting = concurrency * 4 > 4096 ? concurrency * 4 : 4096;
  s->several = concurrency > 1;
  s->seen = sc_xcalloc(SEEN_SLOTS, sizeof *s->seen);
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
  pthread_cond_destroy(&s->changed);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* sc_sched_take with the lock held. */
/* How often a non-blocking taker looks again while the input has nothing
 * yet (a slow pipe): short enough to add no visible delay per line. */
#define INPUT_POLL_MS 2

static int take_locked(struct sc_sched *s, struct sc_job *job, long *wait_ms) {
  double now = sc_now_ms();
  int input_pending = 0;
  *wait_ms = -1;
  if (atomic_load(&sc_stop)) return -1;
  if (s->host_gap > 0 && ++s->takes % 4096 == 0) sweep(s, now);
  if (s->gap > 0 && s->next_ok > now) {
    *wait_ms = (long)(s->next_ok - now) + 1;
    return 0;
  }
  while (s->nheap && s->heap[0]->next_ok <= now) place(s, heap_pop(s), now);
  for (;;) {
    struct host *h = s->ready_head;
    if (h) {
      s->ready_head = h->rnext;
      if (!s->ready_head) s->ready_tail = NULL;
      h->on_ready = 0;
      struct qjob *q = h->qhead;
      h->qhead = q->next;
      if (!h->qhead) h->qtail = NULL;
      *job = q->job;
      free(q);
      s->waiting--;
      start(s, h, job, now);
      place(s, h, now);
      return 1;
    }
    if (s->feed_done || s->waiting >= s->max_waiting) break;
    /* Without a reader thread this waits for a line (the lock keeps the
     * order); with one, a taker finding none ready looks again soon. */
    int got = sc_feed_next(s->feed, s->sink, job);
    if (got < 0) {
      input_pending = 1;
      break;
    }
    if (got == 0) {
      s->feed_done = 1;
      break;
    }
    h = host_get(s, job->host);
    if (!h->qhead && has_room(s, h) && h->next_ok <= now) {
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
    s->waiting++;
    place(s, h, now);
  }
  if (s->nheap) {
    double w = s->heap[0]->next_ok - now;
    *wait_ms = w < 1 ? 1 : (long)w + 1;
  }
  if (input_pending && (*wait_ms < 0 || *wait_ms > INPUT_POLL_MS))
    *wait_ms = INPUT_POLL_MS;
  return s->feed_done && s->waiting == 0 ? -1 : 0;
}

int sc_sched_take(struct sc_sched *s, struct sc_job *job, long *wait_ms) {
  pthread_mutex_lock(&s->lock);
  int r = take_locked(s, job, wait_ms);
  pthread_mutex_unlock(&s->lock);
  return r;
}

int sc_sched_take_wait(struct sc_sched *s, struct sc_job *job) {
  long wait;
  int r;
  pthread_mutex_lock(&s->lock);
  while ((r = take_locked(s, job, &wait)) == 0) {
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
  return r;
}

void sc_sched_return(struct sc_sched *s, struct sc_job *job) {
  pthread_mutex_lock(&s->lock);
  struct host *h = host_find(s, job->host, sc_hash_str(0, job->host));
  h->inflight--;
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
  s->waiting++;
  place(s, h, sc_now_ms());
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

int sc_sched_company(struct sc_sched *s, const struct sc_job *job) {
  if (!s->several) return 1;
  /* Never wait here: a blocking model's taker holds the lock while it
   * waits for the next input line, which a slow producer may take seconds
   * to send; this check's time would include that. */
  if (pthread_mutex_trylock(&s->lock) != 0) return !job->alone;
  struct host *h = host_find(s, job->host, sc_hash_str(0, job->host));
  int r = h && (h->inflight > 1 || h->qhead || (h->repeat && !s->feed_done));
  pthread_mutex_unlock(&s->lock);
  return r;
}

void sc_sched_done(struct sc_sched *s, const struct sc_job *job) {
  pthread_mutex_lock(&s->lock);
  struct host *h = host_find(s, job->host, sc_hash_str(0, job->host));
  if (h) {
    double now = sc_now_ms();
    h->inflight--;
    place(s, h, now);
    host_maybe_free(s, h, now);
  }
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}
