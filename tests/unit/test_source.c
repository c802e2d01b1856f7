/* test_source.c - job sources: decided jobs passing through the
 * scheduler, and the --dedup source. Both run over a source that hands
 * out a fixed list of lines, validated as the feed validates them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup.h"
#include "feed.h"
#include "job.h"
#include "opts.h"
#include "result.h"
#include "scheduler.h"
#include "scheduler_int.h" /* the lock, to see it is not held */
#include "source.h"
#include "url.h"
#include "util.h"
#include "unit.h"

/* A source over n lines: a checkable URL becomes a job to check, anything
 * else a decided job (its class and reason from url.c). A NULL item is a
 * pause in the input: asked not to wait, the source says "nothing ready
 * yet" there; asked to wait, it waits (counted) and goes on. */
struct list_source {
  struct sc_source src;
  const char *const *items;
  int n, next;
  int waits;
  int closed;
};

static int list_next(struct sc_source *src, struct sc_job *job, int wait) {
  struct list_source *l = (struct list_source *)src;
  memset(job, 0, sizeof *job);
  if (l->next < l->n && !l->items[l->next]) {
    if (!wait) return -1;
    l->waits++;
    l->next++;
  }
  if (l->next == l->n) return 0;
  const char *it = l->items[l->next++];
  struct sc_url u;
  job->line = sc_xstrdup(it);
  job->len = strlen(it);
  job->lineno = (uint64_t)l->next;
  job->cls = (int16_t)sc_url_normalize(job->line, job->len, 0, &u, &job->why);
  if (job->cls == SC_OK) {
    job->url = u.url;
    job->host = u.host;
    job->port = u.port;
    job->ip_literal = u.ip_literal;
  }
  return 1;
}

static uint64_t list_taken(struct sc_source *src) {
  return (uint64_t)((struct list_source *)src)->next;
}

static int list_eof(struct sc_source *src) {
  struct list_source *l = (struct list_source *)src;
  return l->next == l->n;
}

static int list_close(struct sc_source *src) {
  ((struct list_source *)src)->closed = 1;
  return 0;
}

static void list_init(struct list_source *l, const char *const *items, int n,
                      int blocks) {
  memset(l, 0, sizeof *l);
  l->src = (struct sc_source){.next = list_next,
                              .taken = list_taken,
                              .eof = list_eof,
                              .close = list_close,
                              .blocks = blocks};
  l->items = items;
  l->n = n;
}

/* What the scheduler's complete function was given. */
struct handed {
  struct sc_sched *s;
  struct list_source *src;
  int n;
  uint64_t lines[64];
  int32_t cls[64];
  int read_by[64]; /* items the source had handed out at the call */
  int waits[64];   /* times the source had waited at the call */
  int under_lock;  /* calls made with the scheduler's lock held */
  int not_decided; /* calls with a job to check */
};

static void collect(void *arg, struct sc_job *job) {
  struct handed *h = arg;
  if (pthread_mutex_trylock(&h->s->lock) != 0)
    h->under_lock++;
  else
    pthread_mutex_unlock(&h->s->lock);
  if (job->url) h->not_decided++;
  if (h->n < 64) {
    h->lines[h->n] = job->lineno;
    h->cls[h->n] = job->cls;
    h->read_by[h->n] = h->src->next;
    h->waits[h->n] = h->src->waits;
  }
  h->n++;
}

static struct sc_opts opts_of(const char *a1, const char *a2) {
  struct sc_opts o;
  char *argv[] = {"sitecheck", "-m", "thread", "-q", (char *)a1, (char *)a2};
  if (sc_opts_parse(&o, a1 ? (a2 ? 6 : 5) : 4, argv) != 0) abort();
  return o;
}

static const long slots_4[] = {4};

#define A "http://a.unit-sitecheck.org/"
#define B "http://b.unit-sitecheck.org/"

static const char *const mixed[] = {
    A "1", "not a url", A "2", "http://x.invalid/", "ftp://b.example/", B "1"};

/* Decided jobs take no host slot and no turn under --rate: they are
 * handed to complete, in input order, with the lock released, by the take
 * that read them; takers only ever get jobs to check. */
TEST(sched_decided_jobs_take_no_slot_or_turn) {
  struct sc_opts o = opts_of("--per-host", "1");
  o.rate = 5; /* a start every 200 ms */
  struct list_source l;
  list_init(&l, mixed, 6, 0);
  struct handed h = {.src = &l};
  struct sc_sched *s = sc_sched_new(&o, &l.src, slots_4, 1, collect, &h);
  h.s = s;
  struct sc_job a1, b1, x;
  long wait;
  EXPECT(sc_sched_take(s, 0, &a1, &wait) == 1 && a1.lineno == 1);
  EXPECT_EQ(h.n, 0);
  EXPECT(sc_sched_take(s, 0, &x, &wait) == 0 && wait > 100);
  EXPECT_EQ(l.next, 1); /* --rate holds the reading too */
  usleep(250 * 1000);
  /* a/2 waits for a's one slot; the three decided lines do not, and take
   * no turn: b/1 starts in the same take. */
  EXPECT(sc_sched_take(s, 0, &b1, &wait) == 1 && b1.lineno == 6);
  EXPECT_EQ(h.n, 3);
  EXPECT_EQ(h.lines[0], 2);
  EXPECT_EQ(h.lines[1], 4);
  EXPECT_EQ(h.lines[2], 5);
  EXPECT_EQ(h.cls[0], SC_INVALID_URL);
  EXPECT_EQ(h.cls[1], SC_DNS);
  EXPECT_EQ(h.cls[2], SC_INVALID_URL);
  EXPECT_EQ(h.read_by[0], 6); /* read on, handed out at the take's end */
  EXPECT_EQ(h.under_lock, 0);
  EXPECT_EQ(h.not_decided, 0);
  sc_sched_done(s, &a1);
  sc_sched_done(s, &b1);
  sc_job_clear(&a1);
  sc_job_clear(&b1);
  sc_sched_free(s);
  sc_opts_free(&o);
}

/* With a source that may block, the decided jobs read so far are handed
 * out before it is let wait for its next line (so a slow producer holds
 * no record back), and not before (sc_sched_take_wait too); the last ones
 * go out with the end of the input. */
TEST(sched_decided_jobs_from_a_blocking_source) {
  static const char *const paused[] = {A "1", "not a url", "http://x.invalid/",
                                       NULL,  A "2",       "ftp://b.example/",
                                       B "1"};
  struct sc_opts o = opts_of("--per-host", "1");
  struct list_source l;
  list_init(&l, paused, 7, 1);
  struct handed h = {.src = &l};
  struct sc_sched *s = sc_sched_new(&o, &l.src, slots_4, 1, collect, &h);
  h.s = s;
  struct sc_job a1, b1, x;
  EXPECT(sc_sched_take_wait(s, &a1) == 1 && a1.lineno == 1);
  EXPECT(sc_sched_take_wait(s, &b1) == 1 && b1.lineno == 7);
  EXPECT_EQ(h.n, 3);
  EXPECT_EQ(h.lines[0], 2);
  EXPECT_EQ(h.lines[1], 3);
  EXPECT_EQ(h.lines[2], 6);
  EXPECT(h.waits[0] == 0 && h.waits[1] == 0);     /* out before the pause */
  EXPECT(h.read_by[0] == 3 && h.read_by[1] == 3); /* not one by one */
  EXPECT(h.waits[2] == 1 && h.read_by[2] == 7);
  EXPECT_EQ(l.waits, 1);
  EXPECT_EQ(h.under_lock, 0);
  sc_sched_done(s, &a1);
  sc_job_clear(&a1);
  EXPECT(sc_sched_take_wait(s, &a1) == 1 && a1.lineno == 5);
  sc_sched_done(s, &a1);
  sc_sched_done(s, &b1);
  sc_job_clear(&a1);
  sc_job_clear(&b1);
  EXPECT(sc_sched_take_wait(s, &x) == -1);
  sc_sched_free(s);
  sc_opts_free(&o);

  /* The same through sc_sched_take (the process model's parent). */
  list_init(&l, paused, 7, 1);
  o = opts_of("--per-host", "1");
  h = (struct handed){.src = &l};
  s = sc_sched_new(&o, &l.src, slots_4, 1, collect, &h);
  h.s = s;
  long wait;
  EXPECT(sc_sched_take(s, 0, &a1, &wait) == 1 && a1.lineno == 1);
  EXPECT(sc_sched_take(s, 0, &b1, &wait) == 1 && b1.lineno == 7);
  EXPECT(h.n == 3 && h.waits[1] == 0 && h.read_by[1] == 3);
  EXPECT_EQ(h.under_lock, 0);
  sc_sched_done(s, &a1);
  sc_sched_done(s, &b1);
  sc_job_clear(&a1);
  sc_job_clear(&b1);
  sc_sched_free(s);
  sc_opts_free(&o);

  static const char *const tail[] = {A "1", "bad one", "bad two"};
  o = opts_of(NULL, NULL);
  list_init(&l, tail, 3, 0);
  h = (struct handed){.src = &l};
  s = sc_sched_new(&o, &l.src, slots_4, 1, collect, &h);
  h.s = s;
  EXPECT(sc_sched_take(s, 0, &a1, &wait) == 1);
  EXPECT(sc_sched_take(s, 0, &x, &wait) == -1);
  EXPECT_EQ(h.n, 2);
  sc_sched_done(s, &a1);
  sc_job_clear(&a1);
  sc_sched_free(s);
  sc_opts_free(&o);
}

/* Many decided lines in a row: a take hands them out in batches and reads
 * on until it has a job to give. */
TEST(sched_decided_jobs_in_bulk) {
  static const char *items[101];
  for (int i = 0; i < 100; i++) items[i] = "not a url";
  items[100] = A "1";
  struct sc_opts o = opts_of(NULL, NULL);
  struct list_source l;
  list_init(&l, items, 101, 0);
  struct handed h = {.src = &l};
  struct sc_sched *s = sc_sched_new(&o, &l.src, slots_4, 1, collect, &h);
  h.s = s;
  struct sc_job j;
  long wait;
  EXPECT(sc_sched_take(s, 0, &j, &wait) == 1 && j.lineno == 101);
  EXPECT_EQ(h.n, 100);
  int in_order = 1;
  for (int i = 0; i < 64; i++) in_order &= h.lines[i] == (uint64_t)i + 1;
  EXPECT(in_order);
  EXPECT_EQ(h.under_lock, 0);
  sc_sched_done(s, &j);
  sc_job_clear(&j);
  sc_sched_free(s);
  sc_opts_free(&o);
}

/* What dedup's emit was given. */
struct emitted {
  int n;
  uint64_t lines[8], dup_of[8];
  int32_t status[8], cls[8];
  char why[8][64];
  int with_url;
};

static void record_repeat(void *arg, struct sc_job *job) {
  struct emitted *e = arg;
  if (job->url) e->with_url++;
  if (e->n < 8) {
    e->lines[e->n] = job->lineno;
    e->dup_of[e->n] = job->duplicate_of;
    e->status[e->n] = job->status;
    e->cls[e->n] = job->cls;
    snprintf(e->why[e->n], sizeof e->why[0], "%s", job->why ? job->why : "");
  }
  e->n++;
}

/* A result for job: status or class, and a detail. */
static struct sc_result answer(const struct sc_job *job, int status,
                               enum sc_class cls, const char *detail) {
  struct sc_result r;
  sc_result_for_job(&r, job);
  r.a.status = status;
  r.a.cls = cls;
  snprintf(r.a.detail, sizeof r.a.detail, "%s", detail);
  return r;
}

/* --dedup at intake: a first occurrence passes, a repeat of a URL in
 * flight is parked until the first is answered, a repeat of an answered
 * URL comes out decided with that answer; decided lines pass untouched. */
TEST(dedup_source) {
  static const char *const items[] = {A "1",       B "1", A "1", A "1",
                                      "not a url", B "1", A "1"};
  struct list_source l;
  list_init(&l, items, 7, 1);
  struct sc_dedup *d = sc_dedup_new(&l.src);
  struct sc_source *src = sc_dedup_source(d);
  EXPECT_EQ(src->blocks, 1);
  struct sc_job a1, b1, j;
  struct emitted e = {0};
  EXPECT(src->next(src, &a1, 1) == 1 && a1.lineno == 1 && a1.url);
  EXPECT(src->next(src, &b1, 1) == 1 && b1.lineno == 2 && b1.url);
  /* Lines 3 and 4 repeat a/1, still in flight: parked. */
  EXPECT(src->next(src, &j, 1) == 1 && j.lineno == 5 && !j.url);
  EXPECT_EQ(j.cls, SC_INVALID_URL);
  EXPECT_EQ(j.duplicate_of, 0);
  sc_job_clear(&j);
  EXPECT_EQ(src->taken(src), 5);

  struct sc_result r = answer(&a1, 404, SC_OK, "");
  sc_dedup_answer(d, &a1, &r, record_repeat, &e);
  EXPECT_EQ(e.n, 2);
  EXPECT(e.lines[0] + e.lines[1] == 7 && e.lines[0] != e.lines[1]);
  EXPECT(e.dup_of[0] == 1 && e.dup_of[1] == 1);
  EXPECT(e.status[0] == 404 && e.status[1] == 404);
  EXPECT(e.cls[0] == SC_OK && e.why[0][0] == '\0');
  EXPECT_EQ(e.with_url, 0);
  sc_dedup_answer(d, &a1, &r, record_repeat, &e); /* once per URL */
  EXPECT_EQ(e.n, 2);

  /* Line 6 repeats b/1, in flight: parked; line 7 repeats a/1, answered:
   * decided at once. */
  EXPECT(src->next(src, &j, 1) == 1 && j.lineno == 7 && !j.url && !j.host);
  EXPECT(j.duplicate_of == 1 && j.status == 404 && j.cls == SC_OK);
  struct sc_result jr;
  sc_result_decided(&jr, &j);
  EXPECT(jr.duplicate_of == 1 && jr.a.status == 404 && jr.a.attempts == 0);
  EXPECT(jr.check_url == NULL && jr.line == 7);
  sc_job_clear(&j);
  EXPECT(src->next(src, &j, 1) == 0);
  EXPECT(src->eof(src));

  r = answer(&b1, 0, SC_TIMEOUT, "timed out");
  e = (struct emitted){0};
  sc_dedup_answer(d, &b1, &r, record_repeat, &e);
  EXPECT_EQ(e.n, 1);
  EXPECT(e.lines[0] == 6 && e.dup_of[0] == 2 && e.cls[0] == SC_TIMEOUT);
  EXPECT_STR(e.why[0], "timed out");

  sc_job_clear(&a1);
  sc_job_clear(&b1);
  EXPECT(src->close(src) == 0);
  EXPECT(l.closed);
}

/* Repeats still parked when the run ends (their first abandoned) are
 * freed with the source, unanswered. */
TEST(dedup_parked_at_close) {
  static const char *const items[] = {A "1", A "1", A "1"};
  struct list_source l;
  list_init(&l, items, 3, 0);
  struct sc_dedup *d = sc_dedup_new(&l.src);
  struct sc_source *src = sc_dedup_source(d);
  struct sc_job a1, j;
  EXPECT(src->next(src, &a1, 1) == 1 && a1.lineno == 1);
  EXPECT(src->next(src, &j, 1) == 0);
  EXPECT_EQ(src->taken(src), 3);
  sc_job_clear(&a1);
  EXPECT(src->close(src) == 0 && l.closed);
}

/* The line-file feed without a reader thread (blocking models), on a
 * pipe: asked not to wait, it says "nothing ready yet" where it would
 * wait, and keeps its place, even inside a line. */
TEST(feed_without_waiting) {
  int p[2];
  if (pipe(p) != 0) abort();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  char *argv[] = {"sitecheck", "-m", "thread", "-q", path};
  struct sc_opts o;
  if (sc_opts_parse(&o, 5, argv) != 0) abort();
  struct sc_source *f = sc_feed_open(&o);
  EXPECT_EQ(f->blocks, 1);
  struct sc_job j;
  EXPECT_EQ(f->next(f, &j, 0), -1);
  if (write(p[1], "not a url\nhttp://a.unit-sitecheck.org/", 38) < 0) abort();
  EXPECT_EQ(f->next(f, &j, 0), 1);
  EXPECT(j.lineno == 1 && !j.url && j.cls == SC_INVALID_URL && j.why);
  sc_job_clear(&j);
  EXPECT_EQ(f->next(f, &j, 0), -1); /* half a line */
  if (write(p[1], "1\n", 2) < 0) abort();
  EXPECT_EQ(f->next(f, &j, 0), 1);
  EXPECT_EQ(j.lineno, 2);
  EXPECT_STR(j.url, "http://a.unit-sitecheck.org/1");
  sc_job_clear(&j);
  EXPECT_EQ(f->taken(f), 2);
  EXPECT(!f->eof(f));
  close(p[1]);
  EXPECT_EQ(f->next(f, &j, 1), 0);
  EXPECT(f->eof(f));
  EXPECT_EQ(f->close(f), 0);
  close(p[0]);
  sc_opts_free(&o);
}

/* A taker waiting on a slow pipe has handed out the invalid line it read
 * before it waits, so its record is not held back by the producer. */
struct waiting_taker {
  struct sc_sched *s;
  struct sc_job job;
  atomic_int r; /* -2 until sc_sched_take_wait returned */
};

static void *take_wait_main(void *arg) {
  struct waiting_taker *t = arg;
  atomic_store(&t->r, sc_sched_take_wait(t->s, &t->job));
  return NULL;
}

static atomic_int decided_seen;
static void count_decided(void *arg, struct sc_job *job) {
  (void)arg;
  if (!job->url) atomic_fetch_add(&decided_seen, 1);
}

TEST(sched_decided_before_a_slow_pipe) {
  int p[2];
  if (pipe(p) != 0) abort();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  char *argv[] = {"sitecheck", "-m", "thread", "-q", path};
  struct sc_opts o;
  if (sc_opts_parse(&o, 5, argv) != 0) abort();
  struct sc_source *f = sc_feed_open(&o);
  struct sc_sched *s = sc_sched_new(&o, f, slots_4, 1, count_decided, NULL);
  const char *lines = A "1\nnot a url\n";
  if (write(p[1], lines, strlen(lines)) < 0) abort();
  struct sc_job a1;
  EXPECT(sc_sched_take_wait(s, &a1) == 1 && a1.lineno == 1);
  struct waiting_taker t = {.s = s, .r = -2};
  pthread_t tid;
  pthread_create(&tid, NULL, take_wait_main, &t);
  for (int i = 0; i < 2000 && !atomic_load(&decided_seen); i++) usleep(1000);
  EXPECT_EQ(atomic_load(&decided_seen), 1);
  EXPECT_EQ(atomic_load(&t.r), -2); /* still waiting for line 3 */
  if (write(p[1], A "2\n", strlen(A "2\n")) < 0) abort();
  pthread_join(tid, NULL);
  EXPECT(atomic_load(&t.r) == 1 && t.job.lineno == 3);
  sc_sched_done(s, &a1);
  sc_sched_done(s, &t.job);
  sc_job_clear(&a1);
  sc_job_clear(&t.job);
  close(p[1]);
  sc_sched_free(s);
  f->close(f);
  close(p[0]);
  sc_opts_free(&o);
}
