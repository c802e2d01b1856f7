/* engine_blocking.c - the models that block on one transfer at a time with
 * libcurl's easy interface: serial (the talk's "no concurrency") and
 * threads (-c N threads, each checking one URL after another; the shared
 * tally sits behind the sink's lock, as in the talk).
 *
 * Threads are started lazily: a new one only when a job may start and
 * every running thread is busy, so a 31-URL list gets the talk's "one
 * thread per URL" and a long list at most -c threads. A finished thread
 * takes its next job itself: handing jobs over from a dispatcher thread
 * adds a wake-up and a context switch per URL, and measured slower. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "engine.h"
#include "scheduler.h"
#include "util.h"

/* Sets up c for the run's checks: blocking transfers that end on a stop,
 * the scheduler's keep-the-connection answer, and TLS sessions kept for
 * the thread's checks (one check at a time: the set is c's own). */
static void check_init(struct sc_check *c, struct sc_run *run) {
  sc_check_init(c, run->o, &sc_stop, 1);
  c->dns = run->dns;
  c->tls = sc_tls_sessions_new();
  c->keep_fn = sc_run_keep_connection;
  c->keep_arg = run;
  c->body = &sc_run_body_ops;
  c->body_arg = run;
}

/* Undoes check_init: the sessions go after the handle that used them. */
static void check_cleanup(struct sc_check *c) {
  sc_check_cleanup(c);
  sc_tls_sessions_free(c->tls);
}

/* Checks c's job with blocking transfers into *r, run by worker (the
 * record's name for this thread). Returns r, or NULL if the run is
 * stopping (an interrupted check is not a completed one). */
static struct sc_result *check(struct sc_check *c, struct sc_result *r,
                               const char *worker) {
  if (sc_check_run_blocking(c, r) != 0) return NULL;
  sc_strcpy_cut(r->a.worker, sizeof r->a.worker, worker);
  return r;
}

/* Completes c's job with its result (or none) and frees it. */
static void complete(struct sc_check *c, struct sc_run *run,
                     const struct sc_result *r) {
  sc_run_complete(run, &c->job, r);
  sc_job_clear(&c->job);
}

int sc_engine_serial(struct sc_run *run) {
  struct sc_check c;
  struct sc_result r;
  check_init(&c, run);
  while (sc_sched_take_wait(run->sched, &c.job) == 1)
    complete(&c, run, check(&c, &r, "serial"));
  check_cleanup(&c);
  return 0;
}

struct pool {
  struct sc_run *run;
  pthread_mutex_t lock;
  pthread_cond_t all_busy; /* signalled when busy may equal nthreads */
  long nthreads, busy;
  int feed_done;
  int returned; /* the main thread gave a job back for an idle thread */
};

struct worker_arg {
  struct pool *p;
  struct sc_job first; /* the job that made this thread start */
  long index;          /* threads started before this one */
};

/* Takes this thread's next job: 1, or 0 at the end. An end seen while the
 * main thread gives a job back is not the end: the job would be lost. */
static int next_job(struct pool *p, struct sc_job *job) {
  for (;;) {
    int got = sc_sched_take_wait(p->run->sched, job) == 1;
    pthread_mutex_lock(&p->lock);
    int again = !got && p->returned;
    if (got)
      p->busy++;
    else if (again)
      p->returned = 0;
    else
      p->feed_done = 1;
    pthread_cond_signal(&p->all_busy);
    pthread_mutex_unlock(&p->lock);
    if (!again) return got;
  }
}

static void *thread_main(void *arg) {
  struct worker_arg *wa = arg;
  struct pool *p = wa->p;
  struct sc_check c;
  struct sc_result r;
  char name[32];
  check_init(&c, p->run);
  c.job = wa->first;
  snprintf(name, sizeof name, "thread %ld", wa->index);
  free(wa);
  do {
    const struct sc_result *got = check(&c, &r, name);
    /* Idle before the host slot frees: a main thread woken by the freed
     * slot then sees this thread coming for the job (see below). */
    pthread_mutex_lock(&p->lock);
    p->busy--;
    pthread_mutex_unlock(&p->lock);
    complete(&c, p->run, got);
  } while (next_job(p, &c.job));
  check_cleanup(&c);
  return NULL;
}

int sc_engine_thread(struct sc_run *run) {
  struct pool p = {.run = run};
  long max = run->concurrency;
  pthread_t *tids = sc_xcalloc((size_t)max, sizeof *tids);
  pthread_mutex_init(&p.lock, NULL);
  pthread_cond_init(&p.all_busy, NULL);
  /* The main thread starts a new thread only when a job may start and
   * every thread is busy; idle threads take their jobs themselves. */
  pthread_mutex_lock(&p.lock);
  while (p.nthreads < max) {
    while (p.busy < p.nthreads && !p.feed_done)
      pthread_cond_wait(&p.all_busy, &p.lock);
    if (p.feed_done) break;
    pthread_mutex_unlock(&p.lock);
    struct sc_job job;
    int got = sc_sched_take_wait(run->sched, &job) == 1;
    pthread_mutex_lock(&p.lock);
    if (!got) break;
    if (p.busy < p.nthreads && !p.feed_done) {
      /* A thread finished while this one waited, and its freed slot is
       * what let this job start: that thread takes the job. A new thread
       * would be a needless one with a new connection, beyond what
       * --per-host allows at once. The pool's lock is held while the job
       * goes back, so that a thread that found the input exhausted
       * meanwhile sees `returned` and looks again (next_job); the pool's
       * lock comes before the scheduler's (run.h). */
      sc_sched_return(run->sched, &job);
      p.returned = 1;
      continue;
    }
    struct worker_arg *wa = sc_xmalloc(sizeof *wa);
    wa->p = &p;
    wa->first = job;
    wa->index = p.nthreads;
    p.busy++;
    if (pthread_create(&tids[p.nthreads], NULL, thread_main, wa) != 0) {
      fprintf(stderr, "sitecheck: cannot start a thread\n");
      exit(SC_EXIT_INTERNAL);
    }
    p.nthreads++;
  }
  pthread_mutex_unlock(&p.lock);
  for (long i = 0; i < p.nthreads; i++) pthread_join(tids[i], NULL);
  free(tids);
  pthread_cond_destroy(&p.all_busy);
  pthread_mutex_destroy(&p.lock);
  return 0;
}
