/* dedup.c - see dedup.h. */
#include "dedup.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "util.h"

/* A repeat waiting for the first occurrence's answer: its line only. */
struct parked {
  char *line;
  size_t len;
  uint64_t lineno;
  const char *input; /* the job's, borrowed from the options */
  uint32_t input_no;
  struct parked *next;
};

/* What is known of one distinct URL. */
struct seen {
  struct sc_hnode h; /* in the table, by URL (first member) */
  char *url;
  uint64_t first_line;
  int done;
  int32_t status, cls;
  char *detail;          /* the first's, or NULL; lives until close */
  struct parked *parked; /* repeats waiting for the first's answer */
};

struct sc_dedup {
  struct sc_source src; /* first member: the wrapper source */
  struct sc_source *inner;
  pthread_mutex_t lock; /* guards the table */
  struct sc_htab seen;  /* one entry per distinct URL */
};

static struct seen *seen_find(struct sc_dedup *d, const char *url,
                              uint64_t hash) {
  return SC_HT_FIND_PTR(&d->seen, hash, url, struct seen, h, url);
}

/* Makes *job, a repeat of e's answered URL, the decided job that
 * carries e's answer. The URL and host it no longer needs are freed. */
static void decide_repeat(const struct seen *e, struct sc_job *job) {
  free(job->url);
  free(job->host);
  job->url = NULL;
  job->ip_literal = 0;
  job->cls = (int16_t)e->cls;
  job->status = (int16_t)e->status;
  job->why = e->detail;
  job->duplicate_of = e->first_line;
}

/* Looks a checkable job's URL up. Returns 1 to hand *job out (the first
 * occurrence, now remembered, or a repeat made decided), or 0 if it was
 * parked (the line moves into the table; *job is emptied). */
static int intake(struct sc_dedup *d, struct sc_job *job) {
  uint64_t hash = sc_hash_str(0, job->url);
  int out = 1;
  pthread_mutex_lock(&d->lock);
  struct seen *e = seen_find(d, job->url, hash);
  if (!e) {
    e = sc_xcalloc(1, sizeof *e);
    e->url = sc_xstrdup(job->url);
    e->first_line = job->lineno;
    e->h.hash = hash;
    sc_ht_add(&d->seen, &e->h);
  } else if (e->done) {
    decide_repeat(e, job);
  } else {
    struct parked *k = sc_xmalloc(sizeof *k);
    k->line = job->line;
    k->len = job->len;
    k->lineno = job->lineno;
    k->input = job->input;
    k->input_no = job->input_no;
    k->next = e->parked;
    e->parked = k;
    job->line = NULL;
    sc_job_clear(job);
    out = 0;
  }
  pthread_mutex_unlock(&d->lock);
  return out;
}

/* The source's next: inner's next job, unless it is a repeat to park. */
static int dedup_next(struct sc_source *src, struct sc_job *job, int wait) {
  struct sc_dedup *d = (struct sc_dedup *)src;
  for (;;) {
    int got = d->inner->next(d->inner, job, wait);
    if (got != 1 || !job->url || intake(d, job)) return got;
  }
}

static uint64_t dedup_taken(struct sc_source *src) {
  struct sc_dedup *d = (struct sc_dedup *)src;
  return d->inner->taken(d->inner);
}

static int dedup_eof(struct sc_source *src) {
  struct sc_dedup *d = (struct sc_dedup *)src;
  return d->inner->eof(d->inner);
}

static int dedup_close(struct sc_source *src) {
  struct sc_dedup *d = (struct sc_dedup *)src;
  int err = d->inner->close(d->inner);
  for (size_t i = 0; i <= d->seen.mask; i++)
    for (struct sc_hnode *n = d->seen.b[i], *next; n; n = next) {
      struct seen *e = (struct seen *)n;
      next = n->next;
      for (struct parked *k = e->parked, *kn; k; k = kn) {
        kn = k->next;
        free(k->line);
        free(k);
      }
      free(e->url);
      free(e->detail);
      free(e);
    }
  sc_ht_free(&d->seen);
  pthread_mutex_destroy(&d->lock);
  free(d);
  return err;
}

struct sc_dedup *sc_dedup_new(struct sc_source *inner) {
  struct sc_dedup *d = sc_xcalloc(1, sizeof *d);
  d->src.next = dedup_next;
  d->src.taken = dedup_taken;
  d->src.eof = dedup_eof;
  d->src.close = dedup_close;
  d->src.blocks = inner->blocks;
  d->inner = inner;
  pthread_mutex_init(&d->lock, NULL);
  sc_ht_init(&d->seen);
  return d;
}

struct sc_source *sc_dedup_source(struct sc_dedup *d) {
  return &d->src;
}

void sc_dedup_answer(struct sc_dedup *d, const struct sc_job *job,
                     const struct sc_result *r,
                     void (*emit)(void *arg, struct sc_job *repeat),
                     void *arg) {
  pthread_mutex_lock(&d->lock);
  struct seen *e = seen_find(d, job->url, sc_hash_str(0, job->url));
  if (!e || e->done) {
    pthread_mutex_unlock(&d->lock);
    return;
  }
  e->done = 1;
  e->status = r->a.status;
  e->cls = r->a.cls;
  if (r->a.detail[0]) e->detail = sc_xstrdup(r->a.detail);
  struct parked *k = e->parked;
  e->parked = NULL;
  pthread_mutex_unlock(&d->lock);
  /* e's answer no longer changes: the repeats read it without the lock. */
  while (k) {
    struct parked *next = k->next;
    struct sc_job repeat = {.line = k->line,
                            .len = k->len,
                            .lineno = k->lineno,
                            .input = k->input,
                            .input_no = k->input_no};
    decide_repeat(e, &repeat);
    emit(arg, &repeat);
    sc_job_clear(&repeat);
    free(k);
    k = next;
  }
}
