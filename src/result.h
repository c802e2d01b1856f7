/* result.h - the outcome of checking one input line: a final HTTP status or
 * a failure class, plus what the per-URL record reports. Produced by the
 * check core (check.c) or by input validation, consumed by the sink. */
#ifndef SC_RESULT_H
#define SC_RESULT_H

#include <stddef.h>
#include <stdint.h>

/* Failure classes, in the alphabetical order the tally prints them. */
enum sc_class {
  SC_OK = -1, /* not a failure: the result carries a status code */
  SC_CONNECT = 0,
  SC_DNS,
  SC_INVALID_URL,
  SC_MISSING_FILE, /* a link in a local document to a file not on disk */
  SC_OTHER,
  SC_PROTOCOL,
  SC_TIMEOUT,
  SC_TLS,
  SC_TOO_MANY_REDIRECTS,
  SC_CLASS_COUNT
};

#define SC_DETAIL_MAX 256
#define SC_IP_MAX 64
#define SC_HEADER_MAX 128
#define SC_NO_TIME (-1.0)    /* a phase timing that does not apply */
#define SC_NO_DAYS INT32_MIN /* cert_days_left without a certificate */

/* What a check found out, apart from the input line and the two long
 * strings: plain data, so the process model can send it as one block.
 * Empty strings and the SC_NO_* values print as null. */
struct sc_answer {
  int32_t status; /* final HTTP status, 0 if none */
  int32_t cls;    /* enum sc_class; SC_OK when status is the answer */
  double time_ms;
  double start_ms; /* when the check began (the core's sc_now_ms()), from
                      the run's start once sc_run_complete has it;
                      SC_NO_TIME if no check ran */
  int64_t redirects;
  int64_t content_length; /* -1 when unknown */
  int64_t cert_expiry;    /* Unix time of the leaf's notAfter, 0 if none */
  int64_t cert_earliest;  /* the earliest notAfter in the chain the peer
                             sent, leaf included (as cert_expiry) */
  int32_t cert_days_left; /* whole days from now, SC_NO_DAYS if none */
  int32_t attempts;       /* checks made for this line (retries + 1) */
  double dns_ms, connect_ms, tls_ms, ttfb_ms; /* SC_NO_TIME if n/a */
  double transfer_ms;   /* first response byte to the end of the transfer */
  char method[8];       /* method that gave the answer */
  char http_version[8]; /* "1.0", "1.1", "2", "3" */
  char detail[SC_DETAIL_MAX];
  char ip[SC_IP_MAX];
  char content_type[SC_HEADER_MAX];
  char server[SC_HEADER_MAX];
  char worker[32]; /* who ran the check, set by the engine: "serial",
                      "thread N", "process N", "loop N" (N from 0) */
};

struct sc_result {
  const char *url; /* the line as read, trimmed (not NUL-safe: url_len) */
  size_t url_len;
  uint64_t line; /* 1-based line number in its input */
  struct sc_answer a;
  const char *final_url; /* NULL when none; borrowed */
  const char *chain; /* "STATUS URL\n" per response, NULL if none; borrowed */
  const char
      *check_url; /* the normalized URL checked, NULL if none; borrowed */
  uint64_t duplicate_of; /* --dedup: line of the first occurrence, or 0 */
  const char *input;     /* the input file's name as given ("-": stdin),
                            NULL if none; borrowed */
  uint32_t input_no;     /* its index among the inputs (0 first) */
  int ok;                /* OK as --accept says; set by the sink */
  const char *tried_url; /* the normalized URL checked for the line (the
                            job's), NULL for a line decided without the
                            network; borrowed */
  const char *location;  /* the Location of a final 3xx that was not
                            followed (--no-follow, or off http(s)), as
                            sent; NULL otherwise; borrowed */
  /* Links (pages, Markdown, sitemaps, crawls; NULL / -1 for a list): */
  const char *source;         /* where the URL was first found: a page's URL or
                                 FILE:LINE; NULL for a URL given on the command
                                 line; borrowed */
  int linked;                 /* the result of a link, not of a list's line */
  uint64_t referrers;         /* linked: places known to link to it when the
                                 record was written (null in a list's record) */
  const struct sc_refs *refs; /* its referrers as they grow (below), or
                                 NULL; borrowed from the run */
};

/* The places that link to a result's URL (r->refs; the failure list
 * shows them). The data belongs to the run's links source (frontier.c)
 * and lives until sc_run_close returns, after the sink's close. */
struct sc_refs;

/* The number of places known to link to it: final once the engine has
 * returned (at the sink's close), growing before. 0 for NULL. */
uint64_t sc_refs_count(const struct sc_refs *refs);

/* The i-th place (i < 3) that linked to it, in the order found: returns
 * 1 with *where (a page's URL, or a local file's name), *line (the line
 * there) and *is_file; 0 when fewer are known. */
int sc_refs_get(const struct sc_refs *refs, unsigned i, const char **where,
                uint64_t *line, int *is_file);

/* "connect", "dns", ...; NULL for SC_OK. */
const char *sc_class_name(enum sc_class c);

/* Looks a class up by name; returns SC_OK when there is none. */
enum sc_class sc_class_from_name(const char *name);

#endif
