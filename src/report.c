/* report.c - see report.h. The accumulator's parts and their caps:
 * counts by status and class (fixed tables), check times (hist.h), the
 * SLOWEST slowest checks, the first max_rows failures (their strings cut
 * to fixed lengths; the chains of the first CHAINS_MAX that had one), the
 * first CERTS_MAX hosts whose certificate expires soon, the failures
 * and the check time per host (topk.h, max_hosts keys each), and per
 * timeline the first SC_TIMELINE_BARS checks, TL_BUCKETS buckets of
 * checks in flight and TL_WORKERS worker names. */
#include "report.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "htab.h"
#include "record.h"
#include "topk.h"
#include "where.h"

#define SLOWEST 20      /* checks in the phase chart */
#define TOP_HOSTS 15    /* rows of each host table */
#define CHAINS_MAX 200  /* redirect chains kept */
#define CERTS_MAX 1000  /* hosts with an expiring certificate kept */
#define URL_KEEP 2048   /* bytes kept of a URL */
#define URL_SHOW 200    /* bytes shown of a URL */
#define PLACE_SHOW 120  /* bytes shown of a place that links to it */
#define DETAIL_KEEP 512 /* bytes kept of a detail */
#define CHAIN_KEEP 8192 /* bytes kept of a chain */
#define TEXT_KEEP 512   /* bytes kept of input, source */
#define CLASSES_MAX 64  /* distinct failure class names counted */
#define KEY_MAX 32      /* a class name's bytes, with the NUL */
#define FLUSH_AT 65536  /* output buffered before a write */
#define TL_BUCKETS 480  /* checks in flight over a run (even) */
#define TL_WORKERS 4096 /* worker names told apart per timeline */
#define TL_URL 200      /* bytes kept of a URL for a bar's tooltip */
#define TL_COLORS 6     /* worker colours, in turn */

/* One failure as the table shows it. */
struct row {
  uint64_t line;
  double time_ms;
  int64_t redirects;
  int linked;                 /* as struct sc_report_rec */
  uint64_t referrers;         /* places known when it was added */
  const struct sc_refs *refs; /* the run's, read when written; or NULL */
  char key[KEY_MAX];          /* status code or class: what the filter uses */
  int url_cut;                /* url holds only the first URL_KEEP bytes */
  char *url, *detail, *chain, *input, *source;
};

/* One of the slowest checks. */
struct slow {
  double time_ms, phase[4]; /* dns, connect, tls, ttfb */
  uint64_t line;
  char key[KEY_MAX];
  int url_cut;
  char *url;
};

/* A worker's name as the records give it, and its bars' colour. */
struct worker {
  struct sc_hnode node;
  char name[32];
  int color;
};

/* One check on a timeline. */
struct bar {
  double start, end; /* ms from its run's start */
  uint64_t line;
  const struct worker *w; /* NULL: none named, or past TL_WORKERS */
  int ok;
  char key[KEY_MAX];
  char *url; /* cut to TL_URL bytes */
};

/* One run's checks over time. Checks in flight are kept as the check time
 * that falls in each of TL_BUCKETS buckets of width ms from the run's
 * start; when a check ends past the last bucket, neighbouring buckets are
 * merged pairwise and the width doubles, so the buckets always cover the
 * run seen so far with between half and all of them. */
struct timeline {
  char *label, *note;
  double wall_ms, cpu_s, rss_mb;
  uint64_t n;       /* checks with a start time */
  uint64_t untimed; /* results without one */
  double end;       /* the last answer */
  double busy;      /* check time summed */
  struct bar *bars; /* the checks while there are at most
                       SC_TIMELINE_BARS; NULL past that */
  size_t nbars, bars_cap;
  double width; /* ms per bucket */
  double flight[TL_BUCKETS];
  struct sc_htab workers;
  size_t nworkers;
  int workers_full; /* more names came than TL_WORKERS */
  int unnumbered;   /* a name is not "KIND N" */
  int mixed_kinds;  /* names of more than one KIND */
  char kind[32];    /* the first name's first word */
  const struct worker *first_worker;
};

/* A host whose certificate expires within expiry_days. */
struct cert {
  struct sc_hnode node;
  char *host;
  int32_t days;
  int64_t expiry;
  uint64_t urls;
};

struct sc_report {
  char *title, *subtitle, *options;
  size_t max_rows, max_hosts;
  int expiry_days;

  uint64_t records, ok, dups, skipped, no_time;
  uint64_t status[1000];
  uint64_t status_other; /* a status outside 100..999 */
  struct {
    char name[KEY_MAX];
    uint64_t n;
  } cls[CLASSES_MAX];
  int ncls;
  uint64_t cls_overflow; /* classes past CLASSES_MAX */

  struct sc_hist times;
  struct slow slow[SLOWEST];
  int nslow;

  struct row *rows;
  size_t nrows;
  uint64_t rows_more;
  int any_where; /* some row knows where its URL was found */
  size_t nchains;
  uint64_t chains_more;

  struct sc_htab certs;
  size_t ncerts;
  uint64_t certs_more; /* URLs of hosts past CERTS_MAX */

  struct sc_topk fail_hosts, time_hosts;
  uint64_t no_host;
  CURLU *cu;

  int only_timelines;
  struct timeline **tl; /* in the order they were started */
  size_t ntl;
};

/* ------------------------------------------------------------ strings */

void sc_html_escape(struct sc_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  sc_buf_reserve(b, n);
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '&' && s[j] != '<' &&
           s[j] != '>' && s[j] != '"' && s[j] != '\'')
      j++;
    if (j > i) {
      sc_buf_add(b, s + i, j - i);
      i = j;
      continue;
    }
    unsigned c = s[i];
    const char *ent = c == '&'    ? "&amp;"
                      : c == '<'  ? "&lt;"
                      : c == '>'  ? "&gt;"
                      : c == '"'  ? "&quot;"
                      : c == '\'' ? "&#39;"
                                  : NULL;
    size_t l = 1;
    if (ent)
      sc_buf_adds(b, ent);
    else if (c == '\t' || c == '\n')
      sc_buf_addc(b, (char)c);
    else if (c < 0x80 || !(l = sc_utf8_shown_len(s + i, n - i)))
      sc_buf_adds(b, "\xEF\xBF\xBD"), l = 1;
    else
      sc_buf_add(b, s + i, l);
    i += l;
  }
}

static void esc(struct sc_buf *b, const char *s) {
  sc_html_escape(b, s, strlen(s));
}

int sc_report_is_link(const char *s, size_t n) {
  size_t p = n >= 7 && strncasecmp(s, "http://", 7) == 0    ? 7
             : n >= 8 && strncasecmp(s, "https://", 8) == 0 ? 8
                                                            : 0;
  if (!p || n == p) return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
  return 1;
}

void sc_report_mask(struct sc_buf *b, const char *s, size_t n) {
  const char *end = s + n, *auth = NULL;
  for (const char *p = s; p + 3 <= end && p < s + 40; p++)
    if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
      auth = p + 3;
      break;
    }
  const char *host_end = auth, *at = NULL, *colon = NULL;
  if (auth) {
    while (host_end < end && *host_end != '/' && *host_end != '?' &&
           *host_end != '#')
      host_end++;
    for (const char *p = auth; p < host_end; p++)
      if (*p == '@') at = p;
    if (at) colon = memchr(auth, ':', (size_t)(at - auth));
  }
  if (!colon || colon + 1 == at) {
    sc_buf_add(b, s, n);
    return;
  }
  sc_buf_add(b, s, (size_t)(colon + 1 - s));
  sc_buf_adds(b, "***");
  sc_buf_add(b, at, (size_t)(end - at));
}

/* The longest prefix of s[0..n) of at most max bytes that ends on a
 * character boundary. */
static size_t cut_len(const char *s, size_t n, size_t max) {
  if (n <= max) return n;
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
  return max;
}

/* Appends s as a link or text; a URL kept only in part (cut) is text,
 * since its link would go elsewhere. */
static void url_html(struct sc_buf *b, const char *s, size_t n, size_t max,
                     int cut) {
  struct sc_buf m = {0};
  sc_report_mask(&m, s, n);
  size_t show = cut_len(m.data, m.len, max);
  int link = !cut && sc_report_is_link(m.data, m.len);
  if (link) {
    sc_buf_adds(b, "<a href=\"");
    sc_html_escape(b, m.data, m.len);
    sc_buf_adds(b, "\" rel=\"noopener noreferrer nofollow\">");
  } else {
    sc_buf_adds(b, "<span class=\"u\">");
  }
  sc_html_escape(b, m.data, show);
  if (show < m.len || cut) sc_buf_adds(b, "\xE2\x80\xA6");
  sc_buf_adds(b, link ? "</a>" : "</span>");
  sc_buf_free(&m);
}

void sc_report_url(struct sc_buf *b, const char *s, size_t n, size_t max) {
  url_html(b, s, n, max, 0);
}

/* A copy of s[0..n) cut to max bytes on a character boundary; *cut says
 * whether it was. NULL for NULL. */
static char *keep(const char *s, size_t n, size_t max, int *cut) {
  if (!s) return NULL;
  size_t l = cut_len(s, n, max);
  if (cut) *cut = l < n;
  return sc_xstrndup(s, l);
}

static char *keep_str(const char *s, size_t max) {
  return s ? keep(s, strlen(s), max, NULL) : NULL;
}

/* Appends n with thousands separators. */
static void add_count(struct sc_buf *b, uint64_t n) {
  char d[32];
  int len = snprintf(d, sizeof d, "%llu", (unsigned long long)n);
  for (int i = 0; i < len; i++) {
    if (i && (len - i) % 3 == 0) sc_buf_addc(b, ',');
    sc_buf_addc(b, d[i]);
  }
}

/* Appends a duration: "0.4 ms", "12.3 ms", "431 ms", "2.50 s". */
static void add_ms(struct sc_buf *b, double ms) {
  if (ms < 0)
    sc_buf_adds(b, "\xE2\x80\x93");
  else if (ms < 100)
    sc_buf_printf(b, "%.1f ms", ms);
  else if (ms < 1000)
    sc_buf_printf(b, "%.0f ms", ms);
  else
    sc_buf_printf(b, "%.2f s", ms / 1000);
}

/* ------------------------------------------------------------ counting */

void sc_report_rec_init(struct sc_report_rec *v) {
  memset(v, 0, sizeof *v);
  v->ok = -1;
  v->time_ms = -1;
  v->redirects = -1;
  v->attempts = -1;
  v->cert_days_left = SC_NO_DAYS;
  v->dns_ms = v->connect_ms = v->tls_ms = v->ttfb_ms = -1;
  v->start_ms = -1;
  v->linked = -1;
}

void sc_report_rec_from_result(struct sc_report_rec *v,
                               const struct sc_result *r) {
  const struct sc_answer *a = &r->a;
  sc_report_rec_init(v);
  v->url = r->url;
  v->url_len = r->url_len;
  v->line = r->line;
  v->status = a->status;
  v->error = sc_class_name((enum sc_class)a->cls);
  v->detail = a->detail[0] ? a->detail : NULL;
  v->time_ms = a->time_ms;
  v->redirects = a->redirects;
  v->attempts = a->attempts;
  v->chain = r->chain;
  v->cert_expiry = a->cert_expiry;
  v->cert_days_left = a->cert_days_left;
  v->dns_ms = a->dns_ms;
  v->connect_ms = a->connect_ms;
  v->tls_ms = a->tls_ms;
  v->ttfb_ms = a->ttfb_ms;
  v->duplicate_of = r->duplicate_of;
  v->tried_url = r->tried_url ? r->tried_url : r->check_url;
  v->input = r->input;
  v->ok = r->ok;
  v->linked = r->linked ? 1 : 0;
  v->source = r->source;
  v->referrers = r->referrers;
  v->refs = r->refs;
  v->start_ms = a->start_ms;
  v->worker = a->worker[0] ? a->worker : NULL;
}

struct sc_report *sc_report_new(const struct sc_report_opts *o) {
  struct sc_report_opts d = {0};
  if (!o) o = &d;
  struct sc_report *rep = sc_xcalloc(1, sizeof *rep);
  rep->title = sc_xstrdup(o->title ? o->title : "sitecheck report");
  rep->subtitle = o->subtitle ? sc_xstrdup(o->subtitle) : NULL;
  rep->options = o->options ? sc_xstrdup(o->options) : NULL;
  rep->max_rows = o->max_rows ? o->max_rows : 10000;
  rep->max_hosts = o->max_hosts ? o->max_hosts : 100000;
  rep->expiry_days = o->expiry_days ? o->expiry_days : 30;
  rep->only_timelines = o->only_timelines;
  sc_hist_init(&rep->times);
  sc_ht_init(&rep->certs);
  sc_topk_init(&rep->fail_hosts, rep->max_hosts);
  sc_topk_init(&rep->time_hosts, rep->max_hosts);
  rep->cu = curl_url();
  if (!rep->cu) sc_oom();
  return rep;
}

void sc_report_skipped(struct sc_report *rep, uint64_t lines) {
  rep->skipped += lines;
}

static int is_ok(const struct sc_report_rec *v) {
  return v->ok >= 0 ? v->ok != 0 : v->status >= 200 && v->status <= 299;
}

/* The tally key of v: its status code, else its class, else "unknown". */
static void key_of(const struct sc_report_rec *v, char key[KEY_MAX]) {
  if (v->error && *v->error)
    sc_strcpy_cut(key, KEY_MAX, v->error);
  else if (v->status)
    snprintf(key, KEY_MAX, "%d", v->status);
  else
    sc_strcpy_cut(key, KEY_MAX, "unknown");
}

static void count_key(struct sc_report *rep, const struct sc_report_rec *v) {
  if (!(v->error && *v->error)) {
    if (v->status >= 100 && v->status <= 999)
      rep->status[v->status]++;
    else
      rep->status_other++;
    return;
  }
  char name[KEY_MAX];
  sc_strcpy_cut(name, sizeof name, v->error);
  for (int i = 0; i < rep->ncls; i++)
    if (strcmp(rep->cls[i].name, name) == 0) {
      rep->cls[i].n++;
      return;
    }
  if (rep->ncls == CLASSES_MAX) {
    rep->cls_overflow++;
    return;
  }
  memcpy(rep->cls[rep->ncls].name, name, sizeof name);
  rep->cls[rep->ncls++].n = 1;
}

/* The lower-cased host of the URL v checked, into host[size]; 0, or -1
 * when it has none (an invalid URL). Parsed with libcurl's URL API. */
static int host_of(struct sc_report *rep, const struct sc_report_rec *v,
                   char *host, size_t size) {
  char *tmp = NULL;
  const char *u = v->tried_url;
  if (!u) {
    if (!v->url || memchr(v->url, '\0', v->url_len)) return -1;
    u = tmp = sc_xstrndup(v->url, v->url_len);
  }
  char *h = NULL;
  /* Cleared first: on a handle that holds a URL, a new one would be
   * resolved against it as a relative reference. */
  curl_url_set(rep->cu, CURLUPART_URL, NULL, 0);
  int rc = curl_url_set(rep->cu, CURLUPART_URL, u,
                        CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
                       CURLUE_OK &&
                   curl_url_get(rep->cu, CURLUPART_HOST, &h, 0) == CURLUE_OK
               ? 0
               : -1;
  free(tmp);
  if (rc == 0) {
    sc_strcpy_cut(host, size, h);
    for (char *p = host; *p; p++)
      if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  }
  curl_free(h);
  return rc;
}

static void add_slow(struct sc_report *rep, const struct sc_report_rec *v,
                     const char *key) {
  struct slow *s;
  if (rep->nslow < SLOWEST) {
    s = &rep->slow[rep->nslow++];
  } else {
    s = &rep->slow[0];
    for (int i = 1; i < SLOWEST; i++)
      if (rep->slow[i].time_ms < s->time_ms) s = &rep->slow[i];
    if (s->time_ms >= v->time_ms) return;
    free(s->url);
  }
  s->time_ms = v->time_ms;
  s->phase[0] = v->dns_ms;
  s->phase[1] = v->connect_ms;
  s->phase[2] = v->tls_ms;
  s->phase[3] = v->ttfb_ms;
  s->line = v->line;
  memcpy(s->key, key, KEY_MAX);
  s->url = keep(v->url ? v->url : "", v->url ? v->url_len : 0, URL_KEEP,
                &s->url_cut);
}

static void add_row(struct sc_report *rep, const struct sc_report_rec *v,
                    const char *key) {
  if (rep->nrows == rep->max_rows) {
    rep->rows_more++;
    return;
  }
  if (!rep->rows) rep->rows = sc_xcalloc(rep->max_rows, sizeof *rep->rows);
  struct row *r = &rep->rows[rep->nrows++];
  r->line = v->line;
  r->time_ms = v->time_ms;
  r->redirects = v->redirects;
  r->linked = v->linked;
  r->referrers = v->referrers;
  r->refs = v->linked == 1 ? v->refs : NULL;
  memcpy(r->key, key, KEY_MAX);
  r->url = keep(v->url ? v->url : "", v->url ? v->url_len : 0, URL_KEEP,
                &r->url_cut);
  r->detail = keep_str(v->detail, DETAIL_KEEP);
  r->input = keep_str(v->input, TEXT_KEEP);
  r->source = v->linked == 1 ? keep_str(v->source, TEXT_KEEP) : NULL;
  if (v->linked >= 0) rep->any_where = 1;
  if (v->chain && strchr(v->chain, '\n') != strrchr(v->chain, '\n')) {
    if (rep->nchains < CHAINS_MAX) {
      /* Whole "STATUS URL\n" lines only. */
      size_t n = strlen(v->chain);
      if (n > CHAIN_KEEP) {
        n = CHAIN_KEEP;
        while (n > 0 && v->chain[n - 1] != '\n') n--;
      }
      r->chain = sc_xstrndup(v->chain, n);
      rep->nchains++;
    } else {
      rep->chains_more++;
    }
  }
}

static void add_cert(struct sc_report *rep, const struct sc_report_rec *v,
                     const char *host) {
  uint64_t hash = sc_hash_str(0, host);
  struct cert *found =
      SC_HT_FIND_PTR(&rep->certs, hash, host, struct cert, node, host);
  if (found) {
    found->urls++;
    if (v->cert_days_left < found->days) {
      found->days = v->cert_days_left;
      found->expiry = v->cert_expiry;
    }
    return;
  }
  if (rep->ncerts == CERTS_MAX) {
    rep->certs_more++;
    return;
  }
  struct cert *c = sc_xcalloc(1, sizeof *c);
  c->host = sc_xstrdup(host);
  c->days = v->cert_days_left;
  c->expiry = v->cert_expiry;
  c->urls = 1;
  c->node.hash = hash;
  sc_ht_add(&rep->certs, &c->node);
  rep->ncerts++;
}

void sc_report_timeline(struct sc_report *rep,
                        const struct sc_report_timeline *t) {
  struct timeline *tl = sc_xcalloc(1, sizeof *tl);
  tl->label = sc_xstrdup(t && t->label ? t->label : "records");
  tl->note = t && t->note ? sc_xstrdup(t->note) : NULL;
  if (t) {
    tl->wall_ms = t->wall_ms;
    tl->cpu_s = t->cpu_s;
    tl->rss_mb = t->rss_mb;
  }
  tl->width = 1.0 / 16;
  sc_ht_init(&tl->workers);
  rep->tl = sc_xrealloc(rep->tl, (rep->ntl + 1) * sizeof *rep->tl);
  rep->tl[rep->ntl++] = tl;
}

/* The worker called name on tl, added when new; NULL once TL_WORKERS
 * names are known. A name ending in a number ("thread 3") takes its
 * colour from the number, so a worker keeps its colour from run to run;
 * another one by its order of appearance. */
static const struct worker *worker_of(struct timeline *tl, const char *name) {
  char key[32];
  size_t n = cut_len(name, strlen(name), sizeof key - 1);
  memcpy(key, name, n);
  key[n] = '\0';
  uint64_t hash = sc_hash_str(0, key);
  struct worker *w =
      SC_HT_FIND(&tl->workers, hash, key, struct worker, node, name);
  if (w) return w;
  if (tl->nworkers == TL_WORKERS) {
    tl->workers_full = 1;
    return NULL;
  }
  w = sc_xcalloc(1, sizeof *w);
  memcpy(w->name, key, n + 1);
  const char *sp = strchr(key, ' ');
  size_t kind = sp ? (size_t)(sp - key) : n, digits = 0;
  while (digits < n && key[n - 1 - digits] >= '0' && key[n - 1 - digits] <= '9')
    digits++;
  int numbered = sp && digits > 0 && digits < 10 && sp == key + n - digits - 1;
  w->color =
      (int)((numbered ? strtoul(sp + 1, NULL, 10) : tl->nworkers) % TL_COLORS);
  if (!numbered) tl->unnumbered = 1;
  if (!tl->nworkers) {
    tl->first_worker = w;
    memcpy(tl->kind, key, kind);
    tl->kind[kind] = '\0';
  } else if (strlen(tl->kind) != kind || memcmp(tl->kind, key, kind) != 0) {
    tl->mixed_kinds = 1;
  }
  w->node.hash = hash;
  sc_ht_add(&tl->workers, &w->node);
  tl->nworkers++;
  return w;
}

/* Adds the check time of [s, e) to tl's buckets, first widening them
 * until e falls within them. */
static void flight_add(struct timeline *tl, double s, double e) {
  while (e > tl->width * TL_BUCKETS) {
    for (int i = 0; i < TL_BUCKETS / 2; i++)
      tl->flight[i] = tl->flight[2 * i] + tl->flight[2 * i + 1];
    memset(tl->flight + TL_BUCKETS / 2, 0, sizeof tl->flight / 2);
    tl->width *= 2;
  }
  size_t last = (size_t)(e / tl->width);
  if (last >= TL_BUCKETS) last = TL_BUCKETS - 1;
  for (size_t i = (size_t)(s / tl->width); i <= last; i++) {
    double lo = (double)i * tl->width, hi = lo + tl->width;
    double part = (e < hi ? e : hi) - (s > lo ? s : lo);
    if (part > 0) tl->flight[i] += part;
  }
}

static void free_bars(struct timeline *tl) {
  for (size_t i = 0; i < tl->nbars; i++) free(tl->bars[i].url);
  free(tl->bars);
  tl->bars = NULL;
  tl->nbars = tl->bars_cap = 0;
}

/* Puts v on the current timeline: a bar while the run has at most
 * SC_TIMELINE_BARS checks (past that the bars go: the picture becomes
 * checks in flight), and its time in the buckets. */
static void timeline_add(struct sc_report *rep, const struct sc_report_rec *v,
                         const char *key, int ok) {
  if (!rep->ntl) sc_report_timeline(rep, NULL);
  struct timeline *tl = rep->tl[rep->ntl - 1];
  if (v->start_ms < 0 || v->time_ms < 0) {
    tl->untimed++;
    return;
  }
  double s = v->start_ms, e = s + v->time_ms;
  tl->n++;
  tl->busy += v->time_ms;
  if (e > tl->end) tl->end = e;
  flight_add(tl, s, e);
  const struct worker *w = v->worker ? worker_of(tl, v->worker) : NULL;
  if (tl->n > SC_TIMELINE_BARS) {
    if (tl->bars) free_bars(tl);
    return;
  }
  if (tl->nbars == tl->bars_cap) {
    tl->bars_cap = tl->bars_cap ? 2 * tl->bars_cap : 64;
    tl->bars = sc_xrealloc(tl->bars, tl->bars_cap * sizeof *tl->bars);
  }
  struct bar *b = &tl->bars[tl->nbars++];
  b->start = s;
  b->end = e;
  b->line = v->line;
  b->w = w;
  b->ok = ok;
  memcpy(b->key, key, KEY_MAX);
  b->url = keep(v->url ? v->url : "", v->url ? v->url_len : 0, TL_URL, NULL);
}

void sc_report_add(struct sc_report *rep, const struct sc_report_rec *v) {
  char key[KEY_MAX], host[256];
  int ok = is_ok(v);
  rep->records++;
  rep->ok += ok;
  count_key(rep, v);
  key_of(v, key);
  timeline_add(rep, v, key, ok);
  if (!ok) add_row(rep, v, key);
  if (v->duplicate_of) {
    rep->dups++; /* answered by another line's check */
    return;
  }
  int has_host = host_of(rep, v, host, sizeof host) == 0;
  if (!has_host) sc_strcpy_cut(host, sizeof host, "(no host)");
  if (!ok) sc_topk_add(&rep->fail_hosts, host, 1);
  if (has_host && v->cert_days_left != SC_NO_DAYS &&
      v->cert_days_left <= rep->expiry_days)
    add_cert(rep, v, host);
  if (v->time_ms < 0 || v->attempts == 0) {
    rep->no_time++;
    return;
  }
  sc_hist_add(&rep->times, v->time_ms);
  add_slow(rep, v, key);
  if (has_host) sc_topk_add(&rep->time_hosts, host, v->time_ms);
}

void sc_report_free(struct sc_report *rep) {
  if (!rep) return;
  for (size_t i = 0; i < rep->nrows; i++) {
    struct row *r = &rep->rows[i];
    free(r->url);
    free(r->detail);
    free(r->chain);
    free(r->input);
    free(r->source);
  }
  free(rep->rows);
  for (int i = 0; i < rep->nslow; i++) free(rep->slow[i].url);
  for (size_t i = 0; i <= rep->certs.mask; i++)
    for (struct sc_hnode *p = rep->certs.b[i], *next; p; p = next) {
      next = p->next;
      free(((struct cert *)p)->host);
      free(p);
    }
  sc_ht_free(&rep->certs);
  sc_topk_free(&rep->fail_hosts);
  sc_topk_free(&rep->time_hosts);
  curl_url_cleanup(rep->cu);
  for (size_t i = 0; i < rep->ntl; i++) {
    struct timeline *tl = rep->tl[i];
    free_bars(tl);
    for (size_t j = 0; j <= tl->workers.mask; j++)
      for (struct sc_hnode *p = tl->workers.b[j], *next; p; p = next) {
        next = p->next;
        free(p);
      }
    sc_ht_free(&tl->workers);
    free(tl->label);
    free(tl->note);
    free(tl);
  }
  free(rep->tl);
  free(rep->title);
  free(rep->subtitle);
  free(rep->options);
  free(rep);
}

/* ------------------------------------------------------------ writing */

/* The page's one script: sorts the failure table by the clicked column
 * (again: the other way) and shows only the rows of the chosen key that
 * hold the text typed in the search box (any column, any case). It is
 * allowed by its SHA-256 in the Content-Security-Policy, so no other
 * script, inline handler or fetch can run. */
static const char script[] =
    "(function () {\n"
    "  var t = document.getElementById('ft');\n"
    "  if (!t) return;\n"
    "  var body = t.tBodies[0], heads = t.tHead.rows[0].cells;\n"
    "  var rows = Array.prototype.slice.call(body.rows), each = "
    "Array.prototype.forEach;\n"
    "  function val(r, i) {\n"
    "    var c = r.cells[i], v = c.getAttribute('data-v');\n"
    "    return v === null ? c.textContent : v;\n"
    "  }\n"
    "  each.call(heads, function (h, i) {\n"
    "    function sort() {\n"
    "      var up = h.getAttribute('aria-sort') !== 'ascending';\n"
    "      var num = h.hasAttribute('data-num');\n"
    "      each.call(heads, function (o) { o.removeAttribute('aria-sort'); "
    "});\n"
    "      h.setAttribute('aria-sort', up ? 'ascending' : 'descending');\n"
    "      rows.sort(function (a, b) {\n"
    "        var x = val(a, i), y = val(b, i);\n"
    "        var d = num ? x - y : x.localeCompare(y);\n"
    "        return up ? d : -d;\n"
    "      });\n"
    "      rows.forEach(function (r) { body.appendChild(r); });\n"
    "    }\n"
    "    h.addEventListener('click', sort);\n"
    "    h.addEventListener('keydown', function (e) {\n"
    "      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); "
    "sort(); }\n"
    "    });\n"
    "  });\n"
    "  var shown = document.getElementById('shown');\n"
    "  var q = document.getElementById('q'), k = '';\n"
    "  var buttons = document.querySelectorAll('#filter button');\n"
    "  function filter() {\n"
    "    var s = q.value.toLowerCase(), n = 0;\n"
    "    rows.forEach(function (r) {\n"
    "      var hide = (k !== '' && r.getAttribute('data-k') !== k) ||\n"
    "          (s !== '' && r.textContent.toLowerCase().indexOf(s) < 0);\n"
    "      r.hidden = hide;\n"
    "      if (!hide) n++;\n"
    "    });\n"
    "    shown.textContent = n.toLocaleString('en-US');\n"
    "  }\n"
    "  each.call(buttons, function (b) {\n"
    "    b.addEventListener('click', function () {\n"
    "      k = b.getAttribute('data-k');\n"
    "      each.call(buttons, function (o) {\n"
    "        o.setAttribute('aria-pressed', o === b ? 'true' : 'false');\n"
    "      });\n"
    "      filter();\n"
    "    });\n"
    "  });\n"
    "  q.addEventListener('input', filter);\n"
    "})();\n";

static const char style[] =
    ":root{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "Helvetica,Arial,sans-serif;color:#1f2328;background:#fff}\n"
    "body{margin:0 auto;max-width:1100px;padding:20px 24px 40px}\n"
    "h1{font-size:26px;margin:0 0 2px}\n"
    "h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;"
    "border-bottom:1px solid #d0d7de}\n"
    "h3{font-size:15px;margin:18px 0 6px}\n"
    ".sub,.note{color:#57606a}.note{font-size:13px;margin:6px 0}\n"
    "nav{margin:10px 0 0;font-size:14px}nav a{margin-right:14px}\n"
    "a{color:#0969da}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
    ".card{border:1px solid #d0d7de;border-radius:6px;padding:8px 16px;"
    "min-width:110px}\n"
    ".card b{display:block;font-size:24px;font-variant-numeric:tabular-nums}"
    "\n.card.good b{color:#1a7f37}.card.bad b{color:#cf222e}\n"
    "table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}\n"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;"
    "vertical-align:top}\n"
    "th{background:#f6f8fa;font-weight:600;white-space:nowrap}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "table.narrow{width:auto;min-width:40%}\n"
    ".two{display:flex;flex-wrap:wrap;gap:8px 32px;align-items:flex-start}\n"
    ".two table.narrow{min-width:0}\n"
    "#ft th{cursor:pointer;user-select:none}#ft th:hover{background:#eaeef2}"
    "\n#ft th[aria-sort=ascending]::after{content:' \\25B2'}\n"
    "#ft th[aria-sort=descending]::after{content:' \\25BC'}\n"
    "a,.u{word-break:break-all}\n"
    ".k{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:13px}\n"
    "#filter{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}\n"
    "#filter button{font:inherit;font-size:13px;padding:2px 10px;"
    "border:1px solid #d0d7de;border-radius:12px;background:#f6f8fa;"
    "cursor:pointer}\n"
    "#filter button[aria-pressed=true]{background:#0969da;color:#fff;"
    "border-color:#0969da}\n"
    "#q{font:inherit;font-size:13px;padding:2px 10px;border:1px solid "
    "#d0d7de;border-radius:12px;min-width:16em}\n"
    ".approx{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;"
    "padding:4px 10px;font-size:13px}\n"
    "ol.chain{margin:2px 0 10px;padding-left:22px}\n"
    "svg{display:block;max-width:100%;height:auto}\n"
    "svg text{font:12px system-ui,sans-serif;fill:#1f2328}\n"
    ".legend span{display:inline-block;margin-right:14px;font-size:13px}\n"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;"
    "vertical-align:-1px}\n"
    ".tl{display:grid;grid-template-columns:220px minmax(0,1fr);"
    "gap:0 20px;margin:12px 0 20px;align-items:start}\n"
    ".tl h3{margin:0 0 4px;font-size:17px}\n"
    ".tlstats{width:auto;font-size:13px;margin:0}\n"
    ".tlstats th{background:none;font-weight:400;color:#57606a;"
    "padding:1px 10px 1px 0;border:0}\n"
    ".tlstats td{padding:1px 0;border:0;font-variant-numeric:tabular-nums}\n"
    ".tlnote{font-size:13px;margin:6px 0 0}\n"
    "footer{margin-top:36px;color:#57606a;font-size:12px}\n";

/* Where the document is built: flushed to f at row boundaries. */
struct w {
  struct sc_buf b;
  FILE *f;
  int failed;
};

static void flush(struct w *w, int force) {
  if (!force && w->b.len < FLUSH_AT) return;
  if (w->b.len && fwrite(w->b.data, 1, w->b.len, w->f) != w->b.len)
    w->failed = 1;
  w->b.len = 0;
}

/* The script's hash for the policy: base64 of its SHA-256. */
static void script_hash(char out[64]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  out[0] = '\0';
  if (EVP_Digest(script, sizeof script - 1, md, &n, EVP_sha256(), NULL))
    EVP_EncodeBlock((unsigned char *)out, md, (int)n);
}

/* A tally key: a status code, a failure class, or the two overflows. */
struct key {
  char name[KEY_MAX];
  uint64_t n;
  const char *color;
};

static const char *status_color(int s) {
  return s < 200   ? "#8c959f"
         : s < 300 ? "#2da44e"
         : s < 400 ? "#0969da"
         : s < 500 ? "#e16f24"
         : s < 600 ? "#cf222e"
                   : "#8c959f";
}

static int cmp_class(const void *a, const void *b) {
  return strcmp(((const struct key *)a)->name, ((const struct key *)b)->name);
}

/* The keys in the tally's order (codes, then classes by name); returns
 * how many (the caller frees *out). */
static size_t keys(const struct sc_report *rep, struct key **out) {
  struct key *k = sc_xcalloc(1000 + CLASSES_MAX + 2, sizeof *k);
  size_t n = 0;
  for (int s = 100; s < 1000; s++)
    if (rep->status[s]) {
      snprintf(k[n].name, KEY_MAX, "%d", s);
      k[n].n = rep->status[s];
      k[n++].color = status_color(s);
    }
  if (rep->status_other) {
    sc_strcpy_cut(k[n].name, KEY_MAX, "unknown");
    k[n].n = rep->status_other;
    k[n++].color = "#8c959f";
  }
  size_t c0 = n;
  for (int i = 0; i < rep->ncls; i++) {
    memcpy(k[n].name, rep->cls[i].name, KEY_MAX);
    k[n].n = rep->cls[i].n;
    k[n++].color = "#8250df";
  }
  qsort(k + c0, n - c0, sizeof *k, cmp_class);
  if (rep->cls_overflow) {
    sc_strcpy_cut(k[n].name, KEY_MAX, "other classes");
    k[n].n = rep->cls_overflow;
    k[n++].color = "#8250df";
  }
  *out = k;
  return n;
}

static void pct(struct sc_buf *b, uint64_t part, uint64_t whole) {
  sc_buf_printf(b, "%.1f%%", whole ? 100.0 * (double)part / (double)whole : 0);
}

static void card(struct sc_buf *b, const char *cls, const char *label,
                 uint64_t n) {
  sc_buf_printf(b, "<div class=\"card%s%s\"><b>", *cls ? " " : "", cls);
  add_count(b, n);
  sc_buf_adds(b, "</b>");
  esc(b, label);
  sc_buf_adds(b, "</div>\n");
}

static void summary(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  uint64_t bad = rep->records - rep->ok;
  sc_buf_adds(b,
              "<section id=\"summary\"><h2>Summary</h2>\n<div "
              "class=\"cards\">\n");
  card(b, "", "records", rep->records);
  card(b, "good", "OK", rep->ok);
  card(b, bad ? "bad" : "", "not OK", bad);
  if (rep->dups) card(b, "", "--dedup repeats", rep->dups);
  if (rep->skipped) card(b, "bad", "lines skipped (not records)", rep->skipped);
  sc_buf_adds(b,
              "</div>\n<p class=\"note\">OK means the record's "
              "<code>ok</code> field where it has one, else a 2xx "
              "status.");
  if (rep->records)
    sc_buf_adds(b, " Not OK: "), pct(b, bad, rep->records),
        sc_buf_adds(b, " of the records.");
  if (rep->skipped)
    sc_buf_adds(b, " Lines that were not JSON records were skipped.");
  sc_buf_adds(b, "</p>\n</section>\n");
}

/* Horizontal bars, one per key, with its count. */
static void status_chart(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  struct key *k;
  size_t n = keys(rep, &k);
  sc_buf_adds(b,
              "<section id=\"statuses\"><h2>Statuses and failure "
              "classes</h2>\n");
  if (!n) {
    sc_buf_adds(b, "<p>No records.</p></section>\n");
    free(k);
    return;
  }
  sc_buf_adds(b, "<div class=\"two\"><div>");
  uint64_t max = 1;
  for (size_t i = 0; i < n; i++)
    if (k[i].n > max) max = k[i].n;
  const int width = 600, label = 140, room = width - label - 100, h = 24;
  int height = (int)n * h + 8;
  sc_buf_printf(b,
                "<svg id=\"keys\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                "height=\"%d\" role=\"img\" aria-label=\"records by status "
                "and failure class\">\n",
                width, height, width, height);
  for (size_t i = 0; i < n; i++) {
    int y = (int)i * h + 4;
    double bw = (double)room * (double)k[i].n / (double)max;
    if (bw < 2) bw = 2;
    sc_buf_adds(b, "<g><title>");
    esc(b, k[i].name);
    sc_buf_adds(b, ": ");
    add_count(b, k[i].n);
    sc_buf_adds(b, " (");
    pct(b, k[i].n, rep->records);
    sc_buf_printf(b,
                  ")</title><text x=\"%d\" y=\"%d\" "
                  "text-anchor=\"end\">",
                  label - 8, y + 13);
    esc(b, k[i].name);
    sc_buf_printf(b,
                  "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
                  "height=\"17\" rx=\"2\" fill=\"%s\"/>"
                  "<text x=\"%.1f\" y=\"%d\">",
                  label, y, bw, k[i].color, label + bw + 6, y + 13);
    add_count(b, k[i].n);
    sc_buf_adds(b, " (");
    pct(b, k[i].n, rep->records);
    sc_buf_adds(b, ")</text></g>\n");
  }
  sc_buf_adds(b,
              "</svg>\n<div class=\"legend\">"
              "<span><i style=\"background:#2da44e\"></i>2xx</span>"
              "<span><i style=\"background:#0969da\"></i>3xx</span>"
              "<span><i style=\"background:#e16f24\"></i>4xx</span>"
              "<span><i style=\"background:#cf222e\"></i>5xx</span>"
              "<span><i style=\"background:#8250df\"></i>failure class "
              "(no HTTP answer)</span></div></div>\n");
  uint64_t group[7] = {0}; /* 1xx..5xx, others, classes */
  for (int s = 100; s < 1000; s++)
    group[s < 600 ? s / 100 - 1 : 5] += rep->status[s];
  group[5] += rep->status_other;
  for (int i = 0; i < rep->ncls; i++) group[6] += rep->cls[i].n;
  group[6] += rep->cls_overflow;
  static const char *const gname[7] = {
      "1xx", "2xx", "3xx", "4xx", "5xx", "other status", "failure classes"};
  sc_buf_adds(b,
              "<table class=\"narrow\"><thead><tr><th>status or "
              "class</th><th class=\"n\">records</th><th "
              "class=\"n\">share</th></tr></thead><tbody>\n");
  for (int g = 0; g < 7; g++) {
    if (!group[g]) continue;
    sc_buf_printf(b, "<tr><td><b>%s</b></td><td class=\"n\"><b>", gname[g]);
    add_count(b, group[g]);
    sc_buf_adds(b, "</b></td><td class=\"n\">");
    pct(b, group[g], rep->records);
    sc_buf_adds(b, "</td></tr>\n");
    for (size_t i = 0; i < n; i++) {
      int s = atoi(k[i].name);
      int in = g == 6 ? s == 0
               : g == 5
                   ? (s == 0 && strcmp(k[i].name, "unknown") == 0) || s >= 600
                   : s >= (g + 1) * 100 && s < (g + 2) * 100;
      if (!in || (g == 6 && strcmp(k[i].name, "unknown") == 0)) continue;
      sc_buf_adds(b, "<tr><td class=\"k\">&nbsp;&nbsp;");
      esc(b, k[i].name);
      sc_buf_adds(b, "</td><td class=\"n\">");
      add_count(b, k[i].n);
      sc_buf_adds(b, "</td><td class=\"n\">");
      pct(b, k[i].n, rep->records);
      sc_buf_adds(b, "</td></tr>\n");
    }
  }
  sc_buf_adds(b, "</tbody></table>\n</div></section>\n");
  free(k);
}

/* Where value v sits on the histogram's axis, in fine buckets. */
static double axis_pos(double v) {
  if (!(v > SC_HIST_LOW)) return 0;
  return log(v / SC_HIST_LOW) /
         log((1.0 + SC_HIST_ALPHA) / (1.0 - SC_HIST_ALPHA));
}

/* Check times: bars over a logarithmic axis (each display bar groups
 * whole fine buckets), the percentiles marked. */
static void times_chart(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  const struct sc_hist *h = &rep->times;
  sc_buf_adds(b, "<section id=\"times\"><h2>Check times</h2>\n");
  if (!h->count) {
    sc_buf_adds(b, "<p>No timed checks.</p></section>\n");
    return;
  }
  double q[3] = {sc_hist_quantile(h, 0.5), sc_hist_quantile(h, 0.9),
                 sc_hist_quantile(h, 0.99)};
  static const char *const qn[3] = {"p50", "p90", "p99"};
  sc_buf_adds(b, "<div class=\"cards\">\n");
  for (int i = 0; i < 3; i++) {
    sc_buf_printf(b, "<div class=\"card\"><b id=\"%s\">", qn[i]);
    add_ms(b, q[i]);
    sc_buf_printf(b, "</b>%s</div>\n", qn[i]);
  }
  sc_buf_adds(b, "<div class=\"card\"><b>");
  add_ms(b, h->sum / (double)h->count);
  sc_buf_adds(b, "</b>mean</div><div class=\"card\"><b>");
  add_ms(b, h->max);
  sc_buf_adds(b, "</b>slowest</div><div class=\"card\"><b>");
  add_count(b, h->count);
  sc_buf_adds(b, "</b>timed checks</div></div>\n");

  int lo = 0, hi = SC_HIST_BUCKETS - 1;
  while (!h->b[lo]) lo++;
  while (!h->b[hi]) hi--;
  int per = (hi - lo + 1 + 47) / 48; /* at most 48 bars */
  int nbars = (hi - lo + 1 + per - 1) / per;
  if (nbars < 8) { /* widen a narrow range around its centre */
    int grow = (8 - nbars) * per;
    lo = lo - grow / 2 < 0 ? 0 : lo - grow / 2;
    nbars = 8;
  }
  uint64_t counts[48] = {0}, max = 1;
  for (int i = 0; i < nbars; i++) {
    for (int j = lo + i * per; j < lo + (i + 1) * per && j < SC_HIST_BUCKETS;
         j++)
      counts[i] += h->b[j];
    if (counts[i] > max) max = counts[i];
  }
  const int left = 56, width = 700, top = 22, plot = 170;
  double bw = (double)width / nbars;
  double a0 = lo - 1, span = (double)nbars * per; /* bucket i: (i-1, i] */
  sc_buf_printf(b,
                "<svg id=\"hist\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                "height=\"%d\" role=\"img\" aria-label=\"histogram of check "
                "times\">\n",
                left + width + 20, top + plot + 40, left + width + 20,
                top + plot + 40);
  sc_buf_printf(b,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                "stroke=\"#8c959f\"/>\n",
                left, top + plot, left + width, top + plot);
  sc_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6,
                top + 10);
  add_count(b, max);
  sc_buf_printf(b,
                "</text><text x=\"%d\" y=\"%d\" "
                "text-anchor=\"end\">0</text>\n",
                left - 6, top + plot);
  for (int i = 0; i < nbars; i++) {
    if (!counts[i]) continue;
    double bh = (double)plot * (double)counts[i] / (double)max;
    if (bh < 1) bh = 1;
    int first = lo + i * per, last = first + per - 1;
    sc_buf_adds(b, "<g><title>");
    add_ms(b, sc_hist_lower(first));
    sc_buf_adds(b, " \xE2\x80\x93 ");
    add_ms(b, sc_hist_upper(last));
    sc_buf_adds(b, ": ");
    add_count(b, counts[i]);
    sc_buf_printf(b,
                  " checks</title><rect x=\"%.1f\" y=\"%.1f\" "
                  "width=\"%.1f\" height=\"%.1f\" fill=\"#54aeff\"/></g>\n",
                  left + i * bw + 0.5, top + plot - bh, bw - 1, bh);
  }
  /* Ticks at 1, 2, 5 x 10^k ms, or only at 10^k over a wide range. */
  double vlo = sc_hist_upper(lo > 0 ? lo - 1 : 0);
  double vhi = sc_hist_upper(lo + nbars * per - 1);
  int decades = (int)ceil(log10(vhi / vlo));
  int k0 = (int)floor(log10(vlo)), k1 = (int)floor(log10(vhi));
  for (int k = k0; k <= k1; k++)
    for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
      double v = pow(10, k) * m;
      if (decades > 3 && m != 1) continue;
      double x = left + (axis_pos(v) - a0) / span * width;
      if (x < left || x > left + width) continue;
      sc_buf_printf(b,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                    "stroke=\"#8c959f\"/><text x=\"%.1f\" y=\"%d\" "
                    "text-anchor=\"middle\">",
                    x, top + plot, x, top + plot + 5, x, top + plot + 18);
      if (v < 1000)
        sc_buf_printf(b, "%g ms", v);
      else
        sc_buf_printf(b, "%g s", v / 1000);
      sc_buf_adds(b, "</text>\n");
    }
  for (int i = 0; i < 3; i++) {
    double x = left + (axis_pos(q[i]) - a0) / span * width;
    if (x < left) x = left;
    if (x > left + width) x = left + width;
    sc_buf_printf(b,
                  "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                  "stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/>"
                  "<text x=\"%.1f\" y=\"%d\" fill=\"#cf222e\">%s</text>\n",
                  x, top - 8, x, top + plot, x + 3, top - 10 + i * 13 + 4,
                  qn[i]);
  }
  sc_buf_printf(b,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">check time "
                "(logarithmic)</text>\n</svg>\n",
                left + width / 2, top + plot + 36);
  sc_buf_printf(b,
                "<p class=\"note\">Percentiles by nearest rank, from "
                "logarithmic buckets: bucket <i>i</i> holds times in "
                "(L&middot;g<sup><i>i</i>&minus;1</sup>, "
                "L&middot;g<sup><i>i</i></sup>] with L = %g ms and g = "
                "1.01/0.99, and reports "
                "2&middot;L&middot;g<sup><i>i</i></sup>/(g+1), which is "
                "within 1%% of every time in it. ",
                SC_HIST_LOW);
  add_count(b, h->count);
  sc_buf_adds(b, " checks timed");
  if (rep->no_time) {
    sc_buf_adds(b, "; ");
    add_count(b, rep->no_time);
    sc_buf_adds(b, " left out (decided without a request, or no time)");
  }
  if (rep->dups) {
    sc_buf_adds(b, "; ");
    add_count(b, rep->dups);
    sc_buf_adds(b, " --dedup repeats left out");
  }
  sc_buf_adds(b, ".</p>\n</section>\n");
}

static int cmp_slow(const void *a, const void *b) {
  double x = ((const struct slow *)a)->time_ms;
  double y = ((const struct slow *)b)->time_ms;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* The slowest checks, each a bar split into its phases. */
static void slow_chart(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  static const char *const pname[5] = {"DNS", "connect", "TLS", "first byte",
                                       "rest"};
  static const char *const pcolor[5] = {"#8250df", "#0969da", "#1a7f37",
                                        "#bf8700", "#afb8c1"};
  sc_buf_adds(b, "<section id=\"slowest\"><h2>Slowest checks</h2>\n");
  if (!rep->nslow) {
    sc_buf_adds(b, "<p>No timed checks.</p></section>\n");
    return;
  }
  struct slow s[SLOWEST];
  int n = rep->nslow;
  memcpy(s, rep->slow, sizeof s[0] * (size_t)n);
  qsort(s, (size_t)n, sizeof s[0], cmp_slow);
  sc_buf_adds(b, "<div class=\"legend\">");
  for (int p = 0; p < 5; p++)
    sc_buf_printf(b, "<span><i style=\"background:%s\"></i>%s</span>",
                  pcolor[p], pname[p]);
  sc_buf_adds(b, "</div>\n");
  const int left = 70, width = 600, h = 22;
  double max = s[0].time_ms > 0 ? s[0].time_ms : 1;
  sc_buf_printf(b,
                "<svg id=\"phases\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                "height=\"%d\" role=\"img\" aria-label=\"phases of the "
                "slowest checks\">\n",
                left + width + 90, n * h + 6, left + width + 90, n * h + 6);
  for (int i = 0; i < n; i++) {
    int y = i * h + 3;
    double x = left, rest = s[i].time_ms;
    sc_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">#%d</text>",
                  left - 8, y + 13, i + 1);
    for (int p = 0; p < 5; p++) {
      double v = p < 4 ? s[i].phase[p] : rest;
      if (p < 4 && v > 0) rest -= v;
      if (!(v > 0)) continue;
      double pw = (double)width * v / max;
      sc_buf_printf(b, "<g><title>%s: ", pname[p]);
      add_ms(b, v);
      sc_buf_printf(b,
                    "</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
                    "height=\"16\" fill=\"%s\"/></g>",
                    x, y, pw, pcolor[p]);
      x += pw;
    }
    sc_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">", x + 6, y + 13);
    add_ms(b, s[i].time_ms);
    sc_buf_adds(b, "</text>\n");
  }
  sc_buf_adds(b,
              "</svg>\n<table><thead><tr><th class=\"n\">#</th>"
              "<th class=\"n\">line</th><th>URL</th><th>result</th>"
              "<th class=\"n\">time</th><th class=\"n\">DNS</th>"
              "<th class=\"n\">connect</th><th class=\"n\">TLS</th>"
              "<th class=\"n\">first byte</th></tr></thead><tbody>\n");
  for (int i = 0; i < n; i++) {
    sc_buf_printf(b, "<tr><td class=\"n\">%d</td><td class=\"n\">%llu</td><td>",
                  i + 1, (unsigned long long)s[i].line);
    url_html(b, s[i].url, strlen(s[i].url), URL_SHOW, s[i].url_cut);
    sc_buf_adds(b, "</td><td class=\"k\">");
    esc(b, s[i].key);
    sc_buf_adds(b, "</td><td class=\"n\">");
    add_ms(b, s[i].time_ms);
    for (int p = 0; p < 4; p++) {
      sc_buf_adds(b, "</td><td class=\"n\">");
      add_ms(b, s[i].phase[p]);
    }
    sc_buf_adds(b, "</td></tr>\n");
  }
  sc_buf_adds(b,
              "</tbody></table>\n<p class=\"note\">Phases are libcurl's, "
              "summed over redirect hops; first byte runs from connected "
              "(or TLS done) to the first response byte; rest is the "
              "remainder (redirects, retries and their waits, reading "
              "the head).</p>\n</section>\n");
}

/* Takes a piece of the where phrase (where.h) for HTML: a place is shown
 * as a URL (masked, escaped, a link if it may be one), the rest escaped. */
static void where_piece(void *arg, enum sc_where_piece piece, const char *s,
                        size_t n) {
  struct sc_buf *b = arg;
  if (piece == SC_WHERE_PLACE)
    url_html(b, s, n, PLACE_SHOW, 0);
  else
    sc_html_escape(b, s, n);
}

/* Appends where r's URL was found: every place the run keeps and how
 * many more, counted now (a run's are final by the time it writes). */
static void add_where(struct sc_buf *b, const struct row *r) {
  struct sc_where wh = {
      .linked = r->linked == 1,
      .input = r->input,
      .line = r->line,
      .source = r->source,
      .refs = r->refs,
      .places = r->refs ? sc_refs_count(r->refs) : r->referrers};
  sc_where_say(&wh, SC_WHERE_ALL, where_piece, b);
}

static void failures(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  uint64_t bad = rep->records - rep->ok;
  sc_buf_adds(b, "<section id=\"failures\"><h2>Failures</h2>\n");
  if (!rep->nrows) {
    sc_buf_adds(b, "<p>No failures.</p></section>\n");
    return;
  }
  /* The filter: one button per key among the rows, in tally order. */
  struct key *k;
  size_t nk = keys(rep, &k);
  for (size_t i = 0; i < nk; i++) k[i].n = 0;
  for (size_t r = 0; r < rep->nrows; r++)
    for (size_t i = 0; i < nk; i++)
      if (strcmp(k[i].name, rep->rows[r].key) == 0) {
        k[i].n++;
        break;
      }
  sc_buf_adds(b,
              "<div id=\"filter\" role=\"group\" aria-label=\"show "
              "only\"><button type=\"button\" data-k=\"\" "
              "aria-pressed=\"true\">all (");
  add_count(b, rep->nrows);
  sc_buf_adds(b, ")</button>");
  for (size_t i = 0; i < nk; i++) {
    if (!k[i].n) continue;
    sc_buf_adds(b, "<button type=\"button\" data-k=\"");
    esc(b, k[i].name);
    sc_buf_adds(b, "\" aria-pressed=\"false\">");
    esc(b, k[i].name);
    sc_buf_adds(b, " (");
    add_count(b, k[i].n);
    sc_buf_adds(b, ")</button>");
  }
  free(k);
  sc_buf_adds(b,
              "<input id=\"q\" type=\"search\" placeholder=\"rows "
              "containing\xE2\x80\xA6\" aria-label=\"show only the rows "
              "containing\" autocomplete=\"off\">");
  sc_buf_adds(b, "</div>\n<p class=\"note\">Showing <span id=\"shown\">");
  add_count(b, rep->nrows);
  sc_buf_adds(b, "</span> of ");
  add_count(b, bad);
  sc_buf_adds(b, " failures. Click a column header to sort.</p>\n");
  sc_buf_adds(b,
              "<table id=\"ft\"><thead><tr><th data-num "
              "tabindex=\"0\" class=\"n\">line</th><th "
              "tabindex=\"0\">URL</th><th tabindex=\"0\">result</th>"
              "<th tabindex=\"0\">detail</th><th data-num tabindex=\"0\" "
              "class=\"n\">time</th><th data-num tabindex=\"0\" "
              "class=\"n\">redirects</th>");
  if (rep->any_where) sc_buf_adds(b, "<th tabindex=\"0\">where found</th>");
  sc_buf_adds(b, "</tr></thead><tbody>\n");
  for (size_t i = 0; i < rep->nrows; i++) {
    const struct row *r = &rep->rows[i];
    sc_buf_adds(b, "<tr data-k=\"");
    esc(b, r->key);
    sc_buf_printf(b, "\"><td class=\"n\" data-v=\"%llu\"",
                  (unsigned long long)r->line);
    if (r->input) {
      sc_buf_adds(b, " title=\"");
      esc(b, r->input);
      sc_buf_adds(b, "\"");
    }
    sc_buf_printf(b, ">%llu</td><td>", (unsigned long long)r->line);
    url_html(b, r->url, strlen(r->url), URL_SHOW, r->url_cut);
    sc_buf_adds(b, "</td><td class=\"k\">");
    esc(b, r->key);
    sc_buf_adds(b, "</td><td>");
    if (r->detail) esc(b, r->detail);
    sc_buf_printf(b, "</td><td class=\"n\" data-v=\"%.1f\">", r->time_ms);
    add_ms(b, r->time_ms);
    sc_buf_printf(b, "</td><td class=\"n\" data-v=\"%lld\">",
                  (long long)r->redirects);
    if (r->redirects >= 0) sc_buf_printf(b, "%lld", (long long)r->redirects);
    sc_buf_adds(b, "</td>");
    if (rep->any_where) {
      sc_buf_adds(b, "<td class=\"w\">");
      if (r->linked >= 0) add_where(b, r);
      sc_buf_adds(b, "</td>");
    }
    sc_buf_adds(b, "</tr>\n");
    flush(w, 0);
  }
  sc_buf_adds(b, "</tbody></table>\n");
  if (rep->rows_more) {
    sc_buf_printf(b, "<p id=\"more\">\xE2\x80\xA6 and ");
    add_count(b, rep->rows_more);
    sc_buf_adds(b, " more (the first ");
    add_count(b, rep->max_rows);
    sc_buf_adds(b, " are shown).</p>\n");
  }
  sc_buf_adds(b, "</section>\n");
}

static void chains(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  sc_buf_adds(b,
              "<section id=\"chains\"><h2>Redirect chains of "
              "failures</h2>\n");
  if (!rep->nchains) {
    sc_buf_adds(b, "<p>No failure came through a redirect.</p></section>\n");
    return;
  }
  sc_buf_adds(b, "<ul>\n");
  for (size_t i = 0; i < rep->nrows; i++) {
    const struct row *r = &rep->rows[i];
    if (!r->chain) continue;
    sc_buf_printf(b, "<li>line %llu: ", (unsigned long long)r->line);
    url_html(b, r->url, strlen(r->url), URL_SHOW, r->url_cut);
    sc_buf_adds(b, " <span class=\"k\">");
    esc(b, r->key);
    sc_buf_adds(b, "</span><ol class=\"chain\">");
    for (const char *p = r->chain; *p;) {
      const char *nl = strchr(p, '\n'), *sp = strchr(p, ' ');
      if (!nl) nl = p + strlen(p);
      if (!sp || sp > nl) break;
      sc_buf_adds(b, "<li><span class=\"k\">");
      sc_html_escape(b, p, (size_t)(sp - p));
      sc_buf_adds(b, "</span> ");
      url_html(b, sp + 1, (size_t)(nl - sp - 1), URL_SHOW, 0);
      sc_buf_adds(b, "</li>");
      p = *nl ? nl + 1 : nl;
    }
    sc_buf_adds(b, "</ol></li>\n");
    flush(w, 0);
  }
  sc_buf_adds(b, "</ul>\n");
  if (rep->chains_more) {
    sc_buf_adds(b, "<p class=\"note\">\xE2\x80\xA6 and ");
    add_count(b, rep->chains_more);
    sc_buf_adds(b, " more failures with redirects.</p>\n");
  }
  sc_buf_adds(b, "</section>\n");
}

static int cmp_cert(const void *a, const void *b) {
  const struct cert *x = *(const struct cert *const *)a;
  const struct cert *y = *(const struct cert *const *)b;
  if (x->days != y->days) return x->days < y->days ? -1 : 1;
  return strcmp(x->host, y->host);
}

static void certs(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  sc_buf_printf(b,
                "<section id=\"certs\"><h2>Certificates expiring within %d "
                "days</h2>\n",
                rep->expiry_days);
  if (!rep->ncerts) {
    sc_buf_adds(b, "<p>None.</p></section>\n");
    return;
  }
  struct cert **c = sc_xcalloc(rep->ncerts, sizeof *c);
  size_t n = 0;
  for (size_t i = 0; i <= rep->certs.mask; i++)
    for (struct sc_hnode *p = rep->certs.b[i]; p; p = p->next)
      c[n++] = (struct cert *)p;
  qsort(c, n, sizeof *c, cmp_cert);
  sc_buf_adds(b,
              "<table class=\"narrow\"><thead><tr><th>host</th><th "
              "class=\"n\">days left</th><th>expires (UTC)</th><th "
              "class=\"n\">URLs</th></tr></thead><tbody>\n");
  for (size_t i = 0; i < n; i++) {
    sc_buf_adds(b, "<tr><td>");
    esc(b, c[i]->host);
    sc_buf_printf(b, "</td><td class=\"n\">%d</td><td>", (int)c[i]->days);
    if (c[i]->expiry) {
      time_t t = (time_t)c[i]->expiry;
      struct tm tm;
      char iso[32];
      if (gmtime_r(&t, &tm) && strftime(iso, sizeof iso, "%Y-%m-%d %H:%M", &tm))
        esc(b, iso);
    }
    sc_buf_adds(b, "</td><td class=\"n\">");
    add_count(b, c[i]->urls);
    sc_buf_adds(b, "</td></tr>\n");
  }
  free(c);
  sc_buf_adds(b, "</tbody></table>\n");
  if (rep->certs_more) {
    sc_buf_adds(b, "<p class=\"note\">\xE2\x80\xA6 and ");
    add_count(b, rep->certs_more);
    sc_buf_adds(b, " more URLs on other hosts.</p>\n");
  }
  sc_buf_adds(b, "</section>\n");
}

static void approx_note(struct sc_buf *b, const struct sc_report *rep,
                        const struct sc_topk *t) {
  if (!sc_topk_approx(t)) return;
  sc_buf_adds(b, "<p class=\"approx\"><b>approximate</b>: more than ");
  add_count(b, rep->max_hosts);
  sc_buf_adds(b,
              " distinct hosts, so these are Space-Saving estimates: a "
              "host's figure may be too high by up to its error, and "
              "mean and max cover only the part of the run since it "
              "was last counted.</p>\n");
}

static void hosts(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  const struct sc_topk_item *top[TOP_HOSTS];
  sc_buf_adds(b,
              "<section id=\"hosts\"><h2>Hosts</h2>\n<h3>Most "
              "failures</h3>\n");
  approx_note(b, rep, &rep->fail_hosts);
  int ap = sc_topk_approx(&rep->fail_hosts);
  size_t n = sc_topk_top(&rep->fail_hosts, top, TOP_HOSTS);
  if (!n) sc_buf_adds(b, "<p>No failures.</p>\n");
  if (n) {
    sc_buf_printf(b,
                  "<table id=\"failhosts\" class=\"narrow\"><thead><tr>"
                  "<th>host</th><th class=\"n\">failures</th>%s</tr>"
                  "</thead><tbody>\n",
                  ap ? "<th class=\"n\">error \xE2\x89\xA4</th>" : "");
    for (size_t i = 0; i < n; i++) {
      sc_buf_adds(b, "<tr><td>");
      esc(b, top[i]->key);
      sc_buf_adds(b, "</td><td class=\"n\">");
      add_count(b, (uint64_t)top[i]->weight);
      if (ap) {
        sc_buf_adds(b, "</td><td class=\"n\">");
        add_count(b, (uint64_t)top[i]->err);
      }
      sc_buf_adds(b, "</td></tr>\n");
    }
    sc_buf_adds(b, "</tbody></table>\n");
  }
  sc_buf_adds(b, "<h3>Slowest answers (most check time)</h3>\n");
  approx_note(b, rep, &rep->time_hosts);
  ap = sc_topk_approx(&rep->time_hosts);
  n = sc_topk_top(&rep->time_hosts, top, TOP_HOSTS);
  if (!n) sc_buf_adds(b, "<p>No timed checks.</p>\n");
  if (n) {
    sc_buf_printf(b,
                  "<table id=\"timehosts\" class=\"narrow\"><thead><tr>"
                  "<th>host</th><th class=\"n\">total time</th>%s<th "
                  "class=\"n\">checks</th><th class=\"n\">mean</th><th "
                  "class=\"n\">max</th></tr></thead><tbody>\n",
                  ap ? "<th class=\"n\">error \xE2\x89\xA4</th>" : "");
    for (size_t i = 0; i < n; i++) {
      sc_buf_adds(b, "<tr><td>");
      esc(b, top[i]->key);
      sc_buf_adds(b, "</td><td class=\"n\">");
      add_ms(b, top[i]->weight);
      if (ap) {
        sc_buf_adds(b, "</td><td class=\"n\">");
        add_ms(b, top[i]->err);
      }
      sc_buf_adds(b, "</td><td class=\"n\">");
      add_count(b, top[i]->n);
      sc_buf_adds(b, "</td><td class=\"n\">");
      add_ms(b, (top[i]->weight - top[i]->err) / (double)top[i]->n);
      sc_buf_adds(b, "</td><td class=\"n\">");
      add_ms(b, top[i]->max);
      sc_buf_adds(b, "</td></tr>\n");
    }
    sc_buf_adds(b, "</tbody></table>\n");
  }
  sc_buf_adds(b, "</section>\n");
}

/* ------------------------------------------------------------ timelines */

/* The timelines' drawing: TL_W user units wide, the time axis from TL_X0
 * over TL_PW, room on the right for the label of a run's last answer. */
enum { TL_W = 800, TL_X0 = 8, TL_PW = 716, TL_AXIS = 26, TL_FLIGHT_H = 150 };

static const char *const tl_colors[TL_COLORS] = {
    "#0969da", "#1a7f37", "#8250df", "#1b7c83", "#bf8700", "#57606a"};
#define TL_FAIL "#cf222e"

/* The shared time axis: 0 to max ms, ticks every step. */
struct axis {
  double max, step;
};

/* An axis to at least ms with 4 to 10 ticks at 1, 2 or 5 x 10^k. */
static struct axis axis_for(double ms) {
  struct axis a;
  if (!(ms > 0)) ms = 1;
  double raw = ms / 7.0, p = pow(10, floor(log10(raw))), m = raw / p;
  a.step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  a.max = ceil(ms / a.step - 1e-9) * a.step;
  return a;
}

static double tl_x(const struct axis *a, double ms) {
  return TL_X0 + TL_PW * ms / a->max;
}

static int cmp_bar(const void *a, const void *b) {
  const struct bar *x = a, *y = b;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The most of n bars in flight at once. A record rounds its start and
 * its time to 0.1 ms each, so each bar is taken to end 0.2 ms early: a
 * check that starts as the one before answers (the serial model) does not
 * count as overlapping it. */
static size_t most_in_flight(const struct bar *b, size_t n) {
  double *st = sc_xmalloc(n * sizeof *st), *en = sc_xmalloc(n * sizeof *en);
  for (size_t i = 0; i < n; i++) {
    st[i] = b[i].start;
    en[i] = b[i].end - 0.2 > b[i].start ? b[i].end - 0.2 : b[i].start;
  }
  qsort(st, n, sizeof *st, cmp_double);
  qsort(en, n, sizeof *en, cmp_double);
  /* At equal times ends go first: a check that starts as another ends
   * does not overlap it. A check that ends where it starts has its end
   * taken first too, so now may dip below the true count for a moment,
   * but never where a start is counted: such a check never counts. */
  long most = n ? 1 : 0, now = 0;
  for (size_t i = 0, j = 0; i < n; i++) {
    while (j < n && en[j] <= st[i]) j++, now--;
    if (++now > most) most = now;
  }
  free(st);
  free(en);
  return (size_t)most;
}

/* Appends the axis: grid lines over a plot of height h (from y 0), tick
 * labels under it. */
static void tl_axis(struct sc_buf *b, const struct axis *a, int h) {
  for (int k = 0; k * a->step <= a->max + 1e-9; k++) {
    double v = k * a->step, x = tl_x(a, v);
    sc_buf_printf(b,
                  "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" "
                  "stroke=\"%s\"/><text x=\"%.1f\" y=\"%d\" "
                  "text-anchor=\"middle\">",
                  x, x, h + 4, k ? "#eaeef2" : "#8c959f", x, h + 17);
    if (v == 0)
      sc_buf_adds(b, "0");
    else if (a->max < 1000)
      sc_buf_printf(b, "%g ms", v);
    else
      sc_buf_printf(b, "%g s", v / 1000);
    sc_buf_adds(b, "</text>");
  }
  sc_buf_printf(b,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                "stroke=\"#8c959f\"/>\n",
                TL_X0, h, TL_X0 + TL_PW, h);
}

/* Appends the dashed line at the run's last answer, with its time. */
static void tl_end(struct sc_buf *b, const struct axis *a, double end, int h) {
  double x = tl_x(a, end);
  sc_buf_printf(b,
                "<line class=\"end\" x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" "
                "y2=\"%d\" stroke=\"#1f2328\" stroke-dasharray=\"3 3\"/>"
                "<text x=\"%.1f\" y=\"11\" font-weight=\"600\">",
                x, x, h, x + 4);
  add_ms(b, end);
  sc_buf_adds(b, "</text>\n");
}

/* One bar per check, a row each in order of start. */
static void tl_bars(struct sc_buf *b, const struct timeline *tl,
                    const struct axis *a) {
  size_t n = tl->nbars;
  double pitch = n * 6 <= 240 ? 6 : 240.0 / (double)n;
  int h = (int)ceil(pitch * (double)n) + 2;
  sc_buf_printf(b,
                "<svg class=\"tlchart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                "height=\"%d\" role=\"img\" aria-label=\"one bar per check "
                "from its start to its answer\">\n",
                TL_W, h + TL_AXIS, TL_W, h + TL_AXIS);
  tl_axis(b, a, h);
  struct bar *s = sc_xmalloc((n ? n : 1) * sizeof *s);
  memcpy(s, tl->bars, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_bar);
  for (size_t i = 0; i < n; i++) {
    double x = tl_x(a, s[i].start), wd = tl_x(a, s[i].end) - x;
    if (wd < 1) wd = 1;
    sc_buf_printf(b,
                  "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                  "height=\"%.2f\" fill=\"%s\" data-start=\"%.1f\" "
                  "data-end=\"%.1f\" data-worker=\"",
                  x, 1 + pitch * (double)i, wd, pitch * 0.78,
                  !s[i].ok ? TL_FAIL
                  : s[i].w ? tl_colors[s[i].w->color]
                           : tl_colors[0],
                  s[i].start, s[i].end);
    if (s[i].w) esc(b, s[i].w->name);
    sc_buf_printf(b, "\"><title>line %llu: ", (unsigned long long)s[i].line);
    esc(b, s[i].key);
    sc_buf_adds(b, " in ");
    add_ms(b, s[i].end - s[i].start);
    sc_buf_adds(b, ", from ");
    add_ms(b, s[i].start);
    if (s[i].w) {
      sc_buf_adds(b, ", ");
      esc(b, s[i].w->name);
    }
    sc_buf_adds(b, "\n");
    struct sc_buf m = {0};
    sc_report_mask(&m, s[i].url, strlen(s[i].url));
    sc_html_escape(b, m.data, m.len);
    sc_buf_free(&m);
    sc_buf_adds(b, "</title></rect>\n");
  }
  free(s);
  tl_end(b, a, tl->end, h);
  sc_buf_adds(b, "</svg>\n");
}

/* Checks in flight over time, a step per bucket: the mean number in
 * flight while it lasted. */
static void tl_flight(struct sc_buf *b, const struct timeline *tl,
                      const struct axis *a) {
  const int h = TL_FLIGHT_H, top = 16;
  size_t used = (size_t)ceil(tl->end / tl->width);
  if (used > TL_BUCKETS) used = TL_BUCKETS;
  double most = 0;
  for (size_t i = 0; i < used; i++)
    if (tl->flight[i] / tl->width > most) most = tl->flight[i] / tl->width;
  if (!(most > 0)) most = 1;
  sc_buf_printf(b,
                "<svg class=\"tlchart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                "height=\"%d\" role=\"img\" aria-label=\"checks in flight "
                "over time\">\n",
                TL_W, h + TL_AXIS, TL_W, h + TL_AXIS);
  tl_axis(b, a, h);
  sc_buf_printf(b, "<path class=\"inflight\" d=\"M%.2f %d", tl_x(a, 0), h);
  for (size_t i = 0; i < used; i++) {
    double y = h - (h - top) * tl->flight[i] / tl->width / most;
    double x1 = tl_x(a, (double)(i + 1) * tl->width);
    if (i + 1 == used) x1 = tl_x(a, tl->end);
    sc_buf_printf(b, "V%.2fH%.2f", y, x1);
  }
  sc_buf_printf(b,
                "V%dZ\" fill=\"#b6e3ff\" stroke=\"#0969da\"/>\n<text x=\"%d\" "
                "y=\"%d\">%.1f in flight at most (mean over ",
                h, TL_X0 + 4, top - 4, most);
  add_ms(b, tl->width);
  sc_buf_adds(b, ")</text>\n");
  tl_end(b, a, tl->end, h);
  sc_buf_adds(b, "</svg>\n");
}

/* A row of the figures beside a timeline. */
static void tl_stat(struct sc_buf *b, const char *name) {
  sc_buf_adds(b, "<tr><th>");
  esc(b, name);
  sc_buf_adds(b, "</th><td>");
}

/* The workers: "3 processes", "1 (serial)", "31 workers". */
static void tl_workers(struct sc_buf *b, const struct timeline *tl) {
  if (tl->workers_full) {
    sc_buf_adds(b, "more than ");
    add_count(b, TL_WORKERS);
    return;
  }
  add_count(b, tl->nworkers);
  if (!tl->nworkers) return;
  if (!tl->unnumbered && !tl->mixed_kinds) {
    size_t k = strlen(tl->kind);
    sc_buf_adds(b, " ");
    esc(b, tl->kind);
    if (tl->nworkers > 1)
      sc_buf_adds(b, k && tl->kind[k - 1] == 's' ? "es" : "s");
  } else if (tl->nworkers == 1) {
    sc_buf_adds(b, " (");
    esc(b, tl->first_worker->name);
    sc_buf_adds(b, ")");
  }
}

/* One timeline: its figures and sentence beside its picture. first is
 * the first timeline, whose wall time a speed-up is measured against. */
static void timeline(struct w *w, const struct timeline *tl, size_t index,
                     const struct timeline *first, const struct axis *a) {
  struct sc_buf *b = &w->b;
  size_t most = tl->bars ? most_in_flight(tl->bars, tl->nbars) : 0;
  sc_buf_printf(b, "<div class=\"tl\" id=\"tl-%zu\" data-label=\"", index + 1);
  esc(b, tl->label);
  sc_buf_adds(b, "\"><div class=\"tlside\"><h3>");
  esc(b, tl->label);
  sc_buf_adds(b, "</h3><table class=\"tlstats\">");
  if (tl->wall_ms > 0) {
    tl_stat(b, "wall");
    add_ms(b, tl->wall_ms);
    sc_buf_adds(b, "</td></tr>");
    if (first != tl && first->wall_ms > 0) {
      tl_stat(b, "speed-up");
      sc_buf_printf(b, "%.1f\xC3\x97</td></tr>", first->wall_ms / tl->wall_ms);
    }
  }
  if (tl->cpu_s > 0) {
    tl_stat(b, "CPU");
    sc_buf_printf(b, "%.2f s</td></tr>", tl->cpu_s);
  }
  if (tl->rss_mb > 0) {
    tl_stat(b, "peak memory");
    sc_buf_printf(b, "%.1f MB</td></tr>", tl->rss_mb);
  }
  tl_stat(b, "workers");
  tl_workers(b, tl);
  sc_buf_adds(b, "</td></tr>");
  tl_stat(b, "checks");
  add_count(b, tl->n);
  sc_buf_adds(b, "</td></tr>");
  if (tl->bars) {
    tl_stat(b, "most at once");
    add_count(b, most);
    sc_buf_adds(b, "</td></tr>");
  }
  sc_buf_adds(b, "</table><p class=\"tlnote\">");
  if (tl->note) {
    esc(b, tl->note);
  } else if (tl->bars && most == 1) {
    sc_buf_adds(b,
                "One check at a time: each waited for the one before, so "
                "the run lasted as long as all the checks added up (");
    add_ms(b, tl->busy);
    sc_buf_adds(b, ").");
  } else {
    if (tl->bars)
      sc_buf_printf(b, "Up to %zu checks in flight at once", most);
    else
      sc_buf_printf(b, "%.1f checks in flight on average",
                    tl->end > 0 ? tl->busy / tl->end : 0);
    sc_buf_adds(b, ": their times add up to ");
    add_ms(b, tl->busy);
    sc_buf_adds(b, ", but the last answer came at ");
    add_ms(b, tl->end);
    sc_buf_adds(b, ".");
  }
  sc_buf_adds(b, "</p>");
  if (tl->untimed) {
    sc_buf_adds(b, "<p class=\"note\">");
    add_count(b, tl->untimed);
    sc_buf_adds(b, " records without a start time are not drawn.</p>");
  }
  sc_buf_adds(b, "</div><div>\n");
  if (tl->bars)
    tl_bars(b, tl, a);
  else
    tl_flight(b, tl, a);
  sc_buf_adds(b, "</div></div>\n");
  flush(w, 0);
}

/* The timelines that have checks, on one time axis. */
static void timelines(struct w *w, const struct sc_report *rep) {
  struct sc_buf *b = &w->b;
  double end = 0;
  const struct timeline *first = NULL;
  for (size_t i = 0; i < rep->ntl; i++) {
    if (!rep->tl[i]->n) continue;
    if (!first) first = rep->tl[i];
    if (rep->tl[i]->end > end) end = rep->tl[i]->end;
  }
  if (!first) return;
  struct axis a = axis_for(end);
  sc_buf_adds(b,
              "<section id=\"timeline\"><h2>Timeline</h2>\n<p "
              "class=\"note\">Each bar is one check, from its start to its "
              "answer, one row per check in the order they started, on a "
              "time axis shared by every timeline; its colour is the worker "
              "that ran it (red: not OK), the dashed line the run's last "
              "answer. Past ");
  add_count(b, SC_TIMELINE_BARS);
  sc_buf_adds(b, " checks a timeline shows how many were in flight.</p>\n");
  for (size_t i = 0; i < rep->ntl; i++)
    if (rep->tl[i]->n) timeline(w, rep->tl[i], i, first, &a);
  sc_buf_adds(b, "</section>\n");
}

static int has_timeline(const struct sc_report *rep) {
  for (size_t i = 0; i < rep->ntl; i++)
    if (rep->tl[i]->n) return 1;
  return 0;
}

int sc_report_write(struct sc_report *rep, FILE *out) {
  struct w w = {.f = out};
  struct sc_buf *b = &w.b;
  char hash[64], when[32];
  script_hash(hash);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);

  sc_buf_printf(b,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
                "charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-"
                "Policy\" content=\"default-src 'none'; style-src "
                "'unsafe-inline'; script-src 'sha256-%s'; img-src data:; "
                "base-uri 'none'; form-action 'none'\">\n<meta "
                "name=\"referrer\" content=\"no-referrer\">\n<meta "
                "name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\">\n<title>",
                hash);
  esc(b, rep->title);
  sc_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>",
                style);
  esc(b, rep->title);
  sc_buf_adds(b, "</h1>\n<p class=\"sub\">");
  if (rep->subtitle) {
    esc(b, rep->subtitle);
    sc_buf_adds(b, " &middot; ");
  }
  sc_buf_printf(b, "written %s</p>\n", when);
  if (rep->options) {
    sc_buf_adds(b, "<p class=\"sub\">options: <code>");
    esc(b, rep->options);
    sc_buf_adds(b, "</code></p>\n");
  }
  if (rep->only_timelines) {
    timelines(&w, rep);
  } else {
    sc_buf_printf(
        b,
        "<nav><a href=\"#summary\">summary</a>%s<a "
        "href=\"#statuses\">statuses</a><a href=\"#times\">check "
        "times</a><a href=\"#slowest\">slowest</a><a "
        "href=\"#failures\">failures</a><a "
        "href=\"#chains\">redirect chains</a><a "
        "href=\"#certs\">certificates</a><a "
        "href=\"#hosts\">hosts</a></nav>\n",
        has_timeline(rep) ? "<a href=\"#timeline\">timeline</a>" : "");
    summary(&w, rep);
    timelines(&w, rep);
    status_chart(&w, rep);
    times_chart(&w, rep);
    slow_chart(&w, rep);
    flush(&w, 0);
    failures(&w, rep);
    chains(&w, rep);
    certs(&w, rep);
    hosts(&w, rep);
  }
  sc_buf_printf(b,
                "<footer>sitecheck report &middot; header values are not "
                "shown and passwords in URLs are masked &middot; this page "
                "loads nothing from anywhere</footer>\n<script>%s</script>\n"
                "</body>\n</html>\n",
                script);
  flush(&w, 1);
  sc_buf_free(b);
  if (fflush(out) != 0 || ferror(out)) w.failed = 1;
  if (w.failed && !errno) errno = EIO;
  return w.failed ? -1 : 0;
}

/* ------------------------------------------------------------ files */

int sc_report_save(struct sc_report *rep, const char *path) {
  if (strcmp(path, "-") == 0) return sc_report_write(rep, stdout);
  struct stat st;
  int replace = stat(path, &st) != 0 || S_ISREG(st.st_mode);
  char *tmp = NULL;
  FILE *f = NULL;
  if (replace) {
    size_t n = strlen(path) + 16;
    tmp = sc_xmalloc(n);
    snprintf(tmp, n, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) {
      mode_t mask = umask(0);
      umask(mask);
      fchmod(fd, 0666 & ~mask);
      f = fdopen(fd, "w");
      if (!f) close(fd);
    }
  } else {
    f = fopen(path, "w");
  }
  int rc = -1;
  if (f && sc_report_write(rep, f) == 0) rc = 0;
  int err = errno;
  if (f && fclose(f) != 0 && rc == 0) rc = -1, err = errno;
  if (rc == 0 && tmp && rename(tmp, path) != 0) rc = -1, err = errno;
  if (rc != 0 && tmp) unlink(tmp);
  free(tmp);
  errno = err;
  return rc;
}

int sc_report_check_path(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (!S_ISREG(st.st_mode)) return access(path, W_OK) == 0 ? 0 : errno;
  }
  /* A regular file is written beside its name: its directory must take
   * a new file. */
  const char *slash = strrchr(path, '/');
  char *dir =
      slash ? sc_xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
            : sc_xstrdup(".");
  int e = access(dir, W_OK | X_OK) == 0 ? 0 : errno;
  free(dir);
  return e;
}
