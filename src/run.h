/* run.h - one run of checks: the object that ties the layers together,
 * the one place a finished job goes, and what every layer may read of the
 * run (its stop flag, the exit statuses).
 *
 * Layers, each using only those below it (a lower one calls back up only
 * through a function pointer the upper one installs):
 *   main           options -> sc_run_open -> an engine -> sc_run_close
 *   engines        engine_*.c: take jobs, run checks, sc_run_complete
 *   run            run.c: wires the pieces, completes jobs
 *   scheduler      scheduler.c (politeness) + lanes.c (lanes, reuse hints)
 *   sources        source.h: feed.c (line files), dedup.c (--dedup),
 *                  frontier.c (URL arguments, links, the crawl)
 *   pages          page.c: a document's links (the extractors)
 *   check          check.c: one URL with libcurl; asks c->keep_fn; reads
 *                  a page's body into c->body (the run's page reader)
 *   sink           sink.c: tally, records, --fail-on, the failure list
 *                  (faillist.c), the --report accumulator (report.c)
 * This header includes no other layer's header (the run's members are
 * opaque pointers), so the exit statuses and sc_stop can be read anywhere.
 *
 * Locks: the only nesting is the engine's own (engine_blocking.c's pool)
 * -> the scheduler's -> a source's, in that order. The scheduler asks its
 * source for jobs under its lock, so the feed's ring lock and dedup's
 * table lock are taken inside it (one after the other, never together).
 * The sink's lock is taken with no other held, and sc_run_complete holds
 * none while it calls the sink, dedup and the scheduler in turn; the
 * lines the sink prints during the run go out after it releases its lock
 * (through its emit hook: the progress line's lock, when one is shown). A
 * lane's wake function runs under the scheduler's lock and takes no lock of
 * ours (uv_async_send). */
#ifndef SC_RUN_H
#define SC_RUN_H

#include <stdatomic.h>
#include <stddef.h>

/* Exit statuses of `sitecheck` (and of serve and demo). A run stopped by
 * a signal exits 128 + its number. */
#define SC_EXIT_OK 0
#define SC_EXIT_FAILON 1   /* --fail-on matched */
#define SC_EXIT_USAGE 2    /* usage, input or output error */
#define SC_EXIT_INTERNAL 3 /* out of memory, cannot start a thread ... */

/* Set when the run must stop early: a signal (its number), an output
 * error (-1), or SIGPIPE when the reader of stdout or of the records went
 * away (the sink sets it; the run then exits 141 without a word). Sources stop
 * handing out jobs, engines abandon what is in flight, and checks end their
 * waits. */
extern atomic_int sc_stop;

struct sc_opts;
struct sc_source;
struct sc_dedup;
struct sc_sched;
struct sc_sink;
struct sc_dnscache;
struct sc_frontier;
struct sc_job;
struct sc_result;
struct sc_body_ops;
struct sc_doc_link;

struct sc_run {
  const struct sc_opts *o;
  struct sc_source *source; /* the input; the scheduler takes from it */
  struct sc_dedup *dedup;   /* --dedup (its source wraps the feed), or NULL */
  struct sc_frontier *frontier; /* links (its source wraps the lists), or
                                   NULL when the input is lists only */
  struct sc_sched *sched;       /* where engines take jobs */
  struct sc_sink *sink;
  struct sc_dnscache *dns; /* the DNS cache every check shares, or NULL */
  long concurrency; /* checks in flight in total, already fitted to limits */
  long fd_budget;   /* descriptors the checks may hold in all */
  int loops;        /* event model's loops (the scheduler's lanes), fitted */
  long *lane_slots; /* checks in flight per loop: concurrency split evenly */
  double t0;        /* sc_now_ms() at sc_run_open: records' start_ms count
                       from it */
  /* Where finished jobs go instead of the sink (sitecheck watch), or NULL:
   * called by sc_run_complete, with no lock held, for every checked job
   * (never an abandoned one) and every decided one (with its result). */
  void (*on_result)(void *arg, const struct sc_job *job,
                    const struct sc_result *r);
  void *on_result_arg;
};

/* Opens the input, the record output and the scheduler for a run of
 * concurrency checks in flight in loops lanes. The input: each argument
 * that names a file is a file, read as what its content and name say it
 * is (input_kind.h, or --input-format): a URL list goes to the feed, any
 * other kind is read now for its links (saying so on stderr); an
 * argument that is no file but an http(s) URL is one URL to check; any
 * other is a usage error. --links and --crawl add theirs. Returns 0, or
 * SC_EXIT_USAGE after printing why. */
int sc_run_open(struct sc_run *run, const struct sc_opts *o, long concurrency,
                long fd_budget, int loops);

/* A run over a source of the caller's (which the run then owns and
 * closes), with no sink and no --dedup: every result goes to on_result(arg,
 * ...), e.g. sitecheck watch's state. Returns 0. */
int sc_run_open_source(struct sc_run *run, const struct sc_opts *o,
                       struct sc_source *src,
                       void (*on_result)(void *arg, const struct sc_job *job,
                                         const struct sc_result *r),
                       void *arg, long concurrency, long fd_budget, int loops);

/* The one place a finished job goes. r is its result: written to the sink
 * (the tally, the record, --fail-on), its start_ms (on the monotonic
 * clock, which every process shares) made relative to the run's start.
 * With --dedup, the repeats of its URL parked while it ran are written
 * too, with its answer. A checked job's host slot is then freed in the
 * scheduler (the scheduler was told of it when it was taken). r NULL: a
 * decided job (job->url NULL) whose result it carries, or a check
 * abandoned because the run stops (no record). The job stays the
 * caller's; r may borrow its strings. Thread-safe; call it with no lock
 * held. */
void sc_run_complete(struct sc_run *run, struct sc_job *job,
                     const struct sc_result *r);

/* The check core's keep_fn (check.h) for a run: whether job, at its final
 * head, should keep its connection, as the scheduler sees it. arg is the
 * struct sc_run. */
int sc_run_keep_connection(void *arg, const struct sc_job *job);

/* The check core's body mode for the run's pages (check.h): links found
 * go to the run's frontier. Engines that run checks in this process set
 * c->body to it and c->body_arg to the run. */
extern const struct sc_body_ops sc_run_body_ops;

/* For an engine whose pages are read elsewhere (a worker process): a
 * page's final head was in, a link found on it, an id on it
 * (--check-fragments), robots.txt's text. job is
 * the page's job as taken from the scheduler. */
void sc_run_page_opened(struct sc_run *run, const struct sc_job *job,
                        const char *final_url);
void sc_run_page_link(struct sc_run *run, const struct sc_job *job,
                      const struct sc_doc_link *l);
void sc_run_page_anchor(struct sc_run *run, const struct sc_job *job,
                        const char *id);
void sc_run_page_text(struct sc_run *run, const struct sc_job *job,
                      const char *text, size_t n);

/* Frees what sc_run_open made, flushes the records and prints the tally
 * (a run without a sink, none of that). Returns the exit status the run
 * earned: 128 + a signal, SC_EXIT_INTERNAL if an engine failed (failed),
 * SC_EXIT_USAGE for an input or output error, SC_EXIT_FAILON, or
 * SC_EXIT_OK. */
int sc_run_close(struct sc_run *run, double elapsed_ms, int failed);

#endif
