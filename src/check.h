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
 * than an empty one. That deliberate stop (CURLE_WRITE_ERROR) counts as
 * success, as does any error after the final response head was complete. */
#ifndef SC_CHECK_H
#define SC_CHECK_H

#include <curl/curl.h>

#include "job.h"
#include "opts.h"
#include "result.h"
#include "util.h"

struct sc_check {
  CURL *easy;
  const struct sc_opts *o;
  struct sc_job job; /* owned while the check runs */
  int head_final;    /* the head of the final response is complete */
  int redirect_3xx;  /* the current head is a 3xx curl will follow */
  int off_web;       /* the current 3xx points off http(s) */
  int body_stop;     /* we stopped at the body on purpose */
  int abortable;     /* blocking models: abort when sc_stop is set */
  double t0;
  struct sc_buf chain;           /* "STATUS URL\n" per response head */
  char server[SC_HEADER_MAX];    /* Server: of the current response */
  int64_t cert_expiry;           /* notAfter of the current peer, 0 if none */
  void *owner; /* the engine's per-check data */
  char errbuf[CURL_ERROR_SIZE];
};

/* Once per process, before any thread or fork: curl_global_init, SIGPIPE
 * ignored. Returns 0 or -1. */
int sc_core_global_init(void);

/* Creates c's easy handle. abortable: make blocking transfers end when
 * sc_stop is set (the event engine removes its handles itself). */
void sc_check_init(struct sc_check *c, const struct sc_opts *o, int abortable);
void sc_check_cleanup(struct sc_check *c);

/* Configures c->easy for c->job (which the caller has just filled) and
 * starts its clock. The handle is reset first, so it can be reused. */
void sc_check_prepare(struct sc_check *c);

/* Interprets the finished transfer: rc is its CURLcode. Fills *r, which
 * borrows strings from c and c->job (valid until the next prepare or
 * sc_job_clear). */
void sc_check_finish(struct sc_check *c, CURLcode rc, struct sc_result *r);

/* The failure class of a transfer that ended with rc before a final head. */
enum sc_class sc_classify(CURLcode rc);

#endif
