/* metrics.c - see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

void sc_metric_family(struct sc_buf *b, const char *name, const char *type,
                      const char *help) {
  sc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void sc_metric_value(struct sc_buf *b, double v) {
  if (isnan(v))
    sc_buf_adds(b, "NaN");
  else if (isinf(v))
    sc_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor(v) && fabs(v) < 1e15)
    sc_buf_printf(b, "%.0f", v);
  else
    sc_buf_printf(b, "%.9g", v);
}

void sc_metric_label(struct sc_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  sc_buf_reserve(b, n);
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t len = c < 0x20 || c == 0x7F ? 0 : sc_utf8_shown_len(s + i, n - i);
    if (len == 0) {
      sc_buf_adds(b, "\xEF\xBF\xBD"); /* U+FFFD */
      i++;
    } else if (c == '\\' || c == '"') {
      char esc[2] = {'\\', (char)c};
      sc_buf_add(b, esc, 2);
      i++;
    } else {
      sc_buf_add(b, s + i, len);
      i += len;
    }
  }
}

void sc_metric_sample(struct sc_buf *b, const char *name, const char *labels,
                      double v) {
  sc_buf_adds(b, name);
  if (labels[0]) sc_buf_printf(b, "{%s}", labels);
  sc_buf_addc(b, ' ');
  sc_metric_value(b, v);
  sc_buf_addc(b, '\n');
}

/* Prometheus' default bucket bounds, in seconds. */
static const double bounds[SC_METRIC_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

void sc_metric_hist_add(struct sc_metric_hist *h, double v) {
  int i = 0;
  while (i < SC_METRIC_BUCKETS && v > bounds[i]) i++;
  h->b[i]++;
  h->count++;
  h->sum += v;
}

void sc_metric_hist_text(struct sc_buf *b, const char *name, const char *help,
                         const struct sc_metric_hist *h) {
  uint64_t cum = 0;
  sc_metric_family(b, name, "histogram", help);
  for (int i = 0; i <= SC_METRIC_BUCKETS; i++) {
    cum += h->b[i];
    sc_buf_printf(b, "%s_bucket{le=\"", name);
    if (i < SC_METRIC_BUCKETS)
      sc_metric_value(b, bounds[i]);
    else
      sc_buf_adds(b, "+Inf");
    sc_buf_printf(b, "\"} %llu\n", (unsigned long long)cum);
  }
  sc_buf_printf(b, "%s_sum ", name);
  sc_metric_value(b, h->sum);
  sc_buf_printf(b, "\n%s_count %llu\n", name, (unsigned long long)h->count);
}

int sc_probe_up(const struct sc_result *r) {
  return r->a.cls == SC_OK && r->ok;
}

/* A phase timing in seconds: 0 where it does not apply. */
static double secs(double ms) {
  return ms > 0 ? ms / 1000.0 : 0;
}

void sc_probe_from_result(struct sc_probe *p, const struct sc_result *r) {
  const struct sc_answer *a = &r->a;
  int answered = a->cls == SC_OK && a->status > 0;
  memset(p, 0, sizeof *p);
  p->success = sc_probe_up(r);
  p->duration_s = secs(a->time_ms);
  p->status = answered ? a->status : 0;
  p->redirects = (double)a->redirects;
  p->http_version = answered ? atof(a->http_version) : 0;
  p->ssl = answered && r->final_url && strncmp(r->final_url, "https:", 6) == 0;
  p->content_length = answered ? (double)a->content_length : 0;
  if (p->ssl && a->cert_earliest) p->cert_earliest = (double)a->cert_earliest;
  p->ip_protocol = !a->ip[0] ? 0 : strchr(a->ip, ':') ? 6 : 4;
  p->dns_s = secs(a->dns_ms);
  p->phase_s[SC_PHASE_RESOLVE] = secs(a->dns_ms);
  p->phase_s[SC_PHASE_CONNECT] = secs(a->connect_ms);
  /* As blackbox_exporter has it: from the name resolved to TLS done. */
  if (a->tls_ms > 0) p->phase_s[SC_PHASE_TLS] = secs(a->connect_ms + a->tls_ms);
  p->phase_s[SC_PHASE_PROCESSING] = secs(a->ttfb_ms);
  p->phase_s[SC_PHASE_TRANSFER] = secs(a->transfer_ms);
}

/* How a family's samples come from struct sc_probe. */
enum family_kind {
  ONE,      /* one sample, the double at .at */
  PHASES,   /* one per phase, from phase_s */
  IF_TLS,   /* one, only where the value is not 0 (the certificate's) */
  ALWAYS_0, /* one, 0 */
};

static const struct {
  const char *name, *help;
  enum family_kind kind;
  size_t at;
} families[SC_PROBE_FAMILIES] = {
    {"probe_dns_lookup_time_seconds",
     "Returns the time taken for probe dns lookup in seconds", ONE,
     offsetof(struct sc_probe, dns_s)},
    {"probe_duration_seconds",
     "Returns how long the probe took to complete in seconds", ONE,
     offsetof(struct sc_probe, duration_s)},
    {"probe_failed_due_to_regex", "Indicates if probe failed due to regex",
     ALWAYS_0, 0},
    {"probe_http_content_length", "Length of http content response", ONE,
     offsetof(struct sc_probe, content_length)},
    {"probe_http_duration_seconds",
     "Duration of http request by phase, summed over all redirects", PHASES, 0},
    {"probe_http_redirects", "The number of redirects", ONE,
     offsetof(struct sc_probe, redirects)},
    {"probe_http_ssl", "Indicates if SSL was used for the final redirect", ONE,
     offsetof(struct sc_probe, ssl)},
    {"probe_http_status_code", "Response HTTP status code", ONE,
     offsetof(struct sc_probe, status)},
    {"probe_http_version", "Returns the version of HTTP of the probe response",
     ONE, offsetof(struct sc_probe, http_version)},
    {"probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6",
     ONE, offsetof(struct sc_probe, ip_protocol)},
    {"probe_ssl_earliest_cert_expiry",
     "Returns earliest SSL cert expiry in unixtime", IF_TLS,
     offsetof(struct sc_probe, cert_earliest)},
    {"probe_success", "Displays whether or not the probe was a success", ONE,
     offsetof(struct sc_probe, success)},
};

static const char *const phase_names[SC_PHASES] = {
    "connect", "processing", "resolve", "tls", "transfer"};

const char *sc_probe_family_name(int i) {
  return families[i].name;
}

void sc_probe_family_head(struct sc_buf *b, int i) {
  sc_metric_family(b, families[i].name, "gauge", families[i].help);
}

void sc_probe_family_samples(struct sc_buf *b, int i, const char *labels,
                             const struct sc_probe *p) {
  const char *name = families[i].name;
  double v = 0;
  switch (families[i].kind) {
    case PHASES:
      for (int k = 0; k < SC_PHASES; k++) {
        sc_buf_printf(b, "%s{%s%sphase=\"%s\"} ", name, labels,
                      labels[0] ? "," : "", phase_names[k]);
        sc_metric_value(b, p->phase_s[k]);
        sc_buf_addc(b, '\n');
      }
      return;
    case ALWAYS_0:
      break;
    case IF_TLS:
    case ONE:
      memcpy(&v, (const char *)p + families[i].at, sizeof v);
      if (families[i].kind == IF_TLS && v == 0) return;
      break;
  }
  sc_metric_sample(b, name, labels, v);
}

void sc_probe_text(struct sc_buf *b, const struct sc_probe *p) {
  for (int i = 0; i < SC_PROBE_FAMILIES; i++) {
    size_t before = b->len;
    sc_probe_family_head(b, i);
    size_t head = b->len;
    sc_probe_family_samples(b, i, "", p);
    if (b->len == head) b->len = before; /* no sample: no family either */
  }
}
