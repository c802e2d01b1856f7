/* watch_main.c - see watch_main.h.
 *
 * Threads: this one takes the signals (sigtimedwait) and, between them,
 * answers /probe requests past their time; the event engine runs on a
 * thread of its own (or several, with --loops), taking due checks from
 * the watch's source; libmicrohttpd serves on its own. The watch's state
 * is what they share, behind its lock (watch.h). */
#include "watch_main.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "msg.h"
#include "run.h"
#include "watch.h"
#include "watch_http.h"

/* How often the signal wait wakes to answer probes past their time. */
#define TICK_MS 100

struct engine_thread {
  struct sc_run *run;
  int failed;
  atomic_int done;
};

static void *engine_main(void *arg) {
  struct engine_thread *t = arg;
  t->failed = sc_engine_event(t->run) != 0;
  atomic_store(&t->done, 1);
  return NULL;
}

/* A signal once the watch is stopping: the way out if stopping hangs. */
static void exit_now(int sig) {
  _exit(128 + sig);
}

/* Waits for SIGINT or SIGTERM, reading the list again and reopening -o on
 * each SIGHUP, and answering late probes every TICK_MS. Returns the
 * signal, or 0 if the engine ended by itself. */
static int wait_for_stop(struct sc_watch *w, const sigset_t *set,
                         struct engine_thread *t) {
  for (;;) {
    struct timespec ts = {0, TICK_MS * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);
    if (sig == SIGINT || sig == SIGTERM) return sig;
    if (sig == SIGHUP) {
      sc_watch_load(w); /* a list that cannot be read is kept as it was */
      sc_watch_open_events(w);
    }
    sc_watch_tick(w);
    if (atomic_load(&t->done)) return 0;
  }
}

int sc_watch_main(const struct sc_opts *o, long concurrency, long fd_budget,
                  int loops, struct sc_dnscache *dns) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  /* Before any thread starts, so that every thread inherits the mask and
   * the signals come to sigtimedwait here. */
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  struct sc_watch *w = sc_watch_new(o);
  if (sc_watch_load(w) < 0 || sc_watch_open_events(w) != 0) {
    sc_watch_free(w);
    return SC_EXIT_USAGE;
  }
  struct sc_run run;
  sc_run_open_source(&run, o, sc_watch_source(w), sc_watch_on_result, w,
                     concurrency, fd_budget, loops);
  run.dns = dns;
  sc_watch_set_sched(w, run.sched); /* before another thread reads it */
  char err[256], url[128];
  struct sc_watch_http *http = sc_watch_http_start(w, o, err, sizeof err);
  if (!http) {
    sc_error("%s", err);
    sc_run_close(&run, 0, 0);
    sc_watch_free(w);
    return SC_EXIT_USAGE;
  }
  sc_watch_http_url(http, url, sizeof url);
  printf("listening on %s\n", url);
  fflush(stdout);

  struct engine_thread t = {.run = &run};
  pthread_t tid;
  if (pthread_create(&tid, NULL, engine_main, &t) != 0) {
    sc_error("cannot start the engine's thread");
    return SC_EXIT_INTERNAL;
  }
  int sig = wait_for_stop(w, &set, &t);

  /* Stopping: a second signal ends the process at once. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = exit_now;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);

  atomic_store(&sc_stop, sig ? sig : -1);
  pthread_join(tid, NULL);
  sc_watch_close_probes(w);
  sc_watch_http_stop(http);
  sc_run_close(&run, 0, t.failed);
  sc_watch_free(w);
  if (t.failed || !sig) return SC_EXIT_INTERNAL;
  return SC_EXIT_OK;
}
