/* check.h - the shared core: how one URL is checked with libcurl.
 *
 * Every engine (event loop, threads, processes, serial) checks a URL the
 * same way: sc_check_prepare() configures an easy handle for a job, the
 * engine runs the transfer however it likes, and sc_check_finish() turns
 * libcurl's outcome into a struct sc_result. That is what makes the four
 * models give the same answers.
 *
 * GET without the body: the write callback stops the transfer at the first
 * body byte of the final response, so a 10 GB or endless body costs no more
 * than an empty one. The one exception is a page whose links are wanted
 * (job.read, body mode below): its body goes to the engine's reader. That
 * deliberate stop (CURLE_WRITE_ERROR) counts as success, as does any error
 * after the final response head was complete.
 *
 * The core knows nothing of the layers that use it (run.h): what it needs
 * from them, whether to keep a connection and whether the run stops,
 * comes in through c->keep_fn and c->stop, which the engine sets. */
#ifndef SC_CHECK_H
#define SC_CHECK_H

#include <curl/curl.h>
#include <stdatomic.h>

#include "job.h"
#include "opts.h"
#include "result.h"
#include "util.h"

struct sc_dnscache;

/* Body mode: how an engine reads the body of a job with job.read set (a
 * page whose links are wanted). At the final head of a 2xx response,
 * open(arg, job, final_url, content_type) returns a reader, or NULL to
 * stop at the head as for any other check; a reader gets the body as it
 * arrives (data returns non-zero once it wants no more: a cap), then
 * close(page, complete) at the end of the try, before sc_check_finish
 * returns (complete: the whole body arrived). The answer is the status,
 * as ever: what happens to the body afterwards does not change it. Jobs
 * without job.read never read a body. */
struct sc_body_ops {
  void *(*open)(void *arg, const struct sc_job *job, const char *final_url,
                const char *content_type);
  int (*data)(void *page, const void *p, size_t n);
  void (*close)(void *page, int complete);
};

struct sc_check {
  CURL *easy;
  const struct sc_opts *o;
  struct sc_job job;   /* owned while the check runs */
  int head_final;      /* the head of the final response is complete */
  int redirect_3xx;    /* the current head is a 3xx curl will follow */
  int off_web;         /* the current 3xx points off http(s) */
  int to_invalid;      /* the current 3xx points to a .invalid host */
  int to_pinned;       /* it points to another host:port with a --resolve
                          entry of its own (see on_header) */
  int pins_all;        /* this check hands libcurl every --resolve entry */
  int body_stop;       /* we stopped at the body on purpose */
  size_t body_bytes;   /* body bytes let through (connection reuse) */
  double body_until;   /* sc_now_ms() after which a kept body is cut, or 0 */
  atomic_int *stop;    /* the run's stop flag: set, the check ends early */
  int abortable;       /* blocking models: abort when *stop is set */
  int proxied;         /* a proxy resolves names: no lookup of ours */
  int attempts;        /* tries made so far (HEAD->GET fallback not counted) */
  int use_get;         /* -X HEAD was refused: this check now uses GET */
  long retry_after_ms; /* from the last response's Retry-After, or -1 */
  uint64_t rng;        /* jitter */
  double t0;           /* start of the whole check */
  struct sc_buf chain; /* "STATUS URL\n" per response head */
  char server[SC_HEADER_MAX];     /* Server: of the current response */
  int64_t cert_expiry;            /* notAfter of the current peer, 0 if none */
  struct sc_buf resolve_entry;    /* "+host:port:addrs" from our lookup */
  struct curl_slist resolve_node; /* that entry, ahead of --resolve's */
  double dns_ms;                  /* our lookup's time, or SC_NO_TIME */
  struct sc_dnscache *dns;        /* the run's DNS cache (blocking models) */
  void *owner;                    /* the engine's per-check data */
  /* Asked when the final head is in whether to keep the connection for
   * another check of the job's host (keeps_connection): the engine
   * installs the scheduler's answer (sc_run_keep_connection). NULL: the
   * job's start-time hint decides (!job.alone). */
  int (*keep_fn)(void *keep_arg, const struct sc_job *job);
  void *keep_arg;
  int keep; /* the final head is in and the connection kept */
  /* Body mode (see struct sc_body_ops): installed by the engine, NULL for
   * none; page is the reader of the current try's body, or NULL. */
  const struct sc_body_ops *body;
  void *body_arg;
  void *page;
  char errbuf[CURL_ERROR_SIZE];
};

/* Once per process, before any thread or fork: curl_global_init, SIGPIPE
 * ignored. Returns 0 or -1. */
int sc_core_global_init(void);

/* Creates c's easy handle, with no keep_fn. stop: the flag that ends
 * retries and their waits when set (the run's sc_stop); abortable: make
 * blocking transfers end then too (the event engine removes its handles
 * itself). */
void sc_check_init(struct sc_check *c, const struct sc_opts *o,
                   atomic_int *stop, int abortable);
void sc_check_cleanup(struct sc_check *c);

/* A check's life: sc_check_begin() once the caller has filled c->job;
 * then, for each try, sc_check_prepare() configures the easy handle (reset
 * first, so it is reused), the engine runs the transfer, and
 * sc_check_finish() interprets it. */
void sc_check_begin(struct sc_check *c);
void sc_check_prepare(struct sc_check *c);

enum sc_next {
  SC_CHECK_DONE, /* *r is the result: report it */
  SC_CHECK_AGAIN /* try again (prepare + run) after *delay_ms */
};

/* Name resolution ahead of libcurl (the c-ares resolver, resolver.c):
 * whether c's host still needs a lookup (not an address, not given by
 * --resolve, not looked up yet for this check); then either the addresses
 * found ("a1,a2", as CURLOPT_RESOLVE takes them) and the lookup's time, or
 * a failed lookup (status from resolver.h): *r gets class `dns`, and the
 * return says whether that is the result or, for a lookup that timed out
 * or failed (not "no such name"), to look up again after *delay_ms. */
int sc_check_needs_lookup(const struct sc_check *c);
void sc_check_resolved(struct sc_check *c, const char *addrs, double ms);
enum sc_next sc_check_unresolved(struct sc_check *c, int status,
                                 const char *why, double ms,
                                 struct sc_result *r, long *delay_ms);

/* Interprets the finished transfer (rc is its CURLcode) and decides what
 * comes next: a retry of a transient failure (--retries, with exponential
 * backoff and jitter, or the server's Retry-After), GET after a refused
 * HEAD, or done. Fills *r either way; r borrows strings from c and c->job
 * (valid until the next prepare or sc_job_clear). */
enum sc_next sc_check_finish(struct sc_check *c, CURLcode rc,
                             struct sc_result *r, long *delay_ms);

/* Runs c->job to its result with blocking transfers, retries included
 * (their waits end early when *c->stop is set). For the serial, thread and
 * process models. Returns 0 with *r filled, or -1 if the run is stopping. */
int sc_check_run_blocking(struct sc_check *c, struct sc_result *r);

/* The failure class of a transfer that ended with rc before a final head. */
enum sc_class sc_classify(CURLcode rc);

#endif
