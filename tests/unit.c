/* unit.c - unit tests of the pure modules: line reader, URL validation,
 * record and tally formatting, failure-class mapping, --fail-on, number
 * parsing. Prints one line per failure and "N passed, N failed" at the end;
 * exits 1 if anything failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "job.h"
#include "reader.h"
#include "record.h"
#include "scheduler.h"
#include "url.h"
#include "util.h"

static int passed, failed;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (cond)                                                         \
      passed++;                                                       \
    else {                                                            \
      failed++;                                                       \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                 \
  } while (0)

#define CHECK_STR(got, want)                                                  \
  do {                                                                        \
    const char *g_ = (got), *w_ = (want);                                     \
    if (g_ && w_ && strcmp(g_, w_) == 0)                                      \
      passed++;                                                               \
    else {                                                                    \
      failed++;                                                               \
      fprintf(stderr, "FAIL %s:%d: got [%s] want [%s]\n", __FILE__, __LINE__, \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                        \
    }                                                                         \
  } while (0)

/* A reader over an in-memory file holding data[0..n). */
static struct sc_reader *reader_for(const char *data, size_t n, int *fd) {
  *fd = memfd_create("unit", 0);
  if (*fd < 0 || write(*fd, data, n) != (ssize_t)n) abort();
  lseek(*fd, 0, SEEK_SET);
  return sc_reader_new(*fd);
}

static void test_reader_basics(void) {
  static const char in[] =
      "\xEF\xBB\xBF"
      "a.com\r\n"
      "\n"
      "   # comment\n"
      "  b.com  \t\r\n"
      "\r\n"
      "#x\n"
      "c.com";
  int fd;
  struct sc_reader *r = reader_for(in, sizeof in - 1, &fd);
  const char *line;
  size_t len;
  uint64_t no;
  int over;
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK_STR(line, "a.com");
  CHECK(no == 1 && !over && len == 5);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK_STR(line, "b.com");
  CHECK(no == 4);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK_STR(line, "c.com");
  CHECK(no == 7);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 0);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 0);
  sc_reader_free(r);
  close(fd);
}

static void test_reader_overlong_and_nul(void) {
  struct sc_buf b = {0};
  for (int i = 0; i < 9000; i++) sc_buf_addc(&b, 'x');
  sc_buf_adds(&b, "\nok.com\nnul");
  sc_buf_add(&b, "\0", 1);
  sc_buf_adds(&b, "byte\n");
  for (int i = 0; i < 200000; i++) sc_buf_addc(&b, 'y'); /* > one block */
  sc_buf_adds(&b, "\nlast\n");
  int fd;
  struct sc_reader *r = reader_for(b.data, b.len, &fd);
  const char *line;
  size_t len;
  uint64_t no;
  int over;
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK(over == 1 && len == SC_LINE_MAX && no == 1);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK_STR(line, "ok.com");
  CHECK(!over && no == 2);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK(len == 8 && memcmp(line, "nul\0byte", 8) == 0 && no == 3);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK(over == 1 && no == 4 && line[0] == 'y');
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 1);
  CHECK_STR(line, "last");
  CHECK(no == 5 && !over);
  CHECK(sc_reader_next(r, &line, &len, &no, &over) == 0);
  sc_reader_free(r);
  close(fd);
  sc_buf_free(&b);
}

/* Normalizes s; returns its class and the URL (or reason) in out. */
static enum sc_class norm(const char *s, size_t n, char *out, size_t cap) {
  struct sc_url u;
  const char *why = NULL;
  enum sc_class c = sc_url_normalize(s, n, 0, &u, &why);
  snprintf(out, cap, "%s", c == SC_OK ? u.url : why);
  free(u.url);
  free(u.host);
  return c;
}

static void test_url(void) {
  char out[512];
  CHECK(norm("example.com", 11, out, sizeof out) == SC_OK);
  CHECK_STR(out, "https://example.com/");
  CHECK(norm("http://127.0.0.1:8080/a?b=c", 27, out, sizeof out) == SC_OK);
  CHECK_STR(out, "http://127.0.0.1:8080/a?b=c");
  CHECK(norm("HTTP://Example.COM/x", 20, out, sizeof out) == SC_OK);
  CHECK(norm("http://[::1]:80/", 16, out, sizeof out) == SC_OK);
  CHECK(norm("ftp://example.com/", 18, out, sizeof out) == SC_INVALID_URL);
  CHECK(norm("file:///etc/passwd", 18, out, sizeof out) == SC_INVALID_URL);
  CHECK(norm("http://exa mple.com/", 20, out, sizeof out) == SC_INVALID_URL);
  CHECK(norm("http://", 7, out, sizeof out) == SC_INVALID_URL);
  CHECK(norm("htpp:0/", 7, out, sizeof out) == SC_INVALID_URL);
  CHECK(norm("http://a.com:0/", 15, out, sizeof out) == SC_INVALID_URL);
  CHECK(norm("http://a.com/\0x", 15, out, sizeof out) == SC_INVALID_URL);
  CHECK_STR(out, "line contains a NUL byte");
  CHECK(norm("http://x.invalid/", 17, out, sizeof out) == SC_DNS);
  CHECK(norm("http://INVALID./", 16, out, sizeof out) == SC_DNS);
  CHECK(norm("http://notinvalid/", 18, out, sizeof out) == SC_OK);
  struct sc_url u;
  const char *why = NULL;
  CHECK(sc_url_normalize("a.com", 5, 1, &u, &why) == SC_INVALID_URL);
  CHECK(u.url == NULL && strstr(why, "8192"));
  CHECK(sc_url_normalize("http://127.0.0.1:8/", 19, 0, &u, &why) == SC_OK);
  CHECK(u.ip_literal == 1 && u.port == 8);
  CHECK_STR(u.host, "127.0.0.1");
  free(u.url), free(u.host);
  CHECK(sc_url_normalize("http://[::1]/", 13, 0, &u, &why) == SC_OK);
  CHECK(u.ip_literal == 1 && u.port == 80);
  CHECK_STR(u.host, "[::1]");
  free(u.url), free(u.host);
  CHECK(sc_url_normalize("Example.COM", 11, 0, &u, &why) == SC_OK);
  CHECK(u.ip_literal == 0 && u.port == 443);
  CHECK_STR(u.host, "example.com");
  free(u.url), free(u.host);
}

static void test_strcpy_cut(void) {
  char small[4], exact[6];
  sc_strcpy_cut(small, sizeof small, "abcdef");
  CHECK_STR(small, "abc");
  sc_strcpy_cut(exact, sizeof exact, "abcde");
  CHECK_STR(exact, "abcde");
  sc_strcpy_cut(exact, sizeof exact, "");
  CHECK_STR(exact, "");
  char one[1] = {'x'};
  sc_strcpy_cut(one, sizeof one, "abc");
  CHECK(one[0] == '\0');
}

/* The canonical fast path must give exactly what curl_url gives wherever
 * it answers, and must answer for the common forms. */
static void test_url_fast_agrees(void) {
  static const char *const cases[] = {
      "http://example.com/",
      "https://example.com",
      "http://example.com",
      "http://a.b:8080",
      "https://127.0.1.5:19443/",
      "http://127.0.0.1/x",
      "http://a.b:80/",
      "https://a.b:443/x",
      "http://a.b:443/",
      "http://a.b:080/",
      "http://a.b:0/",
      "http://a.b:/",
      "http://a.b:65535/",
      "http://a.b:65536/",
      "http://a.b:99999999/",
      "http://0x7f.1/",
      "http://127.1/",
      "http://2130706433/",
      "http://01.2.3.4/",
      "http://1.2.3.04/",
      "http://256.1.1.1/",
      "http://1.2.3.4.5/",
      "http://1.2.3/",
      "http://1.2.3.4./",
      "http://9abc.com/",
      "http://a..b/",
      "http://a.b./",
      "http://-a.b/",
      "http://a-.b/",
      "http://a.b/x/./y",
      "http://a.b/x/../y",
      "http://a.b/.",
      "http://a.b/..",
      "http://a.b/x?y=/./z",
      "http://a.b/x?q=1&r=2",
      "http://a.b/{}|^`<>\"",
      "http://a.b/~user/",
      "http://a.b/x;y=z,w",
      "http://a.b/x'y(z)*!$+@:",
      "http://a.b/x[y]",
      "http://a.b//double//",
      "http://xn--bcher-kva.de/",
      "http://a.b/%41",
      "http://a.b/#frag",
      "http://a.b?x",
      "http://user@a.b/",
      "http://a.b\\x",
      "http://A.b/",
      "http://a.invalid/",
      "https://x.localhost:1/p",
      "http://a.b/ x",
      "http://a_b.c/",
      "http://a.b/\x7f",
      "http://e//0/y?",
      "http://e/y??",
      "http://e/?",
      "http://e/y?a?",
      "http://a.b/caf\xc3\xa9",
  };
  int fast = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *s = cases[i];
    struct sc_url f = {0}, u = {0};
    const char *why = NULL;
    if (!sc_url_fast(s, strlen(s), &f)) continue;
    fast++;
    enum sc_class c = sc_url_parse(s, strlen(s), 0, &u, &why);
    CHECK(c == SC_OK);
    if (c == SC_OK) {
      CHECK_STR(f.url, u.url);
      CHECK_STR(f.host, u.host);
      CHECK(f.port == u.port);
      CHECK(f.ip_literal == u.ip_literal);
    }
    free(f.url), free(f.host), free(u.url), free(u.host);
  }
  struct sc_url f;
  CHECK(sc_url_fast("http://example.com", 18, &f) == 1);
  CHECK_STR(f.url, "http://example.com/");
  free(f.url), free(f.host);
  CHECK(sc_url_fast("https://127.0.1.5:19443/", 24, &f) == 1);
  CHECK(f.ip_literal == 1 && f.port == 19443);
  free(f.url), free(f.host);
  CHECK(fast >= 15);
}

static void test_json_str(void) {
  struct sc_buf b = {0};
  sc_json_str(&b, "a\"b\\c\n\x01", 7);
  CHECK_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
  b.len = 0;
  sc_json_str(&b, "caf\xC3\xA9 \xE2\x82\xAC", 9); /* valid UTF-8 kept */
  CHECK_STR(b.data, "\"caf\xC3\xA9 \xE2\x82\xAC\"");
  b.len = 0;
  sc_json_str(&b,
              "a\xFF"
              "b\xC0\x80"
              "c\xED\xA0\x80"
              "d\xE2\x82",
              12);
  CHECK_STR(b.data,
            "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
  b.len = 0;
  sc_json_str(&b, "x\0y", 3);
  CHECK_STR(b.data, "\"x\\u0000y\"");
  sc_buf_free(&b);
}

static struct sc_result res(int status, enum sc_class cls) {
  static struct sc_job job = {.line = "u", .len = 1};
  struct sc_result r;
  sc_result_for_job(&r, &job);
  r.a.status = status;
  r.a.cls = cls;
  return r;
}

static void test_tally(void) {
  struct sc_tally t;
  struct sc_buf b = {0};
  memset(&t, 0, sizeof t);
  sc_tally_json(&b, &t);
  CHECK_STR(b.data, "{}");
  struct sc_result rs[] = {
      res(404, SC_OK),    res(0, SC_TIMEOUT),     res(200, SC_OK),
      res(0, SC_CONNECT), res(200, SC_OK),        res(0, SC_TOO_MANY_REDIRECTS),
      res(1, SC_OK),      res(0, SC_INVALID_URL), res(999, SC_OK)};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
    sc_tally_add(&t, &rs[i]);
  b.len = 0;
  sc_tally_json(&b, &t);
  CHECK_STR(b.data,
            "{\"1\": 1, \"200\": 2, \"404\": 1, \"999\": 1, \"connect\": 1, "
            "\"invalid_url\": 1, \"timeout\": 1, \"too_many_redirects\": 1}");
  CHECK(t.total == 9);
  sc_buf_free(&b);
}

static void test_records(void) {
  struct sc_buf b = {0};
  struct sc_result r = res(200, SC_OK);
  r.url = "a,\"b\"";
  r.url_len = 5;
  r.line = 7;
  r.a.time_ms = 12.34;
  r.final_url = "http://x/";
  r.a.redirects = 1;
  r.a.content_length = 0;
  r.a.cert_expiry = 86400 * 365;
  r.a.cert_days_left = -3;
  r.a.ttfb_ms = 1.25;
  r.chain = "302 http://a/\n200 http://x/\n";
  snprintf(r.a.ip, sizeof r.a.ip, "127.0.0.1");
  snprintf(r.a.method, sizeof r.a.method, "GET");
  snprintf(r.a.server, sizeof r.a.server, "srv \"1\"");
  sc_record_jsonl(&b, &r);
  CHECK_STR(b.data,
            "{\"url\":\"a,\\\"b\\\"\",\"line\":7,\"status\":200,\"error\":null,"
            "\"detail\":null,\"time_ms\":12.3,\"final_url\":\"http://x/\","
            "\"redirects\":1,\"ip\":\"127.0.0.1\",\"attempts\":1,"
            "\"method\":\"GET\",\"http_version\":null,\"content_type\":null,"
            "\"content_length\":0,\"server\":\"srv \\\"1\\\"\","
            "\"chain\":[{\"url\":\"http://a/\",\"status\":302},"
            "{\"url\":\"http://x/\",\"status\":200}],"
            "\"cert_expiry\":\"1971-01-01T00:00:00Z\",\"cert_days_left\":-3,"
            "\"dns_ms\":null,\"connect_ms\":null,\"tls_ms\":null,"
            "\"ttfb_ms\":1.2,\"duplicate_of\":null}\n");
  b.len = 0;
  sc_csv_header(&b);
  CHECK(strncmp(b.data,
                "url,line,status,error,detail,time_ms,final_url,"
                "redirects,ip,attempts,",
                54) == 0);
  b.len = 0;
  sc_record_csv(&b, &r);
  CHECK_STR(
      b.data,
      "\"a,\"\"b\"\"\",7,200,,,12.3,http://x/,1,127.0.0.1,1,GET,,,0,"
      "\"srv \"\"1\"\"\",\"[{\"\"url\"\":\"\"http://a/\"\",\"\"status\"\":302},"
      "{\"\"url\"\":\"\"http://x/\"\",\"\"status\"\":200}]\","
      "1971-01-01T00:00:00Z,-3,,,,1.2,\n");
  b.len = 0;
  struct sc_result e = res(0, SC_TIMEOUT);
  snprintf(e.a.detail, sizeof e.a.detail, "took\ntoo long");
  sc_record_csv(&b, &e);
  CHECK_STR(b.data, "u,0,,timeout,\"took\ntoo long\",0.0,,0,,1,,,,,,,,,,,,,\n");
  b.len = 0;
  e.duplicate_of = 4;
  sc_record_jsonl(&b, &e);
  CHECK(strstr(b.data, "\"duplicate_of\":4}") != NULL);
  b.len = 0;
  sc_record_jsonl(&b, &e);
  CHECK(strstr(b.data, "\"status\":null,\"error\":\"timeout\"") != NULL);
  CHECK(strstr(b.data, "\"ip\":null") != NULL);
  CHECK(strstr(b.data, "\"content_length\":null") != NULL);
  sc_buf_free(&b);
}

static void test_classify(void) {
  CHECK(sc_classify(CURLE_COULDNT_CONNECT) == SC_CONNECT);
  CHECK(sc_classify(CURLE_COULDNT_RESOLVE_HOST) == SC_DNS);
  CHECK(sc_classify(CURLE_OPERATION_TIMEDOUT) == SC_TIMEOUT);
  CHECK(sc_classify(CURLE_TOO_MANY_REDIRECTS) == SC_TOO_MANY_REDIRECTS);
  CHECK(sc_classify(CURLE_PEER_FAILED_VERIFICATION) == SC_TLS);
  CHECK(sc_classify(CURLE_SSL_CONNECT_ERROR) == SC_TLS);
  CHECK(sc_classify(CURLE_GOT_NOTHING) == SC_PROTOCOL);
  CHECK(sc_classify(CURLE_RECV_ERROR) == SC_PROTOCOL);
  CHECK(sc_classify(CURLE_WEIRD_SERVER_REPLY) == SC_PROTOCOL);
  CHECK(sc_classify(CURLE_UNSUPPORTED_PROTOCOL) == SC_PROTOCOL);
  CHECK(sc_classify(CURLE_URL_MALFORMAT) == SC_INVALID_URL);
  CHECK(sc_classify(CURLE_OUT_OF_MEMORY) == SC_OTHER);
  CHECK(sc_classify(CURLE_ABORTED_BY_CALLBACK) == SC_OTHER);
}

static void test_failon(void) {
  struct sc_failon f;
  char *bad = NULL;
  memset(&f, 0, sizeof f);
  CHECK(sc_failon_parse(&f, "4xx,503,timeout", &bad) == 0);
  struct sc_result r404 = res(404, SC_OK), r500 = res(500, SC_OK),
                   r503 = res(503, SC_OK), rto = res(0, SC_TIMEOUT),
                   rdns = res(0, SC_DNS);
  CHECK(sc_failon_match(&f, &r404));
  CHECK(!sc_failon_match(&f, &r500));
  CHECK(sc_failon_match(&f, &r503));
  CHECK(sc_failon_match(&f, &rto));
  CHECK(!sc_failon_match(&f, &rdns));
  CHECK(sc_failon_parse(&f, "error", &bad) == 0);
  CHECK(sc_failon_match(&f, &rdns));
  CHECK(sc_failon_parse(&f, "4xx,bogus", &bad) == -1);
  CHECK_STR(bad, "bogus");
  free(bad);
  CHECK(sc_failon_parse(&f, "", &bad) == -1);
  free(bad);
  CHECK(sc_failon_parse(&f, "6x", &bad) == -1);
  free(bad);
}

static void test_numbers(void) {
  long v;
  CHECK(sc_parse_seconds("10", &v) == 0 && v == 10000);
  CHECK(sc_parse_seconds("0.25", &v) == 0 && v == 250);
  CHECK(sc_parse_seconds("-1", &v) == -1);
  CHECK(sc_parse_seconds("abc", &v) == -1);
  CHECK(sc_parse_seconds("1e400", &v) == -1);
  CHECK(sc_parse_seconds("nan", &v) == -1);
  CHECK(sc_parse_long("42", 1, 100, &v) == 0 && v == 42);
  CHECK(sc_parse_long("0", 1, 100, &v) == -1);
  CHECK(sc_parse_long("12x", 1, 100, &v) == -1);
  CHECK(sc_parse_long("99999999999999999999", 1, 100, &v) == -1);
}

/* A scheduler over lines (held in a memfd) with the options args. */
struct sched_rig {
  struct sc_opts o;
  struct sc_feed *f;
  struct sc_sink *sink;
  struct sc_sched *s;
  int fd;
};

static void rig_open_lanes(struct sched_rig *r, const char *lines,
                           const char *a1, const char *a2, int lanes) {
  char path[64];
  r->fd = memfd_create("sched", 0);
  if (r->fd < 0 || write(r->fd, lines, strlen(lines)) < 0) abort();
  snprintf(path, sizeof path, "/proc/self/fd/%d", r->fd);
  char *argv[] = {"sitecheck", "-m",       "thread", "-q",
                  (char *)a1,  (char *)a2, path};
  memset(&r->o, 0, sizeof r->o);
  if (sc_opts_parse(&r->o, 7, argv) != 0) abort();
  r->f = sc_feed_open(&r->o);
  r->sink = sc_sink_open(&r->o);
  r->s = sc_sched_new(&r->o, r->f, r->sink, 4, lanes);
}

static void rig_open(struct sched_rig *r, const char *lines, const char *a1,
                     const char *a2) {
  rig_open_lanes(r, lines, a1, a2, 1);
}

/* Closes a sink, its tally going to /dev/null. */
static void sink_close_quietly(struct sc_sink *sink) {
  int out = dup(1), null = open("/dev/null", O_WRONLY);
  fflush(stdout);
  dup2(null, 1); /* the tally of an empty run */
  sc_sink_close(sink, 0);
  fflush(stdout);
  dup2(out, 1);
  close(out);
  close(null);
}

static void rig_close(struct sched_rig *r) {
  sc_sched_free(r->s);
  sc_feed_close(r->f);
  sink_close_quietly(r->sink);
  close(r->fd);
  sc_opts_free(&r->o);
}

/* A job given back (the thread model's main thread does this) is the next
 * one taken, at once: its turn under --rate / --host-rate comes back with
 * it while no other job started after it. */
static void test_sched_return(void) {
  struct sched_rig r;
  struct sc_job j;
  long wait;
  rig_open(&r, "http://a.unit-sitecheck.org/1\nhttp://a.unit-sitecheck.org/2\n",
           "--rate", "5");
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  sc_sched_return(r.s, &j);
  CHECK(j.url == NULL);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  struct sc_job k;
  CHECK(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 100);
  sc_sched_done(r.s, &j);
  sc_job_clear(&j);
  rig_close(&r);

  /* Per host: b/1 is given back while b/2 sleeps in the rate heap behind
   * a/2 (a started first); b must move to the heap's top. */
  rig_open(&r,
           "http://a.unit-sitecheck.org/1\nhttp://b.unit-sitecheck.org/1\n"
           "http://a.unit-sitecheck.org/2\nhttp://b.unit-sitecheck.org/2\n",
           "--host-rate", "5");
  struct sc_job a;
  CHECK(sc_sched_take(r.s, 0, &a, &wait) == 1 && a.lineno == 1);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  CHECK(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 100);
  sc_sched_return(r.s, &j);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  CHECK(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 100);
  sc_sched_done(r.s, &a);
  sc_sched_done(r.s, &j);
  sc_job_clear(&a);
  sc_job_clear(&j);
  rig_close(&r);

  /* A turn is never given back over a later start: a/2 started (after
   * its pause) when a/1 is given back, so a/1 waits for a/2's pause. */
  rig_open(&r, "http://a.unit-sitecheck.org/1\nhttp://a.unit-sitecheck.org/2\n",
           "--host-rate", "5");
  CHECK(sc_sched_take(r.s, 0, &a, &wait) == 1 && a.lineno == 1);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 0 && wait > 100);
  usleep(250 * 1000);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  sc_sched_return(r.s, &a);
  CHECK(sc_sched_take(r.s, 0, &a, &wait) == 0 && wait > 100);
  sc_sched_done(r.s, &j);
  sc_job_clear(&j);
  rig_close(&r);
}

/* sc_sched_company in a blocking model: it never waits for input (a
 * taker reading a slow pipe holds the scheduler), where the start-time
 * guess answers; otherwise it waits for the lock and answers from what the
 * scheduler knows. (It used to guess whenever the lock was held at all.) */
struct rig_thread {
  struct sc_sched *s;
  struct sc_job job;
  atomic_int r; /* -2 until the call returned */
};

static void *take_wait_in_thread(void *arg) {
  struct rig_thread *t = arg;
  atomic_store(&t->r, sc_sched_take_wait(t->s, &t->job));
  return NULL;
}

static void *company_in_thread(void *arg) {
  struct rig_thread *t = arg;
  atomic_store(&t->r, sc_sched_company(t->s, &t->job));
  return NULL;
}

/* Waits up to ms for t's call to return. */
static int returned_within(struct rig_thread *t, int ms) {
  for (int i = 0; i < ms && atomic_load(&t->r) == -2; i++) usleep(1000);
  return atomic_load(&t->r) != -2;
}

/* Takes from lane 0 until told to stop: each take holds the lock a
 * moment and, the input exhausted, finds nothing. */
struct hammer {
  struct sc_sched *s;
  atomic_int stop;
  atomic_long takes;
};

static void *take_in_a_loop(void *arg) {
  struct hammer *h = arg;
  struct sc_job x;
  long wait;
  while (!atomic_load(&h->stop)) {
    if (sc_sched_take(h->s, 0, &x, &wait) == 1) abort(); /* none is left */
    atomic_fetch_add(&h->takes, 1);
  }
  return NULL;
}

static void test_sched_company_and_slow_input(void) {
  int p[2];
  if (pipe(p) != 0) abort();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  char *argv[] = {"sitecheck", "-m", "thread", "-q", path};
  struct sc_opts o;
  memset(&o, 0, sizeof o);
  if (sc_opts_parse(&o, 5, argv) != 0) abort();
  struct sc_feed *f = sc_feed_open(&o);
  struct sc_sink *sink = sc_sink_open(&o);
  struct sc_sched *s = sc_sched_new(&o, f, sink, 4, 1);
  const char *l1 = "http://a.unit-sitecheck.org/1\n";
  const char *l2 = "http://a.unit-sitecheck.org/2\n";
  if (write(p[1], l1, strlen(l1)) < 0) abort();
  struct sc_job a;
  CHECK(sc_sched_take_wait(s, &a) == 1 && a.lineno == 1 && a.alone);

  /* A taker waits in the pipe for line 2, holding the scheduler. */
  struct rig_thread taker = {.s = s, .r = -2}, ask = {.s = s, .r = -2};
  pthread_t tt, ta;
  pthread_create(&tt, NULL, take_wait_in_thread, &taker);
  usleep(50 * 1000);
  ask.job = a;
  pthread_create(&ta, NULL, company_in_thread, &ask);
  CHECK(returned_within(&ask, 2000) && atomic_load(&ask.r) == 0);

  if (write(p[1], l2, strlen(l2)) < 0) abort();
  pthread_join(tt, NULL);
  pthread_join(ta, NULL);
  CHECK(atomic_load(&taker.r) == 1 && taker.job.lineno == 2);
  /* No taker reading: the answer is the scheduler's (a/2 is in flight). */
  CHECK(sc_sched_company(s, &a) == 1);

  /* Other threads holding the lock briefly (a taker finding nothing, as
   * a finishing thread's sc_sched_done would) are waited out: every answer
   * is the scheduler's. The old trylock guessed "alone" (0) here. */
  close(p[1]); /* end of input: read here, so no take reads while asked */
  struct sc_job none;
  long w;
  CHECK(sc_sched_take(s, 0, &none, &w) == -1);
  struct hammer hm = {.s = s};
  pthread_t th;
  pthread_create(&th, NULL, take_in_a_loop, &hm);
  long asked = 0, guesses = 0;
  while (atomic_load(&hm.takes) < 200000 && asked < 100000000) {
    guesses += !sc_sched_company(s, &a);
    asked++;
  }
  atomic_store(&hm.stop, 1);
  pthread_join(th, NULL);
  CHECK(atomic_load(&hm.takes) >= 200000 && guesses == 0);

  sc_sched_done(s, &a);
  sc_job_clear(&a);
  sc_sched_done(s, &taker.job);
  sc_job_clear(&taker.job);
  struct sc_job end;
  CHECK(sc_sched_take_wait(s, &end) != 1);
  sc_sched_free(s);
  sc_feed_close(f);
  sink_close_quietly(sink);
  close(p[0]);
  sc_opts_free(&o);
}

static int wakes[2];
static void count_wake(void *arg) {
  wakes[*(int *)arg]++;
}

static void done_clear(struct sched_rig *r, struct sc_job *j) {
  sc_sched_done(r->s, j);
  sc_job_clear(j);
}

#define A "http://a.unit-sitecheck.org/"
#define B "http://b.unit-sitecheck.org/"

/* Two lanes (two loops), 4 checks in flight: 2 slots per lane. */
static void test_sched_lanes(void) {
  struct sched_rig r;
  struct sc_job j, k, m;
  long wait;
  static int lane_ids[2] = {0, 1};

  /* A new host goes to the lane with fewer jobs (the taker's on a tie);
   * a taker queues other lanes' jobs and reads on for its own. */
  rig_open_lanes(&r, A "1\n" B "1\n" A "2\n" B "2\n", "-c", "4", 2);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  CHECK(sc_sched_take(r.s, 0, &k, &wait) == 1 && k.lineno == 3);
  CHECK(sc_sched_take(r.s, 1, &m, &wait) == 1 && m.lineno == 2);
  done_clear(&r, &j);
  done_clear(&r, &k);
  CHECK(sc_sched_take(r.s, 1, &j, &wait) == 1 && j.lineno == 4);
  CHECK(sc_sched_take(r.s, 0, &k, &wait) == -1);
  done_clear(&r, &j);
  done_clear(&r, &m);
  rig_close(&r);

  /* A lane's taker that found nothing is woken when a job of its lane
   * becomes ready, and only then. */
  rig_open_lanes(&r, A "1\n" A "2\n" B "1\n", "--per-host", "1", 2);
  wakes[0] = wakes[1] = 0;
  sc_sched_on_ready(r.s, 0, count_wake, &lane_ids[0]);
  sc_sched_on_ready(r.s, 1, count_wake, &lane_ids[1]);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 1);
  CHECK(sc_sched_take(r.s, 0, &k, &wait) == 0 && wait > 50 && wait <= 101);
  CHECK(wakes[0] == 0 && wakes[1] == 0);
  CHECK(sc_sched_take(r.s, 1, &k, &wait) == 1 && k.lineno == 3);
  done_clear(&r, &j);
  CHECK(wakes[0] == 1 && wakes[1] == 0);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 1 && j.lineno == 2);
  sc_sched_on_ready(r.s, 0, NULL, NULL);
  done_clear(&r, &j);
  done_clear(&r, &k);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == -1);
  CHECK(wakes[0] == 1 && wakes[1] == 0);
  rig_close(&r);

  /* Another lane takes a lane's ready job only once it has waited 100 ms
   * there (its own loop busy), and says when to look again; such a job
   * connects afresh and closes. */
  rig_open_lanes(&r, A "1\n" A "2\n" A "3\n", "--per-host", "0", 2);
  struct sc_job t[18];
  CHECK(sc_sched_take(r.s, 0, &t[0], &wait) == 1 && t[0].lineno == 1);
  CHECK(!t[0].stolen);
  CHECK(sc_sched_take(r.s, 1, &t[1], &wait) == 0 && wait > 50 && wait <= 101);
  usleep(120 * 1000);
  CHECK(sc_sched_take(r.s, 1, &t[1], &wait) == 1 && t[1].lineno == 2);
  CHECK(t[1].stolen && t[1].alone && !sc_sched_company(r.s, &t[1]));
  CHECK(sc_sched_take(r.s, 0, &t[2], &wait) == 1 && t[2].lineno == 3);
  CHECK(!t[2].stolen && sc_sched_company(r.s, &t[2]));
  for (int i = 0; i < 3; i++) done_clear(&r, &t[i]);
  rig_close(&r);

  /* A lane with 8 ready jobs per slot of its loop (16 here) falls behind:
   * the other loop reads no further ahead for it and takes its jobs at
   * once, keeping their connections. */
  rig_open_lanes(&r,
                 A "1\n" A "2\n" A "3\n" A "4\n" A "5\n" A "6\n" A "7\n" A
                   "8\n" A "9\n" A "10\n" A "11\n" A "12\n" A "13\n" A "14\n" A
                   "15\n" A "16\n" A "17\n" A "18\n",
                 "--per-host", "0", 2);
  CHECK(sc_sched_take(r.s, 0, &t[0], &wait) == 1 && t[0].lineno == 1);
  CHECK(sc_sched_take(r.s, 1, &t[1], &wait) == 1 && t[1].lineno == 2);
  CHECK(!t[1].stolen && sc_sched_company(r.s, &t[1]));
  CHECK(sc_sched_take(r.s, 1, &t[2], &wait) == 1 && t[2].lineno == 3);
  CHECK(sc_sched_take(r.s, 1, &t[3], &wait) == 0 && wait > 50);
  for (int i = 3; i < 18; i++)
    CHECK(sc_sched_take(r.s, 0, &t[i], &wait) == 1 &&
          t[i].lineno == (uint64_t)i + 1);
  for (int i = 0; i < 18; i++) done_clear(&r, &t[i]);
  rig_close(&r);

  /* A host seen before goes back to its lane, where its connections are,
   * though the other lane reads it and would win the tie. */
  rig_open_lanes(&r,
                 A
                 "1\n"
                 "http://d.unit-sitecheck.org/1\n"
                 "http://e.unit-sitecheck.org/1\n" A "2\n",
                 "-c", "4", 2);
  CHECK(sc_sched_take(r.s, 1, &j, &wait) == 1 && j.lineno == 1);
  CHECK(sc_sched_take(r.s, 0, &k, &wait) == 1 && k.lineno == 2);
  CHECK(sc_sched_take(r.s, 1, &m, &wait) == 1 && m.lineno == 3);
  done_clear(&r, &j);
  CHECK(sc_sched_take(r.s, 0, &j, &wait) == 0);
  CHECK(sc_sched_take(r.s, 1, &j, &wait) == 1 && j.lineno == 4);
  done_clear(&r, &j);
  done_clear(&r, &k);
  done_clear(&r, &m);
  rig_close(&r);
}

int main(void) {
  test_reader_basics();
  test_reader_overlong_and_nul();
  test_url();
  test_strcpy_cut();
  test_url_fast_agrees();
  test_json_str();
  test_tally();
  test_records();
  test_classify();
  test_failon();
  test_numbers();
  test_sched_return();
  test_sched_lanes();
  test_sched_company_and_slow_input();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
