/* main.c - sitecheck's entry point: dispatches `serve`, `demo`, `report`
 * and `watch`, and otherwise runs a check: options -> run (run.h) ->
 * engine. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "demo.h"
#include "dnscache.h"
#include "engine.h"
#include "msg.h"
#include "opts.h"
#include "progress.h"
#include "report_main.h"
#include "resolver.h"
#include "run.h"
#include "serve.h"
#include "sink.h"
#include "util.h"
#include "watch_http.h"
#include "watch_main.h"

static int (*const engines[])(struct sc_run *) = {
    [SC_MODEL_EVENT] = sc_engine_event,
    [SC_MODEL_THREAD] = sc_engine_thread,
    [SC_MODEL_PROCESS] = sc_engine_process,
    [SC_MODEL_SERIAL] = sc_engine_serial,
};

/* First SIGINT/SIGTERM: stop reading, abandon what is in flight, report
 * what completed. A second one exits at once. */
static void on_signal(int sig) {
  int none = 0;
  if (!atomic_compare_exchange_strong(&sc_stop, &none, sig)) _exit(128 + sig);
}

static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/* Fits the requested concurrency to the open-file limit, less `others`
 * descriptors kept for other uses (watch's endpoint). Descriptors per
 * check in flight: event, one socket (one multi handle for all), plus one
 * idle connection kept for reuse, plus one more with libcurl's resolver
 * (engine_event.c budgets its socket pairs inside that); thread, the
 * socket, the socket pair of the multi handle curl_easy_perform makes, and
 * one idle connection; process, one in the parent per worker (each worker
 * has its own table). */
static long fit_concurrency(const struct sc_opts *o, long others,
                            long *fd_budget) {
  static const long fds_per_check[] = {[SC_MODEL_EVENT] = 1,
                                       [SC_MODEL_THREAD] = 4,
                                       [SC_MODEL_PROCESS] = 1,
                                       [SC_MODEL_SERIAL] = 4};
  long nofile = sc_raise_nofile();
  long reserve = nofile >= 1024 ? 64 : nofile / 2;
  long per = fds_per_check[o->model];
  if (o->model == SC_MODEL_EVENT && o->reuse) per = o->use_cares ? 2 : 3;
  *fd_budget = nofile - reserve - others;
  if (*fd_budget < 1) *fd_budget = 1;
  long fit = *fd_budget / per;
  if (fit < 1) fit = 1;
  if (o->concurrency <= fit) return o->concurrency;
  sc_warn(
      "the open-file limit (%ld) allows %ld checks in flight, not %ld; "
      "using %ld",
      nofile, fit, o->concurrency, fit);
  return fit;
}

/* The event model's loops: --loops N (no more than checks in flight), or
 * by default one per CPU this process may run on, but at most one per 64
 * checks in flight: a loop runs on one core, and a second one pays when
 * the first is busy, not for a handful of checks (bench/README.md). A run
 * that reads pages (--links, --crawl) is busy parsing them with few checks
 * in flight, so it keeps one loop per CPU.
 * Other models: 1 (the scheduler's one lane). */
static int fit_loops(const struct sc_opts *o, long concurrency) {
  if (o->model != SC_MODEL_EVENT) return 1;
  long n = o->loops;
  if (n == 0) {
    n = (long)uv_available_parallelism();
    if (!o->crawl && !o->links && n > concurrency / 64) n = concurrency / 64;
  }
  if (n > concurrency) n = concurrency;
  if (n > 256) n = 256; /* as --loops allows */
  return n < 1 ? 1 : (int)n;
}

/* Makes sure the c-ares resolver can start with these options (a bad
 * --dns-servers is a usage error, found before any request). */
static int check_dns_servers(const struct sc_opts *o) {
  uv_loop_t loop;
  char err[256];
  if (uv_loop_init(&loop) != 0) return 0;
  struct sc_resolver *r = sc_resolver_new(&loop, NULL, o->dns_servers,
                                          o->family, 1000, err, sizeof err);
  if (r) sc_resolver_free(r);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (r) return 0;
  sc_error("%s", err);
  return -1;
}

/* The run's DNS cache, shared by every check. A name is remembered as
 * failing once every try a check would give it has failed: --retries + 1
 * lookups in a row. */
static struct sc_dnscache *new_dns_cache(const struct sc_opts *o) {
  struct sc_dnscache *c =
      sc_dnscache_new(SC_DNSCACHE_MAX_ENTRIES, SC_DNSCACHE_MAX_BYTES, 1);
  sc_dnscache_remember_failures(c, (int)o->retries + 1,
                                SC_DNSCACHE_FAIL_TTL_MS);
  return c;
}

/* The sink's emit hook while a progress line is shown: lines go out
 * around it (progress.h). */
static void emit_progress(void *arg, const char *text) {
  sc_progress_emit(arg, text);
}

/* What both commands do first: parse their options, apply -q, start
 * libcurl, and make sure the resolver can start. Returns -1 to go on, or
 * the exit status (the options freed). */
static int open_command(struct sc_opts *o, enum sc_command cmd, int argc,
                        char **argv) {
  int rc = sc_opts_parse_for(o, cmd, argc, argv);
  if (rc) {
    sc_opts_free(o);
    return rc < 0 ? SC_EXIT_OK : rc;
  }
  sc_msg_set_quiet(o->quiet);
  if (sc_core_global_init() != 0) {
    sc_error("cannot initialise libcurl");
    sc_opts_free(o);
    return SC_EXIT_INTERNAL;
  }
  if (o->use_cares && check_dns_servers(o) != 0) {
    sc_opts_free(o);
    return SC_EXIT_USAGE;
  }
  return -1;
}

static int run_check(int argc, char **argv) {
  struct sc_opts o;
  int rc = open_command(&o, SC_CMD_CHECK, argc, argv);
  if (rc >= 0) return rc;
  struct sc_run run;
  long fd_budget, concurrency = fit_concurrency(&o, 0, &fd_budget);
  rc =
      sc_run_open(&run, &o, concurrency, fd_budget, fit_loops(&o, concurrency));
  if (rc) {
    sc_opts_free(&o);
    return rc;
  }
  run.dns = o.use_cares ? new_dns_cache(&o) : NULL;
  install_signals();
  double t0 = sc_now_ms();
  int show = o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO));
  struct sc_progress *prog = sc_progress_start(&run, show, t0);
  sc_sink_set_emit(run.sink, emit_progress, prog);
  int failed = engines[o.model](&run) != 0;
  sc_sink_set_emit(run.sink, NULL, NULL);
  sc_progress_stop(prog);
  rc = sc_run_close(&run, sc_now_ms() - t0, failed);
  sc_progress_close(prog); /* after the summary: an interrupted run says so */
  sc_dnscache_free(run.dns);
  sc_opts_free(&o);
  curl_global_cleanup();
  return rc;
}

/* sitecheck watch: the same options and fitting, then watch_main.c. */
static int run_watch(int argc, char **argv) {
  struct sc_opts o;
  int rc = open_command(&o, SC_CMD_WATCH, argc, argv);
  if (rc >= 0) return rc;
  long fd_budget, concurrency = fit_concurrency(&o, SC_HTTP_FDS, &fd_budget);
  struct sc_dnscache *dns = o.use_cares ? new_dns_cache(&o) : NULL;
  rc = sc_watch_main(&o, concurrency, fd_budget, fit_loops(&o, concurrency),
                     dns);
  sc_dnscache_free(dns);
  sc_opts_free(&o);
  curl_global_cleanup();
  return rc;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "serve") == 0)
    return sc_serve_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "demo") == 0)
    return sc_demo_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "report") == 0)
    return sc_report_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "watch") == 0)
    return run_watch(argc - 1, argv + 1);
  return run_check(argc, argv);
}
