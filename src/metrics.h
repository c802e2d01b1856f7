/* metrics.h - Prometheus' text exposition format (version 0.0.4), and the
 * probe_* values of one check as blackbox_exporter names and means them.
 *
 * The format: per metric family a "# HELP" and a "# TYPE" line, then one
 * sample per line, `name{label="value",...} number`. A label value is
 * escaped (\\, \" and \n) and must be valid UTF-8, or Prometheus rejects
 * the whole scrape; sc_metric_label writes bytes that are not shown text
 * (invalid UTF-8, control characters) as U+FFFD, so no URL or server
 * byte can break a scrape. Numbers are written as integers when they are
 * whole, else with 9 significant digits.
 *
 * Probe values (struct sc_probe) follow blackbox_exporter's http prober,
 * so that its dashboards and alert rules carry over: probe_success (1 when
 * the final status is 2xx), probe_http_status_code (0 without a response),
 * probe_http_duration_seconds by phase, summed over redirects (resolve;
 * connect; tls, which as there runs from the name being resolved to the
 * TLS handshake done, so it includes the connect; processing, connected
 * to first response byte; transfer, the rest), probe_http_redirects,
 * probe_http_version (1.1, 2), probe_http_ssl, probe_http_content_length
 * (-1 unknown, 0 without a response), probe_ssl_earliest_cert_expiry (only
 * over TLS), probe_ip_protocol, probe_dns_lookup_time_seconds and
 * probe_failed_due_to_regex (always 0: sitecheck matches no bodies).
 * Pure functions, no I/O, no locks. */
#ifndef SC_METRICS_H
#define SC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "util.h"

#define SC_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Appends "# HELP name help\n# TYPE name type\n". */
void sc_metric_family(struct sc_buf *b, const char *name, const char *type,
                      const char *help);

/* Appends v as the format writes numbers: whole numbers as integers,
 * others with 9 significant digits, NaN, +Inf and -Inf. */
void sc_metric_value(struct sc_buf *b, double v);

/* Appends s[0..n) as the inside of a quoted label value (see above). */
void sc_metric_label(struct sc_buf *b, const char *s, size_t n);

/* Appends a sample line "name{labels} v\n"; labels is the inside of the
 * braces, already escaped, or "" for none. */
void sc_metric_sample(struct sc_buf *b, const char *name, const char *labels,
                      double v);

/* A histogram with Prometheus' default buckets (5 ms to 10 s), written
 * as the format's cumulative _bucket{le=...}, _sum and _count samples. */
enum { SC_METRIC_BUCKETS = 11 };
struct sc_metric_hist {
  uint64_t b[SC_METRIC_BUCKETS + 1]; /* per bucket, the last one +Inf */
  uint64_t count;
  double sum;
};

/* Counts v (seconds). */
void sc_metric_hist_add(struct sc_metric_hist *h, double v);

/* Appends h as family name (with its HELP and TYPE). */
void sc_metric_hist_text(struct sc_buf *b, const char *name, const char *help,
                         const struct sc_metric_hist *h);

/* The phases of probe_http_duration_seconds, in the (alphabetical) order
 * they are written. */
enum sc_phase {
  SC_PHASE_CONNECT,
  SC_PHASE_PROCESSING,
  SC_PHASE_RESOLVE,
  SC_PHASE_TLS,
  SC_PHASE_TRANSFER,
  SC_PHASES
};

/* The probe values of one check (see above), as the numbers written. */
struct sc_probe {
  double success;
  double duration_s; /* probe_duration_seconds */
  double phase_s[SC_PHASES];
  double status;
  double redirects;
  double http_version;
  double ssl;
  double content_length;
  double cert_earliest; /* Unix time; 0: no TLS, not written */
  double ip_protocol;   /* 4 or 6; 0 unknown */
  double dns_s;
};

/* Whether a result counts as up: a final status that is OK as --accept
 * says (r->ok, set by the caller; the default 2xx is the http_2xx
 * module's rule). */
int sc_probe_up(const struct sc_result *r);

/* The probe values of result r; duration_s is the check's time. */
void sc_probe_from_result(struct sc_probe *p, const struct sc_result *r);

/* The probe_* families, numbered 0 .. SC_PROBE_FAMILIES - 1 in the order
 * they are written (alphabetical, as blackbox_exporter's client library
 * writes them). */
enum { SC_PROBE_FAMILIES = 12 };

/* Family i's name ("probe_success"). */
const char *sc_probe_family_name(int i);

/* Appends family i's HELP and TYPE lines. */
void sc_probe_family_head(struct sc_buf *b, int i);

/* Appends family i's samples for p, each with the labels given (the
 * inside of the braces, "" for none): one sample, or one per phase. A
 * family that does not apply to p (the certificate's, without TLS)
 * appends nothing. */
void sc_probe_family_samples(struct sc_buf *b, int i, const char *labels,
                             const struct sc_probe *p);

/* Appends p as /probe answers, blackbox_exporter's way: every family
 * that applies, with its HELP and TYPE, no labels but the phase. */
void sc_probe_text(struct sc_buf *b, const struct sc_probe *p);

#endif
