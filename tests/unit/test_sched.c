/* test_sched.c - the politeness scheduler over the line-file feed:
 * give-back, lanes, and the keep-the-connection answer under contention.
 * (Decided jobs and --dedup: test_source.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feed.h"
#include "job.h"
#include "opts.h"
#include "scheduler.h"
#include "util.h"
#include "unit.h"

/* The scheduler's complete function where no decided job is expected. */
static void no_decided(void *arg, struct sc_job *job) {
  (void)arg, (void)job;
  abort();
}

/* 4 checks in flight, split over 1 or 2 lanes as the run splits them. */
static const long slots_1[] = {4}, slots_2[] = {2, 2};

/* A scheduler over lines (held in a memfd) with the options args. */
struct sched_rig {
  struct sc_opts o;
  struct sc_source *f;
  struct sc_sched *s;
  int fd;
};

static void rig_open_lanes(struct sched_rig *r, const char *lines,
                           const char *a1, const char *a2, int lanes) {
  char path[64];
  r->fd = memfd_create("sched", 0);
  if (r->fd < 0 || write(r->fd, lines, strlen(lines)) < 0) abort();
  snprintf(path, sizeof path, "/proc/self/fd/%d", r->fd);
  char *argv[] = {"sitecheck", "-m",       "thread", "-q",
                  (char *)a1,  (char *)a2, path};
  memset(&r->o, 0, sizeof r->o);
  if (sc_opts_parse(&r->o, 7, argv) != 0) abort();
  r->f = sc_feed_open(&r->o);
  r->s = sc_sched_new(&r->o, r->f, lanes == 1 ? slots_1 : slots_2, lanes,
                      no_decided, NULL);
}

static void rig_open(struct sched_rig *r, const char *lines, const char *a1,
                     const char *a2) {
  rig_open_lanes(r, lines, a1, a2, 1);
}

static void rig_close(struct sched_rig *r) {
  sc_sched_free(r->s);
  r->f->close(r->f);
  close(r->fd);
  sc_opts_free(&r->o);
}

/* A job given back (the thread model's main thread does this) is the next
 * one taken, at once: its turn under --rate / --host-rate comes back with
 * it while no other job started after it. */
TEST(sched_return) {
  struct sched_rig r;
  struct sc_job j;
  long wait;
  rig_open(&r, "http://a.unit-sitecheck.org/1\nhttp://a.unit-sitecheck.org/2\n",
           "--rate", "5");
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  sc_sched_return(r.s, &j);
  EXPECT(j.url == NULL);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  struct sc_job k;
  EXPECT(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 100);
  sc_sched_done(r.s, &j);
  sc_job_clear(&j);
  rig_close(&r);

  /* Per host: b/1 is given back while b/2 sleeps in the rate heap behind
   * a/2 (a started first); b must move to the heap's top. */
  rig_open(&r,
           "http://a.unit-sitecheck.org/1\nhttp://b.unit-sitecheck.org/1\n"
           "http://a.unit-sitecheck.org/2\nhttp://b.unit-sitecheck.org/2\n",
           "--host-rate", "5");
  struct sc_job a;
  EXPECT(sc_sched_take(r.s, 0, &a, &wait) == 1 && a.lineno == 1);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  EXPECT(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 100);
  sc_sched_return(r.s, &j);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  EXPECT(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 100);
  sc_sched_done(r.s, &a);
  sc_sched_done(r.s, &j);
  sc_job_clear(&a);
  sc_job_clear(&j);
  rig_close(&r);

  /* A turn is never given back over a later start: a/2 started (after
   * its pause) when a/1 is given back, so a/1 waits for a/2's pause. */
  rig_open(&r, "http://a.unit-sitecheck.org/1\nhttp://a.unit-sitecheck.org/2\n",
           "--host-rate", "5");
  EXPECT(sc_sched_take(r.s, 0, &a, &wait) == 1 && a.lineno == 1);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 0 && wait > 100);
  usleep(250 * 1000);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  sc_sched_return(r.s, &a);
  EXPECT(sc_sched_take(r.s, 0, &a, &wait) == 0 && wait > 100);
  sc_sched_done(r.s, &j);
  sc_job_clear(&j);
  rig_close(&r);
}

/* sc_sched_keep_connection in a blocking model: it never waits for input (a
 * taker reading a slow pipe holds the scheduler), where the start-time
 * guess answers; otherwise it waits for the lock and answers from what the
 * scheduler knows. (It used to guess whenever the lock was held at all.) */
struct rig_thread {
  struct sc_sched *s;
  struct sc_job job;
  atomic_int r; /* -2 until the call returned */
};

static void *take_wait_in_thread(void *arg) {
  struct rig_thread *t = arg;
  atomic_store(&t->r, sc_sched_take_wait(t->s, &t->job));
  return NULL;
}

static void *keep_in_thread(void *arg) {
  struct rig_thread *t = arg;
  atomic_store(&t->r, sc_sched_keep_connection(t->s, &t->job));
  return NULL;
}

/* Waits up to ms for t's call to return. */
static int returned_within(struct rig_thread *t, int ms) {
  for (int i = 0; i < ms && atomic_load(&t->r) == -2; i++) usleep(1000);
  return atomic_load(&t->r) != -2;
}

/* Takes from lane 0 until told to stop: each take holds the lock a
 * moment and, the input exhausted, finds nothing. */
struct hammer {
  struct sc_sched *s;
  atomic_int stop;
  atomic_long takes;
};

static void *take_in_a_loop(void *arg) {
  struct hammer *h = arg;
  struct sc_job x;
  long wait;
  while (!atomic_load(&h->stop)) {
    if (sc_sched_take(h->s, 0, &x, &wait) == 1) abort(); /* none is left */
    atomic_fetch_add(&h->takes, 1);
  }
  return NULL;
}

TEST(sched_keep_connection_and_slow_input) {
  int p[2];
  if (pipe(p) != 0) abort();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  char *argv[] = {"sitecheck", "-m", "thread", "-q", path};
  struct sc_opts o;
  memset(&o, 0, sizeof o);
  if (sc_opts_parse(&o, 5, argv) != 0) abort();
  struct sc_source *f = sc_feed_open(&o);
  struct sc_sched *s = sc_sched_new(&o, f, slots_1, 1, no_decided, NULL);
  const char *l1 = "http://a.unit-sitecheck.org/1\n";
  const char *l2 = "http://a.unit-sitecheck.org/2\n";
  if (write(p[1], l1, strlen(l1)) < 0) abort();
  struct sc_job a;
  EXPECT(sc_sched_take_wait(s, &a) == 1 && a.lineno == 1 && a.alone);

  /* A taker waits in the pipe for line 2, holding the scheduler. */
  struct rig_thread taker = {.s = s, .r = -2}, ask = {.s = s, .r = -2};
  pthread_t tt, ta;
  pthread_create(&tt, NULL, take_wait_in_thread, &taker);
  usleep(50 * 1000);
  ask.job = a;
  pthread_create(&ta, NULL, keep_in_thread, &ask);
  EXPECT(returned_within(&ask, 2000) && atomic_load(&ask.r) == 0);

  if (write(p[1], l2, strlen(l2)) < 0) abort();
  pthread_join(tt, NULL);
  pthread_join(ta, NULL);
  EXPECT(atomic_load(&taker.r) == 1 && taker.job.lineno == 2);
  /* No taker reading: the answer is the scheduler's (a/2 is in flight). */
  EXPECT(sc_sched_keep_connection(s, &a) == 1);

  /* Other threads holding the lock briefly (a taker finding nothing, as
   * a finishing thread's sc_sched_done would) are waited out: every answer
   * is the scheduler's. The old trylock guessed "alone" (0) here. */
  close(p[1]); /* end of input: read here, so no take reads while asked */
  struct sc_job none;
  long w;
  EXPECT(sc_sched_take(s, 0, &none, &w) == -1);
  struct hammer hm = {.s = s};
  pthread_t th;
  pthread_create(&th, NULL, take_in_a_loop, &hm);
  long asked = 0, guesses = 0;
  while (atomic_load(&hm.takes) < 200000 && asked < 100000000) {
    guesses += !sc_sched_keep_connection(s, &a);
    asked++;
  }
  atomic_store(&hm.stop, 1);
  pthread_join(th, NULL);
  EXPECT(atomic_load(&hm.takes) >= 200000 && guesses == 0);

  sc_sched_done(s, &a);
  sc_job_clear(&a);
  sc_sched_done(s, &taker.job);
  sc_job_clear(&taker.job);
  struct sc_job end;
  EXPECT(sc_sched_take_wait(s, &end) != 1);
  sc_sched_free(s);
  f->close(f);
  close(p[0]);
  sc_opts_free(&o);
}

static int wakes[2];
static void count_wake(void *arg) {
  wakes[*(int *)arg]++;
}

static void done_clear(struct sched_rig *r, struct sc_job *j) {
  sc_sched_done(r->s, j);
  sc_job_clear(j);
}

#define A "http://a.unit-sitecheck.org/"
#define B "http://b.unit-sitecheck.org/"

/* Two lanes (two loops), 4 checks in flight: 2 slots per lane. */
TEST(sched_lanes) {
  struct sched_rig r;
  struct sc_job j, k, m;
  long wait;
  static int lane_ids[2] = {0, 1};

  /* A new host goes to the lane with fewer jobs (the taker's on a tie);
   * a taker queues other lanes' jobs and reads on for its own. */
  rig_open_lanes(&r, A "1\n" B "1\n" A "2\n" B "2\n", "-c", "4", 2);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  EXPECT(sc_sched_take(r.s, 0, &k, &wait) == 1 && k.lineno == 3);
  EXPECT(sc_sched_take(r.s, 1, &m, &wait) == 1 && m.lineno == 2);
  done_clear(&r, &j);
  done_clear(&r, &k);
  EXPECT(sc_sched_take(r.s, 1, &j, &wait) == 1 && j.lineno == 4);
  EXPECT(sc_sched_take(r.s, 0, &k, &wait) == -1);
  done_clear(&r, &j);
  done_clear(&r, &m);
  rig_close(&r);

  /* A lane's taker that found nothing is woken when a job of its lane
   * becomes ready, and only then. */
  rig_open_lanes(&r, A "1\n" A "2\n" B "1\n", "--per-host", "1", 2);
  wakes[0] = wakes[1] = 0;
  sc_sched_on_ready(r.s, 0, count_wake, &lane_ids[0]);
  sc_sched_on_ready(r.s, 1, count_wake, &lane_ids[1]);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  EXPECT(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 50 && wait <= 101);
  EXPECT(wakes[0] == 0 && wakes[1] == 0);
  EXPECT(sc_sched_take(r.s, 1, &k, &wait) == 1 && k.lineno == 3);
  done_clear(&r, &j);
  EXPECT(wakes[0] == 1 && wakes[1] == 0);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  sc_sched_on_ready(r.s, 0, NULL, NULL);
  done_clear(&r, &j);
  done_clear(&r, &k);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == -1);
  EXPECT(wakes[0] == 1 && wakes[1] == 0);
  rig_close(&r);

  /* Another lane takes a lane's ready job only once it has waited 100 ms
   * there (its own loop busy), and says when to look again; such a job
   * connects afresh and closes. */
  rig_open_lanes(&r, A "1\n" A "2\n" A "3\n", "--per-host", "0", 2);
  struct sc_job t[18];
  EXPECT(sc_sched_take(r.s, 0, &t[0], &wait) == 1 && t[0].lineno == 1);
  EXPECT(!t[0].stolen);
  EXPECT(sc_sched_take(r.s, 1, &t[1], &wait) == 0 && wait > 50 && wait <= 101);
  usleep(120 * 1000);
  EXPECT(sc_sched_take(r.s, 1, &t[1], &wait) == 1 && t[1].lineno == 2);
  EXPECT(t[1].stolen && t[1].alone && !sc_sched_keep_connection(r.s, &t[1]));
  EXPECT(sc_sched_take(r.s, 0, &t[2], &wait) == 1 && t[2].lineno == 3);
  EXPECT(!t[2].stolen && sc_sched_keep_connection(r.s, &t[2]));
  for (int i = 0; i < 3; i++) done_clear(&r, &t[i]);
  rig_close(&r);

  /* A lane with 8 ready jobs per slot of its loop (16 here) falls behind:
   * the other loop reads no further ahead for it and takes its jobs at
   * once, keeping their connections. */
  rig_open_lanes(&r,
                 A "1\n" A "2\n" A "3\n" A "4\n" A "5\n" A "6\n" A "7\n" A
                   "8\n" A "9\n" A "10\n" A "11\n" A "12\n" A "13\n" A "14\n" A
                   "15\n" A "16\n" A "17\n" A "18\n",
                 "--per-host", "0", 2);
  EXPECT(sc_sched_take(r.s, 0, &t[0], &wait) == 1 && t[0].lineno == 1);
  EXPECT(sc_sched_take(r.s, 1, &t[1], &wait) == 1 && t[1].lineno == 2);
  EXPECT(!t[1].stolen && sc_sched_keep_connection(r.s, &t[1]));
  EXPECT(sc_sched_take(r.s, 1, &t[2], &wait) == 1 && t[2].lineno == 3);
  EXPECT(sc_sched_take(r.s, 1, &t[3], &wait) == 0 && wait > 50);
  for (int i = 3; i < 18; i++)
    EXPECT(sc_sched_take(r.s, 0, &t[i], &wait) == 1 &&
           t[i].lineno == (uint64_t)i + 1);
  for (int i = 0; i < 18; i++) done_clear(&r, &t[i]);
  rig_close(&r);

  /* A host seen before goes back to its lane, where its connections are,
   * though the other lane reads it and would win the tie. */
  rig_open_lanes(&r,
                 A
                 "1\n"
                 "http://d.unit-sitecheck.org/1\n"
                 "http://e.unit-sitecheck.org/1\n" A "2\n",
                 "-c", "4", 2);
  EXPECT(sc_sched_take(r.s, 1, &j, &wait) == 1 && j.lineno == 1);
  EXPECT(sc_sched_take(r.s, 0, &k, &wait) == 1 && k.lineno == 2);
  EXPECT(sc_sched_take(r.s, 1, &m, &wait) == 1 && m.lineno == 3);
  done_clear(&r, &j);
  EXPECT(sc_sched_take(r.s, 0, &j, &wait) == 0);
  EXPECT(sc_sched_take(r.s, 1, &j, &wait) == 1 && j.lineno == 4);
  done_clear(&r, &j);
  done_clear(&r, &k);
  done_clear(&r, &m);
  rig_close(&r);
}
