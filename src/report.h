/* report.h - the HTML report: an accumulator that takes results one at a
 * time in bounded memory and writes one self-contained HTML file.
 *
 * Fed by `sitecheck report` (records read back from JSON Lines) and the
 * same way by the sink during a run (--report). The accumulator keeps
 * counters, a log-bucket histogram of check times (hist.h), the slowest
 * checks, the first failures, certificates about to expire and two host
 * summaries (topk.h); what it keeps of each is capped, so its memory does
 * not grow with the number of results. It is not thread-safe: one caller
 * at a time (the sink adds under its own lock).
 *
 * Records that carry a start time are also drawn as timelines, one per
 * run (sc_report_timeline starts the next): a bar per check from its
 * start to its answer, all timelines on one time axis, for at most
 * SC_TIMELINE_BARS checks; a longer run is drawn as checks in flight over
 * time, from a fixed number of time buckets that widen as the run goes
 * on. So a timeline too keeps at most a fixed amount.
 *
 * The file loads nothing: a Content-Security-Policy forbids every fetch,
 * the one script is allowed by its hash, and the charts are inline SVG.
 * Every string from a result is written through sc_html_escape, and only
 * http: and https: URLs become links (sc_report_is_link), with any
 * password in them masked. Header values (server, content_type) are never
 * shown.
 *
 * A failure's row says where its URL was found, in the failure list's
 * words (where.h): its list's FILE:LINE, "(argument)", or the first few
 * places that link to it and how many more; during a run (the sink) the
 * places and their count are read when the report is written, so they
 * are final. */
#ifndef SC_REPORT_H
#define SC_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "util.h"

/* What the report reads of one result. Strings are borrowed for the call
 * (NULL when absent; they need not be valid UTF-8), numbers use the
 * "absent" values named beside them. sc_report_rec_init fills in those. */
struct sc_report_rec {
  const char *url; /* the line as read (url_len bytes, may hold NUL) */
  size_t url_len;
  uint64_t line;          /* 0: unknown */
  int status;             /* final HTTP status, 0: none */
  const char *error;      /* failure class name ("timeout", ...), NULL: none */
  int ok;                 /* 1 or 0 as the record says; -1: status is 2xx */
  const char *detail;     /* why it failed */
  double time_ms;         /* < 0: unknown */
  int64_t redirects;      /* < 0: unknown */
  int attempts;           /* < 0: unknown; 0: decided without a request */
  const char *chain;      /* "STATUS URL\n" per response, as struct sc_result */
  int64_t cert_expiry;    /* Unix time of the leaf's notAfter, 0: none */
  int32_t cert_days_left; /* SC_NO_DAYS: none */
  double dns_ms, connect_ms, tls_ms, ttfb_ms; /* < 0: not applicable */
  uint64_t duplicate_of;                      /* 0: not a --dedup repeat */
  const char *input;                          /* the input file it came from */
  const char *tried_url; /* the URL checked (else url is) */
  /* Where it was found (where.h says it): */
  int linked;         /* 1: a link's result; 0: a list's line (input and
                         line say where); -1: not known */
  const char *source; /* a link's first place: a page's URL or FILE:LINE;
                         NULL: a URL given as an argument */
  uint64_t referrers; /* how many places link to it, as known */
  const struct sc_refs *refs; /* a link's places as the run knows them, or
                                 NULL: kept by reference (see sc_report_add) */
  double start_ms;            /* when the check began, from the run's start;
                                 < 0: unknown (not drawn on a timeline) */
  const char *worker;         /* who ran it ("loop 0"), NULL: unknown */
};

/* Limits and text of one report; zero or NULL fields take the defaults. */
struct sc_report_opts {
  const char *title;    /* default "sitecheck report" */
  const char *subtitle; /* one line under the title, e.g. the inputs */
  const char *options;  /* the run's options, one line (no secrets) */
  size_t max_rows;      /* failure rows shown: 10,000 */
  size_t max_hosts;     /* hosts counted exactly: 100,000 */
  int expiry_days;      /* certificates listed when this close: 30 */
  int only_timelines;   /* the page shows the timelines alone (the demo) */
};

/* Checks drawn one bar each on a timeline; past this, checks in flight. */
#define SC_TIMELINE_BARS 2000

/* One run's timeline: its heading and what is shown beside it. Strings
 * are copied; zero or negative figures are not shown. */
struct sc_report_timeline {
  const char *label; /* heading: the records file, the model */
  const char *note;  /* what the picture shows; NULL: a sentence made from
                        the checks (how many overlapped, for how long) */
  double wall_ms;    /* the run's wall time, as measured by its caller */
  double cpu_s;      /* its CPU time */
  double rss_mb;     /* its peak memory */
};

struct sc_report;

/* Sets every field of v to "absent". */
void sc_report_rec_init(struct sc_report_rec *v);

/* Points v at what r holds (r's strings stay r's). */
void sc_report_rec_from_result(struct sc_report_rec *v,
                               const struct sc_result *r);

/* Makes an empty report; o may be NULL (its strings are copied). */
struct sc_report *sc_report_new(const struct sc_report_opts *o);

/* Counts one result. Nothing of v is kept by reference but v->refs, which
 * must stay valid until the report's last write: a failure's row names
 * the places the run knows then, and how many more there are (a run's
 * refs live until sc_run_close, after the sink has written the report). */
void sc_report_add(struct sc_report *rep, const struct sc_report_rec *v);

/* Starts the next timeline: results added from now on are drawn on it.
 * Results added before any is started go on one labelled "records". */
void sc_report_timeline(struct sc_report *rep,
                        const struct sc_report_timeline *t);

/* Input lines that were not records, shown in the summary. */
void sc_report_skipped(struct sc_report *rep, uint64_t lines);

/* Writes the whole HTML document to out. The report stays usable (more
 * results can be added and it can be written again). Returns 0, or -1 if
 * writing failed (errno set). */
int sc_report_write(struct sc_report *rep, FILE *out);

/* Writes the report to path ("-": stdout). A regular file is written
 * beside its name and renamed into place, so a failure leaves no half
 * report. Returns 0, or -1 with errno set (nothing is printed). */
int sc_report_save(struct sc_report *rep, const char *path);

/* Whether sc_report_save could write path (not "-"): 0, or an errno
 * value. Creates nothing: a run checks its --report before any request,
 * so an unwritable one is a usage error. */
int sc_report_check_path(const char *path);

void sc_report_free(struct sc_report *rep);

/* Appends s[0..n) as HTML text, safe in element content and in a quoted
 * attribute value: & < > " ' are escaped, NUL, other control characters
 * (but tab and newline) and invalid UTF-8 become U+FFFD. The one escaping
 * function of the report. */
void sc_html_escape(struct sc_buf *b, const char *s, size_t n);

/* True when s[0..n) may be a link: it starts with http:// or https://
 * (any case) and holds no control character. */
int sc_report_is_link(const char *s, size_t n);

/* Appends s[0..n) with the password of a user:password@ part replaced by
 * "***" (the text is not escaped: pass it to sc_html_escape). */
void sc_report_mask(struct sc_buf *b, const char *s, size_t n);

/* Appends a URL for display: masked, escaped, cut to at most max bytes
 * (on a character boundary, with an ellipsis), as a link if it may be
 * one, else as text. */
void sc_report_url(struct sc_buf *b, const char *s, size_t n, size_t max);

#endif
