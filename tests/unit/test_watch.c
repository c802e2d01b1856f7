/* test_watch.c - sitecheck watch's pure parts and its state: durations and
 * addresses, the exposition format (numbers, label escaping, histograms),
 * probe values from results, the watch's options, and the watch itself
 * over a list file: its schedule (each URL once per interval, skipped
 * while in flight), its state changes after --down-after results, the -o
 * events, /metrics text, and the /probe allow-list. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "metrics.h"
#include "msg.h"
#include "opts.h"
#include "result.h"
#include "run.h"
#include "unit.h"
#include "util.h"
#include "watch.h"

TEST(watch_durations) {
  long ms = -1;
  EXPECT_EQ(sc_parse_duration("30s", &ms), 0);
  EXPECT_EQ(ms, 30000);
  EXPECT_EQ(sc_parse_duration("5m", &ms), 0);
  EXPECT_EQ(ms, 300000);
  EXPECT_EQ(sc_parse_duration("1.5h", &ms), 0);
  EXPECT_EQ(ms, 5400000);
  EXPECT_EQ(sc_parse_duration("250ms", &ms), 0);
  EXPECT_EQ(ms, 250);
  EXPECT_EQ(sc_parse_duration("2", &ms), 0); /* seconds */
  EXPECT_EQ(ms, 2000);
  EXPECT_EQ(sc_parse_duration("0.5s", &ms), 0);
  EXPECT_EQ(ms, 500);
  static const char *const bad[] = {"",   "s",  "-1s", "+1s",  " 1s",
                                    "1x", "1S", "1 s", "169h", "nan"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ms = -7;
    EXPECT_EQ(sc_parse_duration(bad[i], &ms), -1);
    EXPECT_EQ(ms, -7);
  }
}

TEST(watch_addresses) {
  struct sockaddr_storage sa;
  EXPECT_EQ(sc_parse_addr("127.0.0.1:9115", &sa), 0);
  EXPECT_EQ(sa.ss_family, AF_INET);
  EXPECT_EQ(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9115);
  EXPECT_EQ(sc_parse_addr("[::1]:0", &sa), 0);
  EXPECT_EQ(sa.ss_family, AF_INET6);
  static const char *const bad[] = {"127.0.0.1",     "127.0.0.1:", ":80",
                                    "localhost:80",  "::1:80",     "[::1]80",
                                    "1.2.3.4:65536", "1.2.3.4:-1"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    EXPECT_EQ(sc_parse_addr(bad[i], &sa), -1);
}

/* b's text, as a string (never NULL). */
static const char *text(const struct sc_buf *b) {
  return b->data ? b->data : "";
}

TEST(watch_metric_format) {
  struct sc_buf b = {0};
  sc_metric_value(&b, 200);
  sc_buf_addc(&b, ' ');
  sc_metric_value(&b, 1.1);
  sc_buf_addc(&b, ' ');
  sc_metric_value(&b, 0.000123);
  sc_buf_addc(&b, ' ');
  sc_metric_value(&b, -1);
  sc_buf_addc(&b, ' ');
  sc_metric_value(&b, 1.0 / 0.0);
  sc_buf_addc(&b, ' ');
  sc_metric_value(&b, 0.0 / 0.0);
  EXPECT_STR(text(&b), "200 1.1 0.000123 -1 +Inf NaN");
  b.len = 0;
  /* Escapes, and nothing a scrape would reject: a newline, a control
   * byte and bytes that are not UTF-8 become U+FFFD. */
  const char in[] = "a\\b\"c\nd\x01\xff\xc3\xa9";
  sc_metric_label(&b, in, sizeof in - 1);
  EXPECT_STR(text(&b),
             "a\\\\b\\\"c\xEF\xBF\xBD"
             "d\xEF\xBF\xBD\xEF\xBF\xBD\xC3\xA9");
  b.len = 0;
  sc_metric_sample(&b, "x", "", 3);
  sc_metric_sample(&b, "y", "k=\"v\"", 0.5);
  EXPECT_STR(text(&b), "x 3\ny{k=\"v\"} 0.5\n");
  b.len = 0;
  struct sc_metric_hist h = {0};
  sc_metric_hist_add(&h, 0.001);
  sc_metric_hist_add(&h, 0.3);
  sc_metric_hist_add(&h, 60);
  sc_metric_hist_text(&b, "t", "help", &h);
  EXPECT_CONTAINS(text(&b), "# TYPE t histogram\n");
  EXPECT_CONTAINS(text(&b), "t_bucket{le=\"0.005\"} 1\n");
  EXPECT_CONTAINS(text(&b), "t_bucket{le=\"0.25\"} 1\n");
  EXPECT_CONTAINS(text(&b), "t_bucket{le=\"0.5\"} 2\n");
  EXPECT_CONTAINS(text(&b), "t_bucket{le=\"10\"} 2\n");
  EXPECT_CONTAINS(text(&b), "t_bucket{le=\"+Inf\"} 3\n");
  EXPECT_CONTAINS(text(&b), "t_sum 60.301\nt_count 3\n");
  sc_buf_free(&b);
}

/* A result as the check core gives it: status (or a class) and times. */
static void fake_result(struct sc_result *r, int status, int cls,
                        const char *final_url) {
  memset(r, 0, sizeof *r);
  r->a.status = status;
  r->a.cls = cls;
  r->a.content_length = -1;
  r->a.cert_days_left = SC_NO_DAYS;
  r->a.dns_ms = r->a.connect_ms = r->a.tls_ms = SC_NO_TIME;
  r->a.ttfb_ms = r->a.transfer_ms = SC_NO_TIME;
  r->final_url = final_url;
  r->a.time_ms = 12;
  /* OK as the default --accept says (the caller sets ok). */
  r->ok = cls == SC_OK && status >= 200 && status <= 299;
}

TEST(watch_probe_values) {
  struct sc_result r;
  struct sc_probe p;
  fake_result(&r, 200, SC_OK, "https://example.test/");
  r.a.redirects = 2;
  r.a.content_length = 42;
  r.a.cert_earliest = 1900000000;
  r.a.dns_ms = 1, r.a.connect_ms = 2, r.a.tls_ms = 3, r.a.ttfb_ms = 4;
  r.a.transfer_ms = 5;
  strcpy(r.a.http_version, "2");
  strcpy(r.a.ip, "::1");
  sc_probe_from_result(&p, &r);
  EXPECT_EQ(p.success, 1);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.redirects, 2);
  EXPECT_EQ(p.http_version, 2);
  EXPECT_EQ(p.ssl, 1);
  EXPECT_EQ(p.content_length, 42);
  EXPECT_EQ(p.cert_earliest, 1900000000);
  EXPECT_EQ(p.ip_protocol, 6);
  EXPECT(p.duration_s == 0.012);
  EXPECT(p.phase_s[SC_PHASE_RESOLVE] == 0.001);
  EXPECT(p.phase_s[SC_PHASE_CONNECT] == 0.002);
  EXPECT(p.phase_s[SC_PHASE_TLS] == 0.005); /* from resolved to TLS done */
  EXPECT(p.phase_s[SC_PHASE_PROCESSING] == 0.004);
  EXPECT(p.phase_s[SC_PHASE_TRANSFER] == 0.005);
  /* 3xx and 404 are answers but not up; HTTP/1.1 is 1.1. */
  fake_result(&r, 404, SC_OK, "http://example.test/");
  strcpy(r.a.http_version, "1.1");
  sc_probe_from_result(&p, &r);
  EXPECT_EQ(p.success, 0);
  EXPECT_EQ(p.status, 404);
  EXPECT(p.http_version == 1.1);
  EXPECT_EQ(p.ssl, 0);
  EXPECT_EQ(p.cert_earliest, 0);
  EXPECT_EQ(sc_probe_up(&r), 0);
  fake_result(&r, 301, SC_OK, "http://example.test/");
  EXPECT_EQ(sc_probe_up(&r), 0);
  fake_result(&r, 299, SC_OK, "http://example.test/");
  EXPECT_EQ(sc_probe_up(&r), 1);
  /* A failure has no response: zeros, as blackbox_exporter's. */
  fake_result(&r, 0, SC_TIMEOUT, NULL);
  sc_probe_from_result(&p, &r);
  EXPECT_EQ(p.success, 0);
  EXPECT_EQ(p.status, 0);
  EXPECT_EQ(p.http_version, 0);
  EXPECT_EQ(p.content_length, 0);
  /* /probe's text: every family with its head, in order; the certificate
   * only over TLS. */
  struct sc_buf b = {0};
  sc_probe_text(&b, &p);
  EXPECT(!strstr(text(&b), "probe_ssl_earliest_cert_expiry"));
  EXPECT_CONTAINS(text(&b), "# TYPE probe_success gauge\nprobe_success 0\n");
  EXPECT_CONTAINS(text(&b),
                  "probe_http_duration_seconds{phase=\"connect\"} 0\n"
                  "probe_http_duration_seconds{phase=\"processing\"}");
  const char *prev = "";
  for (int i = 0; i < SC_PROBE_FAMILIES; i++) {
    EXPECT(strcmp(prev, sc_probe_family_name(i)) < 0);
    prev = sc_probe_family_name(i);
  }
  sc_buf_free(&b);
}

/* Parses `sitecheck watch` + the arguments (up to a NULL). */
static int parse_watch(struct sc_opts *o, struct sc_buf *err, ...) {
  static char *argv[20];
  va_list ap;
  int argc = 0;
  argv[argc++] = "watch";
  va_start(ap, err);
  for (char *a; argc < 19 && (a = va_arg(ap, char *));) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  sc_buf_free(err);
  sc_buf_adds(err, "");
  return sc_opts_read_for(o, SC_CMD_WATCH, argc, argv, err);
}

#define WATCH_MESSAGE(...) \
  (sc_opts_free(&o),       \
   parse_watch(&o, &msg, __VA_ARGS__, (char *)NULL) ? msg.data : NULL)

TEST(watch_options) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  EXPECT_EQ(parse_watch(&o, &msg, "list.txt", (char *)NULL), 0);
  EXPECT_EQ(o.command, SC_CMD_WATCH);
  EXPECT_EQ(o.every_ms, 60000);
  EXPECT_EQ(o.down_after, 1);
  EXPECT_STR(o.listen, "127.0.0.1:9115");
  EXPECT(o.probe_allow == NULL);
  EXPECT_EQ(o.reuse, 0);
  EXPECT_EQ(o.nfiles, 1);
  sc_opts_free(&o);
  EXPECT_EQ(
      parse_watch(&o, &msg, "--every", "5m", "--down-after", "3", "--listen",
                  "[::1]:0", "--probe-allow", "https?://[a-z.]+/.*", "-m",
                  "event", "a", "b", (char *)NULL),
      0);
  EXPECT_EQ(o.every_ms, 300000);
  EXPECT_EQ(o.down_after, 3);
  EXPECT_EQ(o.nfiles, 2);
  EXPECT_STR(WATCH_MESSAGE("--dedup", "a"),
             "--dedup does not apply to sitecheck watch");
  EXPECT_STR(WATCH_MESSAGE("--fail-on", "404", "a"),
             "--fail-on does not apply to sitecheck watch");
  EXPECT_STR(WATCH_MESSAGE("--format", "csv", "a"),
             "--format does not apply to sitecheck watch");
  EXPECT_STR(WATCH_MESSAGE("-m", "thread", "a"),
             "sitecheck watch runs the event model only, not -m thread");
  EXPECT_STR(WATCH_MESSAGE("-q"), "sitecheck watch needs a FILE of URLs");
  EXPECT_STR(WATCH_MESSAGE("a", "-"),
             "sitecheck watch cannot watch stdin: it reads its FILEs again "
             "on SIGHUP");
  EXPECT_STR(WATCH_MESSAGE("--every", "50ms", "a"),
             "--every needs a duration of at least 100ms, like 30s, 5m or "
             "1h, not '50ms'");
  EXPECT_STR(WATCH_MESSAGE("--listen", "localhost:80", "a"),
             "--listen needs ADDR:PORT (IPv6 as [ADDR]:PORT), not "
             "'localhost:80'");
  EXPECT_STR(WATCH_MESSAGE("--probe-allow", "a(b", "a"),
             "--probe-allow needs a POSIX extended regular expression, not "
             "'a(b'");
  EXPECT_STR(WATCH_MESSAGE("--down-after", "0", "a"),
             "--down-after needs a whole number from 1 to 1000000, not '0'");
  sc_opts_free(&o);
  /* ... and the check refuses watch's options. */
  char *argv[] = {"sitecheck", "--every", "5s", NULL};
  EXPECT_EQ(sc_opts_read(&o, 3, argv, &msg), SC_EXIT_USAGE);
  EXPECT_CONTAINS(msg.data, "--every applies to sitecheck watch only");
  sc_opts_free(&o);
  /* Each command's --help lists its own options. */
  struct sc_buf help = {0};
  sc_opts_help_for(&help, SC_CMD_WATCH);
  EXPECT_CONTAINS(help.data, "usage: sitecheck watch [OPTIONS] FILE...");
  EXPECT_CONTAINS(help.data, "--every DURATION");
  EXPECT_CONTAINS(help.data, "append one JSON line per state change");
  EXPECT(!strstr(help.data, "--dedup"));
  help.len = 0;
  sc_opts_help(&help);
  EXPECT(!strstr(help.data, "--every"));
  EXPECT_CONTAINS(help.data, "--dedup");
  sc_buf_free(&help);
  sc_buf_free(&msg);
}

/* A temporary file holding text; returns its name (static). */
static const char *temp_file(const char *text) {
  static char name[64];
  snprintf(name, sizeof name, "/tmp/sc-unit-watch-XXXXXX");
  int fd = mkstemp(name);
  if (fd < 0) return NULL;
  if (write(fd, text, strlen(text)) < 0) name[0] = '\0';
  close(fd);
  return name;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Takes the next job from the watch's source within ms (polling). */
static int take(struct sc_source *src, struct sc_job *job, long ms) {
  for (long t = 0; t <= ms; t += 5) {
    int got = src->next(src, job, 0);
    if (got != -1) return got;
    sleep_ms(5);
  }
  return -1;
}

/* The whole text of a file (static buffer). */
static const char *file_text(const char *name) {
  static char buf[8192];
  FILE *f = fopen(name, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Hands job back with a result of status (0: a connect failure). */
static void answer(struct sc_watch *w, struct sc_job *job, int status) {
  struct sc_result r;
  fake_result(&r, status, status ? SC_OK : SC_CONNECT,
              status ? job->url : NULL);
  /* A reason with bytes a terminal would act on (as a server's could). */
  if (!status) strcpy(r.a.detail, "Connection \x1b[31mrefused\x07");
  sc_watch_on_result(w, job, &r);
  sc_job_clear(job);
}

TEST(watch_schedule_and_state) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  char list[64], events[64];
  snprintf(list, sizeof list, "%s",
           temp_file("http://127.0.0.1:9/a\n# comment\n"
                     "http://u:secret@127.0.0.1:9/b\nnot a url\n"
                     "http://127.0.0.1:9/a\n"));
  snprintf(events, sizeof events, "%s", temp_file(""));
  EXPECT_EQ(parse_watch(&o, &msg, "--every", "0.2s", "--down-after", "2", "-o",
                        events, list, (char *)NULL),
            0);
  /* The change lines go to stderr: into a file, to be read. */
  char errs[64];
  snprintf(errs, sizeof errs, "%s", temp_file(""));
  fflush(stderr);
  FILE *ef = freopen(errs, "w", stderr);
  EXPECT(ef != NULL);
  setvbuf(stderr, NULL, _IONBF, 0);
  struct sc_watch *w = sc_watch_new(&o);
  EXPECT_EQ(sc_watch_load(w), 2); /* a repeat and a bad line are not */
  EXPECT_EQ(sc_watch_open_events(w), 0);
  struct sc_source *src = sc_watch_source(w);
  EXPECT(src->idle_ms(src) <= 200);
  /* Each URL comes once within an interval, and not again in it. */
  struct sc_job a, b, c;
  EXPECT_EQ(take(src, &a, 300), 1);
  EXPECT_EQ(take(src, &b, 300), 1);
  EXPECT(strcmp(a.url, b.url) != 0);
  EXPECT(a.timeout_ms == 0 && !a.no_retry);
  /* Both still in flight: their next rounds are skipped. */
  EXPECT_EQ(take(src, &c, 450), -1);
  struct sc_buf m = {0};
  sc_watch_render(w, &m);
  EXPECT(!strstr(text(&m), "sitecheck_watch_skipped_total 0\n"));
  EXPECT(!strstr(text(&m), "probe_success{")); /* no result yet */
  EXPECT_CONTAINS(text(&m), "sitecheck_watch_targets 2\n");
  /* The password never shows. */
  EXPECT(!strstr(text(&m), "secret"));
  struct sc_job *first_a = strstr(a.url, "/a") ? &a : &b;
  struct sc_job *first_b = first_a == &a ? &b : &a;
  answer(w, first_a, 200); /* a: up, silently */
  answer(w, first_b, 500); /* b: one down, not yet a change */
  EXPECT_STR(file_text(events), "");
  /* Later rounds: b down again (a change), then a down once and up. */
  int answered_b = 0, ups_a = 0;
  for (int round = 0; round < 12 && (answered_b < 3 || ups_a < 1); round++) {
    struct sc_job j;
    if (take(src, &j, 300) != 1) continue;
    if (strstr(j.url, "/b")) {
      answered_b++;
      answer(w, &j, answered_b < 2 ? 0 : 200);
    } else {
      answer(w, &j, ups_a++ == 0 ? 503 : 200);
    }
  }
  const char *ev = file_text(events);
  /* b: unknown (500, connect) -> down after two; then up after two 200s.
   * a: up, one 503 is not two: no change. */
  EXPECT_CONTAINS(ev,
                  "\"url\":\"http://u:***@127.0.0.1:9/b\","
                  "\"from\":\"unknown\",\"to\":\"down\",\"status\":null,"
                  "\"error\":\"connect\",\"detail\":\"Connection "
                  "\\u001b[31mrefused\\u0007\"");
  EXPECT_CONTAINS(ev, "\"from\":\"down\",\"to\":\"up\",\"status\":200");
  EXPECT(!strstr(ev, "127.0.0.1:9/a"));
  EXPECT(!strstr(ev, "secret"));
  /* Two lines on stderr, passwords masked, nothing a terminal acts on. */
  const char *err_text = file_text(errs);
  EXPECT_CONTAINS(err_text,
                  "Z http://u:***@127.0.0.1:9/b: unknown -> down: "
                  "connect (Connection \xEF\xBF\xBD[31mrefused"
                  "\xEF\xBF\xBD)\n");
  EXPECT_CONTAINS(err_text, "Z http://u:***@127.0.0.1:9/b: down -> up: 200\n");
  for (const char *ch = err_text; *ch; ch++)
    EXPECT(*ch == '\n' || (unsigned char)*ch >= 0x20);
  m.len = 0;
  sc_watch_render(w, &m);
  EXPECT_CONTAINS(text(&m),
                  "probe_success{target=\"http://127.0.0.1:9/a\"} 1\n");
  EXPECT_CONTAINS(text(&m),
                  "sitecheck_watch_up{target=\"http://u:***@127.0.0."
                  "1:9/b\"} 1\n");
  EXPECT_CONTAINS(text(&m), "sitecheck_watch_state_changes_total 2\n");
  EXPECT_CONTAINS(text(&m), "sitecheck_checks_total{outcome=\"connect\"} 1\n");
  sc_buf_free(&m);
  sc_watch_free(w);
  sc_opts_free(&o);
  sc_buf_free(&msg);
  unlink(list);
  unlink(events);
  unlink(errs);
}

static int probes_done;
static struct sc_probe probe_seen;

static void on_probe(void *arg, const struct sc_probe *p) {
  (void)arg;
  probes_done++;
  probe_seen = *p;
}

TEST(watch_probe_requests) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  char list[64];
  snprintf(list, sizeof list, "%s", temp_file("http://127.0.0.1:9/w\n"));
  EXPECT_EQ(parse_watch(&o, &msg, "-q", "-t", "2", "--probe-allow",
                        "http://127\\.0\\.0\\.2:[0-9]+/.*", list, (char *)NULL),
            0);
  struct sc_watch *w = sc_watch_new(&o);
  EXPECT_EQ(sc_watch_load(w), 1);
  EXPECT_EQ(sc_watch_probe(w, "http://127.0.0.1:9/w", 1000, on_probe, NULL),
            SC_PROBE_QUEUED);
  /* The expression matches whole URLs only. */
  EXPECT_EQ(sc_watch_probe(w, "http://127.0.0.1:9/x?http://127.0.0.2:1/", 1000,
                           on_probe, NULL),
            SC_PROBE_FORBIDDEN);
  EXPECT_EQ(sc_watch_probe(w, "http://127.0.0.1:9/other", 1000, on_probe, NULL),
            SC_PROBE_FORBIDDEN);
  EXPECT_EQ(sc_watch_probe(w, "mailto:a@b.c", 1000, on_probe, NULL),
            SC_PROBE_BAD);
  EXPECT_EQ(sc_watch_probe(w, "http://127.0.0.2:8080/x", 50, on_probe, NULL),
            SC_PROBE_QUEUED);
  /* Probes come first, with their own limit and no retries. */
  struct sc_source *src = sc_watch_source(w);
  struct sc_job j;
  EXPECT_EQ(src->next(src, &j, 0), 1);
  EXPECT_STR(j.url, "http://127.0.0.1:9/w");
  EXPECT_EQ(j.timeout_ms, 1000);
  EXPECT_EQ(j.no_retry, 1);
  struct sc_result r;
  fake_result(&r, 204, SC_OK, j.url);
  sc_watch_on_result(w, &j, &r);
  sc_job_clear(&j);
  EXPECT_EQ(probes_done, 1);
  EXPECT_EQ(probe_seen.status, 204);
  EXPECT_EQ(probe_seen.success, 1);
  /* The second is never taken: past its time (50 + 250 ms) it fails. */
  sleep_ms(350);
  sc_watch_tick(w);
  EXPECT_EQ(probes_done, 2);
  EXPECT_EQ(probe_seen.success, 0);
  EXPECT(probe_seen.duration_s >= 0.3);
  /* At most SC_PROBE_MAX at once; closing answers them all. */
  for (int i = 0; i < SC_PROBE_MAX; i++)
    EXPECT_EQ(sc_watch_probe(w, "http://127.0.0.1:9/w", 1000, on_probe, NULL),
              SC_PROBE_QUEUED);
  EXPECT_EQ(sc_watch_probe(w, "http://127.0.0.1:9/w", 1000, on_probe, NULL),
            SC_PROBE_BUSY);
  sc_watch_close_probes(w);
  EXPECT_EQ(probes_done, 2 + SC_PROBE_MAX);
  EXPECT_EQ(sc_watch_probe(w, "http://127.0.0.1:9/w", 1000, on_probe, NULL),
            SC_PROBE_BUSY);
  sc_watch_free(w);
  sc_opts_free(&o);
  sc_buf_free(&msg);
  unlink(list);
}
