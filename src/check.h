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
 * Time: -t bounds one try, its redirect hops and name lookups included
 * (each transfer gets what is left of it); --check-timeout bounds the
 * whole check, retries, their waits and the HEAD->GET fallback included.
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
struct sc_tls_sessions;

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

/* One try of a check: the line's URL and the redirects followed from it.
 * sitecheck follows redirects itself (not CURLOPT_FOLLOWLOCATION): each
 * hop is a transfer of its own on the same easy handle, so a hop's host is
 * looked up like the line's, -H headers go only where they may, and a hop
 * to a host already connected to reuses that connection (the easy
 * handle's cache in the blocking models, the multi handle's in the event
 * loop). A retry or the HEAD->GET fallback starts a new try from the
 * line's URL. The first group is the hop under way; the second describes
 * the response heads of its transfer (reset for each hop); the last adds
 * up the hops finished. */
struct sc_try {
  const char *url;  /* the hop's URL: the job's, or sc_check.hop_url */
  const char *host; /* its host, what a lookup of ours resolves */
  long port;
  int hops;           /* redirects followed so far */
  uint8_t ip_literal; /* the host is an address: no lookup */
  uint8_t origin;     /* same scheme, host and port as the line's URL */
  double deadline;    /* sc_now_ms() at which -t runs out for this try */

  uint8_t head_final;         /* the head of the final response is complete */
  uint8_t follow;             /* the complete head is a redirect to follow */
  uint8_t off_web;            /* its Location points off http(s) */
  uint8_t body_stop;          /* we stopped at the body on purpose */
  uint8_t keep;               /* the final head is in and the connection kept */
  size_t body_bytes;          /* body bytes let through (connection reuse) */
  double body_until;          /* sc_now_ms() after which a body read for reuse
                                 (kept, or a redirect's) is cut, or 0 */
  long retry_after_ms;        /* from the response's Retry-After, or -1 */
  char server[SC_HEADER_MAX]; /* Server: of the current response */
  int64_t cert_expiry;        /* notAfter of the current peer, 0 if none */
  int64_t cert_earliest;      /* earliest notAfter of its chain, or 0 */

  curl_off_t t_lookup, t_connect, t_tls, t_start; /* libcurl's phase marks
                     (microseconds), summed over the hops as libcurl sums
                     them when it follows redirects itself */
  double dns_ms;         /* the hops' name lookups, ours or libcurl's */
  uint8_t dns_any;       /* dns_ms holds at least one lookup */
  uint8_t entry_counted; /* the time of our lookup behind resolve_entry is in
                            dns_ms already (later hops reuse its addresses) */
};

/* The options that differ between the transfers of an easy handle, as
 * they are set on it, so that sc_check_prepare sets only those that
 * change (check.c, prepare). */
struct sc_easy_opts {
  struct curl_slist *headers, *resolve;
  CURLSH *share; /* the TLS session share attached (struct sc_tls_sessions) */
  long connect_ms, low_time, buffer;
  int dns_timeout;
  uint8_t valid; /* the values here are in force (0 after a reset) */
  uint8_t fresh, pipewait, nobody, noprogress, low_limit;
};

struct sc_check {
  CURL *easy;
  struct sc_easy_opts set; /* its per-transfer options in force */
  uint8_t easy_plain;      /* its last transfer ended plainly: no reset */
  uint8_t abortable;       /* blocking models: abort when *stop is set */
  uint8_t proxied;         /* a proxy resolves names: no lookup of ours */
  uint8_t use_get;         /* -X HEAD was refused: this check now uses GET */
  int attempts; /* tries made so far (HEAD->GET fallback not counted) */
  const struct sc_opts *o;
  struct sc_job job;   /* owned while the check runs */
  struct sc_try tr;    /* the try under way */
  atomic_int *stop;    /* the run's stop flag: set, the check ends early */
  uint64_t rng;        /* jitter */
  double t0;           /* start of the whole check */
  double deadline;     /* sc_now_ms() at which --check-timeout runs out, or 0 */
  struct sc_buf chain; /* "STATUS URL\n" per response head of the try */
  struct sc_buf location;         /* the current head's first Location value */
  char *hop_url, *hop_host;       /* the last redirect's target, owned */
  struct sc_buf resolve_entry;    /* "+host:port:addrs" from our lookup */
  size_t resolve_addrs;           /* where addrs start in it */
  struct sc_buf resolve_spare;    /* resolve_entry rebuilt for a new port */
  struct curl_slist resolve_node; /* that entry, ahead of --resolve's */
  double dns_ms;                  /* the time of that lookup */
  double dns_pruned;              /* sc_now_ms() when a transfer last let
                                     libcurl prune its DNS cache */
  struct sc_dnscache *dns;        /* the run's DNS cache (blocking models) */
  struct sc_tls_sessions *tls;    /* TLS sessions shared with the thread's
                                     other checks, or NULL: the handle's */
  void *owner;                    /* the engine's per-check data */
  /* Asked when the final head is in whether to keep the connection for
   * another check of the job's host (keeps_connection): the engine
   * installs the scheduler's answer (sc_run_keep_connection). NULL: the
   * job's start-time hint decides (!job.alone). */
  int (*keep_fn)(void *keep_arg, const struct sc_job *job);
  void *keep_arg;
  /* Body mode (see struct sc_body_ops): installed by the engine, NULL for
   * none; page is the reader of the try under way, or NULL. */
  const struct sc_body_ops *body;
  void *body_arg;
  void *page;
  char errbuf[CURL_ERROR_SIZE];
};

/* Once per process, before any thread or fork: curl_global_init, SIGPIPE
 * ignored. Returns 0 or -1. */
int sc_core_global_init(void);

/* TLS sessions that checks share. libcurl keeps the sessions of the
 * servers an easy handle has met in that handle, five at most; checks
 * given one set (c->tls) find the sessions any of them stored, so a new
 * connection to a server met before resumes its session, an abbreviated
 * handshake, whichever check makes it. libcurl resumes a session only
 * for the same host, port and TLS options, and the server decides
 * whether it still takes it. A set belongs to one thread: one per event
 * loop, per thread of the thread model, per process worker (sessions
 * are not handed between threads, so no lock is needed). Freed after
 * every check that uses it is cleaned up. */
struct sc_tls_sessions *sc_tls_sessions_new(void);
void sc_tls_sessions_free(struct sc_tls_sessions *s);

/* Creates c's easy handle, with no keep_fn. stop: the flag that ends
 * retries and their waits when set (the run's sc_stop); abortable: make
 * blocking transfers end then too (the event engine removes its handles
 * itself). */
void sc_check_init(struct sc_check *c, const struct sc_opts *o,
                   atomic_int *stop, int abortable);
void sc_check_cleanup(struct sc_check *c);

/* A check's life: sc_check_begin() once the caller has filled c->job;
 * then, for each transfer (a try, or a redirect hop within one),
 * sc_check_prepare() configures the easy handle (the same one, so its
 * connections are reused; reset unless its last transfer ended plainly;
 * or, rarely, a new one: read c->easy after it), the engine runs the
 * transfer, and sc_check_finish() interprets it. */
void sc_check_begin(struct sc_check *c);
void sc_check_prepare(struct sc_check *c);

enum sc_next {
  SC_CHECK_DONE, /* *r is the result: report it */
  SC_CHECK_AGAIN /* next transfer (lookup if needed, prepare + run) after
                  *delay_ms: a retry, or a redirect hop with delay 0 */
};

/* Name resolution ahead of libcurl (the c-ares resolver, resolver.c),
 * for the line's host and for every new host a redirect leads to: whether
 * the next transfer's host, c->tr.host, still needs a lookup (not an
 * address, not given by --resolve, not the host looked up last); then
 * either the addresses found ("a1,a2", as CURLOPT_RESOLVE takes them) and
 * the lookup's time, or a failed lookup (status from resolver.h): *r gets
 * class `dns` (`timeout` when --check-timeout ran out), and the return
 * says whether that is the result or, for a lookup that timed out or
 * failed (not "no such name"), to try again from the line's URL after
 * *delay_ms. A lookup must end within sc_check_time_left(). */
int sc_check_needs_lookup(const struct sc_check *c);
void sc_check_resolved(struct sc_check *c, const char *addrs, double ms);
enum sc_next sc_check_unresolved(struct sc_check *c, int status,
                                 const char *why, double ms,
                                 struct sc_result *r, long *delay_ms);

/* Milliseconds the next step of the check may take (at least 1): until
 * the try's -t runs out, or --check-timeout, whichever comes first. */
long sc_check_time_left(const struct sc_check *c);

/* Interprets the finished transfer (rc is its CURLcode) and decides what
 * comes next: the next hop of a redirect (delay 0), a retry of a
 * transient failure (--retries, with exponential backoff and jitter, or
 * the server's Retry-After), GET after a refused HEAD, or done. Fills *r
 * when done; r borrows strings from c and c->job (valid until the next
 * prepare or sc_job_clear). */
enum sc_next sc_check_finish(struct sc_check *c, CURLcode rc,
                             struct sc_result *r, long *delay_ms);

/* Runs c->job to its result with blocking transfers, redirects and
 * retries included (their waits end early when *c->stop is set). For the
 * serial, thread and process models. Returns 0 with *r filled, or -1 if the run
 * is stopping. */
int sc_check_run_blocking(struct sc_check *c, struct sc_result *r);

/* The failure class of a transfer that ended with rc before a final head. */
enum sc_class sc_classify(CURLcode rc);

#endif
