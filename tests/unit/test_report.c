/* test_report.c - the HTML report: histogram percentiles against exact
 * ones, HTML escaping, the link rule, password masking, the Space-Saving
 * switch-over of the host summaries, and a whole report written with
 * hostile strings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "report.h"
#include "topk.h"
#include "unit.h"
#include "util.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* A fixed-seed generator, so every run sees the same values. */
static uint64_t rng_state;
static double uniform01(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

/* Fills the histogram with v[0..n) and holds every percentile asked of it
 * within 1% of the exact nearest-rank one. */
static void check_percentiles(const char *what, double *v, size_t n) {
  static const double qs[] = {0.001, 0.01, 0.25, 0.5,   0.75,
                              0.9,   0.95, 0.99, 0.999, 1.0};
  struct sc_hist h;
  sc_hist_init(&h);
  for (size_t i = 0; i < n; i++) sc_hist_add(&h, v[i]);
  qsort(v, n, sizeof *v, cmp_double);
  EXPECT_EQ(h.count, n);
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    size_t rank = (size_t)ceil(qs[i] * (double)n);
    double exact = v[(rank ? rank : 1) - 1];
    double est = sc_hist_quantile(&h, qs[i]);
    double rel = fabs(est - exact) / exact;
    if (rel > 0.01 + 1e-12)
      unit_fail(__FILE__, __LINE__, "%s q=%g: got %.6f, exact %.6f (%.3f%%)",
                what, qs[i], est, exact, rel * 100);
  }
}

TEST(report_hist_percentiles) {
  size_t n = 200000;
  double *v = sc_xmalloc(n * sizeof *v);
  rng_state = 42;
  for (size_t i = 0; i < n; i++) v[i] = 1 + 9999 * uniform01();
  check_percentiles("uniform 1..10000 ms", v, n);
  for (size_t i = 0; i < n; i++) v[i] = -log(uniform01()) * 120;
  check_percentiles("exponential, mean 120 ms", v, n);
  for (size_t i = 0; i < n; i++) /* log-normal via Box-Muller */
    v[i] = exp(3 + 1.5 * sqrt(-2 * log(uniform01())) *
                       cos(6.283185307179586 * uniform01()));
  check_percentiles("log-normal", v, n);
  for (size_t i = 0; i < n; i++)
    v[i] = i % 10 == 0 ? 10000 + uniform01() : 0.3 + 0.01 * uniform01();
  check_percentiles("bimodal 0.3 ms / 10 s", v, n);
  for (size_t i = 0; i < n; i++) v[i] = 42.5;
  check_percentiles("constant", v, n);
  for (size_t i = 0; i < 7; i++) v[i] = (double)(i + 1) * 3;
  check_percentiles("seven values", v, 7);
  free(v);
}

TEST(report_hist_buckets) {
  /* Every value lies in its bucket's bounds, reported within 1%. */
  rng_state = 7;
  for (int i = 0; i < 100000; i++) {
    double v = exp(-6.9 + 25 * uniform01()); /* 0.001 ms .. 20 h */
    int b = sc_hist_bucket(v);
    EXPECT(b > 0 && b < SC_HIST_BUCKETS);
    EXPECT(sc_hist_lower(b) < v && v <= sc_hist_upper(b));
    EXPECT(fabs(sc_hist_value(b) - v) / v <= 0.01 + 1e-12);
  }
  /* Bucket bounds themselves land in the bucket they close. */
  for (int b = 1; b < SC_HIST_BUCKETS; b++)
    EXPECT_EQ(sc_hist_bucket(sc_hist_upper(b)), b);
  EXPECT_EQ(sc_hist_bucket(0), 0);
  EXPECT_EQ(sc_hist_bucket(-5), 0);
  EXPECT_EQ(sc_hist_bucket(1e300), SC_HIST_BUCKETS - 1);
  struct sc_hist h;
  sc_hist_init(&h);
  EXPECT(sc_hist_quantile(&h, 0.5) == 0);
  sc_hist_add(&h, 0);
  EXPECT(sc_hist_quantile(&h, 0.5) == 0);
}

static char *escaped(const char *s, size_t n) {
  struct sc_buf b = {0};
  sc_html_escape(&b, s, n);
  sc_buf_addc(&b, '\0');
  return b.data;
}

TEST(report_html_escape) {
  const char *hostile = "<script>alert('x' & \"y\")</script>";
  char *e = escaped(hostile, strlen(hostile));
  EXPECT_STR(e,
             "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/"
             "script&gt;");
  free(e);
  e = escaped("a\tb\nc", 5); /* tab and newline kept */
  EXPECT_STR(e, "a\tb\nc");
  free(e);
  e = escaped("x\0y\x01z\x7f", 6); /* NUL, controls and DEL replaced */
  EXPECT_STR(e, "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD");
  free(e);
  e = escaped("caf\xC3\xA9 \xFF\xC0\x80", 9); /* invalid UTF-8 replaced */
  EXPECT_STR(e, "caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  free(e);
  e = escaped("", 0);
  EXPECT_STR(e, "");
  free(e);
}

TEST(report_link_rule) {
  EXPECT(sc_report_is_link("http://a/", 9));
  EXPECT(sc_report_is_link("HTTPS://a", 9));
  EXPECT(!sc_report_is_link("http://", 7));
  EXPECT(!sc_report_is_link("javascript:alert(1)", 19));
  EXPECT(!sc_report_is_link("JavaScript://%0aalert(1)", 24));
  EXPECT(!sc_report_is_link("data:text/html,<b>", 18));
  EXPECT(!sc_report_is_link("ftp://a/", 8));
  EXPECT(!sc_report_is_link(" http://a/", 10));
  EXPECT(!sc_report_is_link("http://a/\nb", 11));
  EXPECT(!sc_report_is_link("//a/", 4));
  EXPECT(!sc_report_is_link("example.com", 11));

  struct sc_buf b = {0};
  sc_report_url(&b, "javascript:alert(1)", 19, 100);
  sc_buf_addc(&b, '\0');
  EXPECT(!strstr(b.data, "<a") && !strstr(b.data, "href"));
  EXPECT_CONTAINS(b.data, "javascript:alert(1)");
  b.len = 0;
  sc_report_url(&b, "http://h/\"><script>x</script>", 29, 100);
  sc_buf_addc(&b, '\0');
  EXPECT_STR(b.data,
             "<a href=\"http://h/&quot;&gt;&lt;script&gt;x&lt;/script&gt;\" "
             "rel=\"noopener noreferrer nofollow\">http://h/&quot;&gt;&lt;"
             "script&gt;x&lt;/script&gt;</a>");
  b.len = 0;
  sc_report_url(&b, "http://h/abcdef", 15, 9); /* cut, href whole */
  sc_buf_addc(&b, '\0');
  EXPECT_CONTAINS(b.data, "href=\"http://h/abcdef\"");
  EXPECT_CONTAINS(b.data, ">http://h/\xE2\x80\xA6</a>");
  sc_buf_free(&b);
}

static char *masked(const char *s) {
  struct sc_buf b = {0};
  sc_report_mask(&b, s, strlen(s));
  sc_buf_addc(&b, '\0');
  return b.data;
}

TEST(report_mask_password) {
  static const char *const cases[][2] = {
      {"http://u:secret@h/p", "http://u:***@h/p"},
      {"https://u:p@ss@h:8443/x?y", "https://u:***@h:8443/x?y"},
      {"http://:pw@h", "http://:***@h"},
      {"http://user@h/", "http://user@h/"},
      {"http://u:@h/", "http://u:@h/"},
      {"http://h/p?q=a:b@c", "http://h/p?q=a:b@c"},
      {"http://h:80/", "http://h:80/"},
      {"u:secret@h/x", "u:secret@h/x"}, /* no scheme: not a URL authority */
      {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *m = masked(cases[i][0]);
    EXPECT_STR(m, cases[i][1]);
    free(m);
  }
}

TEST(report_topk_switchover) {
  struct sc_topk t;
  const struct sc_topk_item *top[8];
  sc_topk_init(&t, 4);
  for (int i = 0; i < 5; i++) sc_topk_add(&t, "a", 1);
  for (int i = 0; i < 3; i++) sc_topk_add(&t, "b", 1);
  sc_topk_add(&t, "c", 1);
  sc_topk_add(&t, "d", 1);
  sc_topk_add(&t, "d", 1);
  EXPECT(!sc_topk_approx(&t)); /* 4 keys in 4: still exact */
  size_t n = sc_topk_top(&t, top, 8);
  EXPECT_EQ(n, 4);
  EXPECT_STR(top[0]->key, "a");
  EXPECT(top[0]->weight == 5 && top[0]->err == 0);
  EXPECT_STR(top[1]->key, "b");
  EXPECT_STR(top[2]->key, "d");
  EXPECT_STR(top[3]->key, "c");
  sc_topk_add(&t, "e", 1); /* a fifth key replaces the lightest, c */
  EXPECT(sc_topk_approx(&t));
  n = sc_topk_top(&t, top, 8);
  EXPECT_EQ(n, 4);
  int seen_c = 0;
  for (size_t i = 0; i < n; i++) {
    seen_c |= strcmp(top[i]->key, "c") == 0;
    if (strcmp(top[i]->key, "e") == 0)
      EXPECT(top[i]->weight == 2 && top[i]->err == 1);
  }
  EXPECT(!seen_c);
  sc_topk_free(&t);

  /* A skewed stream over 2,000 keys into 100 counters: each of the heavy
   * keys is found, and its true count lies in [weight - err, weight]. */
  uint64_t truth[2000] = {0};
  sc_topk_init(&t, 100);
  rng_state = 3;
  for (int i = 0; i < 200000; i++) {
    double u = uniform01();
    int k = u < 0.5 ? (int)(u * 20) : (int)(2000 * uniform01());
    char key[16];
    snprintf(key, sizeof key, "host%d", k);
    truth[k]++;
    sc_topk_add(&t, key, 1);
  }
  EXPECT(sc_topk_approx(&t));
  const struct sc_topk_item *all[100];
  n = sc_topk_top(&t, all, 100);
  EXPECT_EQ(n, 100);
  for (int k = 0; k < 10; k++) {
    char key[16];
    snprintf(key, sizeof key, "host%d", k);
    const struct sc_topk_item *it = NULL;
    for (size_t i = 0; i < 20; i++)
      if (strcmp(all[i]->key, key) == 0) it = all[i];
    EXPECT(it != NULL);
    if (it)
      EXPECT(it->weight - it->err <= (double)truth[k] &&
             (double)truth[k] <= it->weight);
  }
  sc_topk_free(&t);
}

/* Writes a report of the given records to a string (the caller frees). */
static char *write_report(struct sc_report *rep) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  EXPECT_EQ(sc_report_write(rep, f), 0);
  fclose(f);
  return text;
}

TEST(report_hostile_strings) {
  struct sc_report_opts o = {
      .title = "<b>t</b>", .max_rows = 2, .max_hosts = 2};
  struct sc_report *rep = sc_report_new(&o);
  struct sc_report_rec v;
  static const char *const urls[] = {
      "http://h1/<script>alert(1)</script>",
      "javascript:alert(2)",
      "http://user:hunter2@h3/",
      "http://h4/\"onmouseover=\"alert(4)",
  };
  for (int i = 0; i < 4; i++) {
    sc_report_rec_init(&v);
    v.url = urls[i];
    v.url_len = strlen(urls[i]);
    v.line = (uint64_t)i + 1;
    v.status = 404;
    v.detail = "<img src=x onerror=alert(3)>";
    v.time_ms = 10 + i;
    v.attempts = 1;
    v.chain = "302 http://h1/<script>\n404 javascript:alert(5)\n";
    v.cert_days_left = 3;
    v.cert_expiry = 1800000000;
    sc_report_add(rep, &v);
  }
  sc_report_rec_init(&v);
  v.url = "http://ok/";
  v.url_len = 10;
  v.status = 500;
  v.ok = 1; /* the record's ok field wins over its status */
  v.time_ms = 5;
  sc_report_add(rep, &v);
  char *html = write_report(rep);
  EXPECT_CONTAINS(html,
                  "<meta http-equiv=\"Content-Security-Policy\" "
                  "content=\"default-src 'none';");
  EXPECT(!strstr(html, "<script>alert"));
  EXPECT(!strstr(html, "<img"));
  EXPECT(!strstr(html, "<b>t"));
  EXPECT(!strstr(html, "\"onmouseover"));
  EXPECT(!strstr(html, "hunter2"));
  EXPECT(!strstr(html, "href=\"javascript"));
  EXPECT_CONTAINS(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_CONTAINS(html, "&lt;img src=x onerror=alert(3)&gt;");
  EXPECT_CONTAINS(html, "http://user:***@h3/");
  /* Exactly one script element: the report's own. */
  char *first = strstr(html, "<script>");
  EXPECT(first && !strstr(first + 1, "<script"));
  /* 4 failures, 2 rows kept, the rest counted. */
  EXPECT_CONTAINS(html, "\xE2\x80\xA6 and 2 more");
  EXPECT_CONTAINS(html, "<b>4</b>not OK");
  EXPECT_CONTAINS(html, "<b>1</b>OK");
  /* Five hosts through two counters: labelled approximate. */
  EXPECT_CONTAINS(html, "<b>approximate</b>");
  EXPECT_CONTAINS(html, "Certificates expiring within 30 days");
  free(html);
  sc_report_free(rep);
}

TEST(report_hosts) {
  static const char *const urls[] = {
      "http://a.example/x",     "http://a.example/y", "not a url",
      "HTTP://B.Example:8080/", "b.example/z",        "http://a.example/z"};
  struct sc_report *rep = sc_report_new(NULL);
  for (int i = 0; i < 6; i++) {
    struct sc_report_rec v;
    sc_report_rec_init(&v);
    v.url = urls[i];
    v.url_len = strlen(urls[i]);
    v.status = 404;
    v.time_ms = 1;
    sc_report_add(rep, &v);
  }
  char *html = write_report(rep);
  /* A URL that does not parse is counted apart, never against the host
   * of the URL before it. */
  EXPECT_CONTAINS(html, "<tr><td>a.example</td><td class=\"n\">3</td>");
  EXPECT_CONTAINS(html, "<tr><td>b.example</td><td class=\"n\">2</td>");
  EXPECT_CONTAINS(html, "<tr><td>(no host)</td><td class=\"n\">1</td>");
  free(html);
  sc_report_free(rep);
}

TEST(report_empty) {
  struct sc_report *rep = sc_report_new(NULL);
  char *html = write_report(rep);
  EXPECT_CONTAINS(html, "<b>0</b>records");
  EXPECT_CONTAINS(html, "<p>No failures.</p>");
  EXPECT(!strstr(html, "approximate"));
  EXPECT_CONTAINS(html, "</html>\n");
  free(html);
  sc_report_free(rep);
}

/* ------------------------------------------------------------ timelines */

#define TIMELINE_BUCKETS_MIN 240 /* report.c: half its buckets at least */

/* Occurrences of needle in haystack. */
static size_t count_of(const char *haystack, const char *needle) {
  size_t n = 0;
  for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

/* Adds a check of URL http://s<i>/ that started at start_ms and took
 * time_ms, run by worker. */
static void add_check(struct sc_report *rep, int i, double start_ms,
                      double time_ms, const char *worker) {
  char url[32];
  struct sc_report_rec v;
  snprintf(url, sizeof url, "http://s%d/", i);
  sc_report_rec_init(&v);
  v.url = url;
  v.url_len = strlen(url);
  v.line = (uint64_t)i + 1;
  v.status = 200;
  v.attempts = 1;
  v.start_ms = start_ms;
  v.time_ms = time_ms;
  v.worker = worker;
  sc_report_add(rep, &v);
}

/* The text of html from the timeline numbered n to the next one. */
static char *timeline_text(const char *html, int n) {
  char id[32];
  snprintf(id, sizeof id, "id=\"tl-%d\"", n);
  const char *p = strstr(html, id);
  if (!p) return sc_xstrdup("");
  const char *end = strstr(p + 1, "<div class=\"tl\"");
  if (!end) end = p + strlen(p);
  return sc_xstrndup(p, (size_t)(end - p));
}

TEST(report_timeline_bars) {
  struct sc_report *rep = sc_report_new(NULL);
  char name[32];
  sc_report_timeline(rep, &(struct sc_report_timeline){.label = "serial"});
  for (int i = 0; i < 31; i++) add_check(rep, i, i * 100.0, 90, "serial");
  sc_report_timeline(rep, &(struct sc_report_timeline){.label = "process"});
  for (int i = 0; i < 30; i++) {
    int round = i / 3; /* three at a time */
    snprintf(name, sizeof name, "process %d", i % 3);
    add_check(rep, i, round * 100.0, 90, name);
  }
  sc_report_timeline(rep, &(struct sc_report_timeline){.label = "event",
                                                       .note = "<b>note</b>"});
  for (int i = 0; i < 31; i++) add_check(rep, i, 0.5, 100.0 + i, "loop 0");
  sc_report_timeline(rep, &(struct sc_report_timeline){.label = "none"});
  char *html = write_report(rep);
  EXPECT_CONTAINS(html, "<a href=\"#timeline\">timeline</a>");
  EXPECT_EQ(count_of(html, "<div class=\"tl\""), 3); /* "none" is empty */
  EXPECT_EQ(count_of(html, "<rect class=\"bar\""), 31 + 30 + 31);
  char *serial = timeline_text(html, 1), *proc = timeline_text(html, 2),
       *event = timeline_text(html, 3);
  EXPECT_EQ(count_of(serial, "<rect class=\"bar\""), 31);
  EXPECT_CONTAINS(serial, "<th>workers</th><td>1 (serial)</td>");
  EXPECT_CONTAINS(serial, "<th>most at once</th><td>1</td>");
  EXPECT_CONTAINS(serial, "One check at a time");
  EXPECT_CONTAINS(serial, "(2.79 s)."); /* 31 checks of 90 ms */
  EXPECT_CONTAINS(serial, "data-start=\"3000.0\" data-end=\"3090.0\"");
  EXPECT_CONTAINS(proc, "<th>workers</th><td>3 processes</td>");
  EXPECT_CONTAINS(proc, "<th>most at once</th><td>3</td>");
  EXPECT_CONTAINS(proc, "Up to 3 checks in flight at once");
  EXPECT_CONTAINS(event, "<th>workers</th><td>1 loop</td>");
  EXPECT_CONTAINS(event, "<th>most at once</th><td>31</td>");
  /* A note given is the sentence, escaped. */
  EXPECT_CONTAINS(event, "&lt;b&gt;note&lt;/b&gt;");
  EXPECT(!strstr(event, "Up to"));
  /* One axis for all: the serial run's 3.09 s sets it (0 to 3.5 s). */
  EXPECT_CONTAINS(event, ">3.5 s</text>");
  EXPECT(!strstr(html, "class=\"inflight\""));
  free(serial);
  free(proc);
  free(event);
  free(html);
  sc_report_free(rep);
}

TEST(report_timeline_most_at_once) {
  /* One after another, as the serial model's records give them: 0.1 ms
   * apart at most after rounding, some checks over in no time at all.
   * Then two that overlap by 1 ms. */
  struct sc_report *rep = sc_report_new(NULL);
  static const double spans[][2] = {{0.2, 10.1}, {10.3, 0},   {10.3, 0},
                                    {10.3, 5},   {15.2, 0.1}, {15.4, 7}};
  for (int i = 0; i < 6; i++)
    add_check(rep, i, spans[i][0], spans[i][1], "serial");
  char *html = write_report(rep);
  EXPECT_CONTAINS(html, "<th>most at once</th><td>1</td>");
  free(html);
  add_check(rep, 6, 21.4, 3, "serial");
  html = write_report(rep);
  EXPECT_CONTAINS(html, "<th>most at once</th><td>2</td>");
  free(html);
  sc_report_free(rep);
}

TEST(report_timeline_keeps_bars_up_to_the_limit) {
  /* SC_TIMELINE_BARS checks: a bar each. One more: none, and the
   * timeline shows checks in flight instead. */
  for (int extra = 0; extra <= 1; extra++) {
    struct sc_report *rep = sc_report_new(NULL);
    for (int i = 0; i < SC_TIMELINE_BARS + extra; i++)
      add_check(rep, i, i * 10.0, 100, "thread 1");
    char *html = write_report(rep);
    EXPECT_EQ(count_of(html, "<rect class=\"bar\""),
              extra ? 0 : SC_TIMELINE_BARS);
    EXPECT_EQ(count_of(html, "class=\"inflight\""), extra ? 1 : 0);
    /* Results added before any timeline was started get one. */
    EXPECT_CONTAINS(html, "data-label=\"records\"");
    free(html);
    sc_report_free(rep);
  }
}

TEST(report_timeline_in_flight) {
  /* 5,000 checks of 100 ms, one every 10 ms: 10 in flight once the run is
   * going, whatever width the buckets grew to; the mean over the run is a
   * little less (the first and last 100 ms). */
  struct sc_report *rep = sc_report_new(NULL);
  for (int i = 0; i < 5000; i++) add_check(rep, i, i * 10.0, 100, "loop 0");
  char *html = write_report(rep);
  EXPECT_CONTAINS(html, ">10.0 in flight at most (mean over ");
  EXPECT_CONTAINS(html, "10.0 checks in flight on average");
  /* Flat at the top (y 16) but for the first and last steps: the buckets
   * kept their counts as they were merged. */
  const char *d = strstr(html, "class=\"inflight\" d=\"");
  EXPECT(d != NULL);
  if (d) {
    char *path = sc_xstrndup(d, (size_t)(strchr(d + 25, '"') - d));
    size_t steps = count_of(path, "V") - 1, top = count_of(path, "V16.00H");
    EXPECT(steps >= TIMELINE_BUCKETS_MIN);
    EXPECT(top + 4 >= steps);
    free(path);
  }
  EXPECT_CONTAINS(html, "<th>checks</th><td>5,000</td>");
  EXPECT(!strstr(html, "most at once"));
  free(html);
  sc_report_free(rep);
}

TEST(report_timeline_without_start_times) {
  /* Records without start_ms (older ones, decided lines): no timeline;
   * some without among others: counted, not drawn. */
  struct sc_report *rep = sc_report_new(NULL);
  add_check(rep, 0, -1, 10, NULL);
  char *html = write_report(rep);
  EXPECT(!strstr(html, "id=\"timeline\""));
  EXPECT(!strstr(html, "#timeline"));
  free(html);
  add_check(rep, 1, 5, 10, "<script>alert(1)</script>");
  html = write_report(rep);
  EXPECT_EQ(count_of(html, "<rect class=\"bar\""), 1);
  EXPECT_CONTAINS(html, "1 records without a start time are not drawn");
  EXPECT(!strstr(html, "<script>alert"));
  EXPECT_CONTAINS(html,
                  "data-worker=\"&lt;script&gt;alert(1)&lt;/script&gt;\"");
  free(html);
  sc_report_free(rep);
}

TEST(report_only_timelines) {
  struct sc_report_opts o = {.title = "demo", .only_timelines = 1};
  struct sc_report *rep = sc_report_new(&o);
  sc_report_timeline(
      rep,
      &(struct sc_report_timeline){
          .label = "serial", .wall_ms = 3100, .cpu_s = 0.02, .rss_mb = 11.25});
  add_check(rep, 0, 0, 3000, "serial");
  sc_report_timeline(
      rep, &(struct sc_report_timeline){.label = "event", .wall_ms = 250});
  add_check(rep, 0, 0, 200, "loop 0");
  char *html = write_report(rep);
  EXPECT_CONTAINS(html, "id=\"timeline\"");
  EXPECT(!strstr(html, "id=\"summary\""));
  EXPECT(!strstr(html, "id=\"failures\""));
  EXPECT(!strstr(html, "<nav>"));
  EXPECT_CONTAINS(html, "<th>wall</th><td>3.10 s</td>");
  EXPECT_CONTAINS(html, "<th>CPU</th><td>0.02 s</td>");
  EXPECT_CONTAINS(html, "<th>peak memory</th><td>11.2 MB</td>");
  EXPECT_CONTAINS(html, "<th>speed-up</th><td>12.4\xC3\x97</td>");
  EXPECT_EQ(count_of(html, "speed-up"), 1); /* against the first run */
  free(html);
  sc_report_free(rep);
}
