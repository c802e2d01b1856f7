/* progress.c - see progress.h. */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

struct sc_progress {
  pthread_t tid;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int stop;
  struct sc_source *src;
  struct sc_sink *sink;
  double t0;
};

/* The progress line of the run, if any. A fork (the process model starts
 * workers during the run) waits until a draw is over, so that a worker
 * never starts with a lock this thread held mid-draw (stdio's, the
 * allocator's): in the child no thread would ever release it. */
static struct sc_progress *live;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void before_fork(void) {
  if (live) pthread_mutex_lock(&live->lock);
}

static void after_fork(void) {
  if (live) pthread_mutex_unlock(&live->lock);
}

static void hold_at_fork(void) {
  pthread_atfork(before_fork, after_fork, NULL);
}

static void draw(struct sc_progress *p) {
  uint64_t done = sc_sink_count(p->sink), taken = p->src->taken(p->src);
  double secs = (sc_now_ms() - p->t0) / 1000.0;
  char total[32] = "?";
  if (p->src->eof(p->src))
    snprintf(total, sizeof total, "%llu", (unsigned long long)taken);
  fprintf(stderr, "\r\033[K%llu/%s done, %.0f URLs/s, %llu in flight, %.1f s",
          (unsigned long long)done, total, secs > 0 ? (double)done / secs : 0,
          (unsigned long long)(taken > done ? taken - done : 0), secs);
  fflush(stderr);
}

static void *progress_main(void *arg) {
  struct sc_progress *p = arg;
  pthread_mutex_lock(&p->lock);
  while (!p->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 200 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&p->cond, &p->lock, &ts);
    if (!p->stop) draw(p);
  }
  pthread_mutex_unlock(&p->lock);
  fputs("\r\033[K", stderr);
  fflush(stderr);
  return NULL;
}

void sc_progress_emit(struct sc_progress *p, const char *text) {
  pthread_mutex_lock(&p->lock);
  fputs("\r\033[K", stderr);
  fputs(text, stderr);
  fflush(stderr);
  pthread_mutex_unlock(&p->lock);
}

struct sc_progress *sc_progress_start(struct sc_source *src, struct sc_sink *s,
                                      double t0_ms) {
  struct sc_progress *p = sc_xcalloc(1, sizeof *p);
  p->src = src;
  p->sink = s;
  p->t0 = t0_ms;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->cond, NULL);
  pthread_once(&atfork_once, hold_at_fork);
  if (pthread_create(&p->tid, NULL, progress_main, p) != 0) {
    free(p);
    return NULL;
  }
  live = p; /* started and stopped on the thread that forks */
  return p;
}

void sc_progress_stop(struct sc_progress *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->tid, NULL);
  live = NULL;
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
