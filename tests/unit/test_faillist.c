/* test_faillist.c - the failure list's parts: the bounded ordered keeper
 * (firstn.c), terminal-safe text and the colour decision (term.c),
 * --accept and --fail-on not-ok (record.c), the lines and the counts
 * (faillist.c), and the options that drive them (opts.c). */
/* NOLINTBEGIN(misc-misleading-bidirectional): bidi controls are this
 * file's test input, on purpose. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faillist.h"
#include "firstn.h"
#include "opts.h"
#include "record.h"
#include "term.h"
#include "util.h"
#include "unit.h"

/* A deterministic pseudo-random sequence (xorshift64). */
static uint64_t next_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static int cmp_key(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

TEST(firstn_keeps_the_smallest_keys_in_order) {
  struct sc_firstn k;
  static int tag[8];
  sc_firstn_init(&k, 3);
  /* Keys arrive out of order; (major, minor) orders by major first. */
  EXPECT(sc_firstn_add(&k, 1, 9, &tag[0]) == NULL);
  EXPECT(sc_firstn_add(&k, 0, 50, &tag[1]) == NULL);
  EXPECT(sc_firstn_add(&k, 1, 2, &tag[2]) == NULL);
  EXPECT(!sc_firstn_fits(&k, 1, 10));
  EXPECT(sc_firstn_fits(&k, 0, 51));
  /* Larger than every kept key: handed straight back. */
  EXPECT(sc_firstn_add(&k, 2, 0, &tag[3]) == &tag[3]);
  /* Smaller than the largest kept (1, 9): that one leaves. */
  EXPECT(sc_firstn_add(&k, 0, 7, &tag[4]) == &tag[0]);
  /* An equal key does not displace the one that came first. */
  EXPECT(sc_firstn_add(&k, 1, 2, &tag[5]) == &tag[5]);
  sc_firstn_pass(&k);
  EXPECT_EQ(k.offered, 7);
  EXPECT_EQ(sc_firstn_dropped(&k), 4);
  size_t n;
  const struct sc_firstn_item *it = sc_firstn_sorted(&k, &n);
  EXPECT_EQ(n, 3);
  EXPECT(it[0].major == 0 && it[0].minor == 7 && it[0].data == &tag[4]);
  EXPECT(it[1].major == 0 && it[1].minor == 50 && it[1].data == &tag[1]);
  EXPECT(it[2].major == 1 && it[2].minor == 2 && it[2].data == &tag[2]);
  sc_firstn_free(&k);
  /* Room for none: everything comes back, nothing is allocated. */
  sc_firstn_init(&k, 0);
  EXPECT(!sc_firstn_fits(&k, 0, 0));
  EXPECT(sc_firstn_add(&k, 0, 0, &tag[6]) == &tag[6]);
  EXPECT(k.heap == NULL && sc_firstn_dropped(&k) == 1);
  sc_firstn_free(&k);
}

TEST(firstn_matches_a_full_sort) {
  /* 20,000 distinct keys in random order through keepers of several
   * sizes: each keeps exactly the smallest cap keys, sorted, and never
   * allocates room for more than cap. */
  enum { N = 20000 };
  uint64_t *keys = sc_xmalloc(N * sizeof *keys), seed = 42;
  for (size_t i = 0; i < N; i++) keys[i] = i * 7 + 3;
  for (size_t i = N - 1; i > 0; i--) {
    size_t j = (size_t)(next_rand(&seed) % (i + 1));
    uint64_t t = keys[i];
    keys[i] = keys[j];
    keys[j] = t;
  }
  static const size_t caps[] = {1, 2, 7, 200, 19999, 20000, 30000};
  for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
    struct sc_firstn k;
    sc_firstn_init(&k, caps[c]);
    uint64_t out = 0;
    for (size_t i = 0; i < N; i++) {
      /* major: the input (key / 1000), minor: the line. */
      uint64_t *d = sc_xmalloc(sizeof *d);
      *d = keys[i];
      uint64_t *back = sc_firstn_add(&k, keys[i] / 1000, keys[i] % 1000, d);
      if (back) out++;
      free(back);
      EXPECT(k.alloc <= caps[c]);
    }
    size_t want = caps[c] < N ? caps[c] : N, n;
    EXPECT_EQ(out, N - want);
    EXPECT_EQ(sc_firstn_dropped(&k), N - want);
    const struct sc_firstn_item *it = sc_firstn_sorted(&k, &n);
    EXPECT_EQ(n, want);
    uint64_t *sorted = sc_xmalloc(N * sizeof *sorted);
    memcpy(sorted, keys, N * sizeof *sorted);
    qsort(sorted, N, sizeof *sorted, cmp_key);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
      bad += *(uint64_t *)it[i].data != sorted[i];
      bad += it[i].major != sorted[i] / 1000 || it[i].minor != sorted[i] % 1000;
      free(it[i].data);
    }
    EXPECT_EQ(bad, 0);
    free(sorted);
    sc_firstn_free(&k);
  }
  free(keys);
}

/* sc_term_text of s[0..n), in b (emptied first). */
static const char *term(struct sc_buf *b, const char *s, size_t n) {
  b->len = 0;
  sc_buf_add(b, "", 0);
  sc_term_text(b, s, n);
  sc_buf_addc(b, '\0');
  return b->data;
}
#define TERM(b, lit) term(b, lit, sizeof(lit) - 1)

TEST(term_text_shows_every_byte_and_acts_on_none) {
  struct sc_buf b = {0};
  EXPECT_STR(TERM(&b, "http://a.example/x?q=1#f"), "http://a.example/x?q=1#f");
  /* ESC sequences (CSI, OSC with BEL), other C0 controls, DEL, NUL. */
  EXPECT_STR(TERM(&b, "a\x1b[2Jb\x1b]0;t\x07"), "a\\x1b[2Jb\\x1b]0;t\\x07");
  EXPECT_STR(TERM(&b, "\x7f\x01\0z"), "\\x7f\\x01\\x00z");
  EXPECT_STR(TERM(&b, "t\tn\nr\r"), "t\\tn\\nr\\r");
  /* A backslash is doubled, so an escape cannot be forged. */
  EXPECT_STR(TERM(&b, "a\\x1b"), "a\\\\x1b");
  /* UTF-8 that is shown stays; C1 (U+009B CSI, U+0085 NEL) and bidi
   * controls (U+202E), U+2028/U+2029 and invalid bytes become \xNN. */
  EXPECT_STR(TERM(&b, "caf\xC3\xA9 \xE4\xB8\xAD"), "caf\xC3\xA9 \xE4\xB8\xAD");
  EXPECT_STR(TERM(&b,
                  "\xC2\x9B"
                  "31m\xC2\x85"),
             "\\xc2\\x9b31m\\xc2\\x85");
  EXPECT_STR(TERM(&b, "x\xE2\x80\xAEgpj.exe"), "x\\xe2\\x80\\xaegpj.exe");
  EXPECT_STR(TERM(&b, "\xE2\x81\xA6"), "\\xe2\\x81\\xa6");
  EXPECT_STR(TERM(&b, "\xE2\x80\xA8\xE2\x80\xA9"),
             "\\xe2\\x80\\xa8\\xe2\\x80\\xa9");
  EXPECT_STR(TERM(&b, "\xFF\xC3(\xE2\x82"), "\\xff\\xc3(\\xe2\\x82");
  EXPECT_STR(TERM(&b, "\xC0\xAF"), "\\xc0\\xaf"); /* overlong '/' */
  /* Nothing below 0x20, no DEL and no byte 0x80..0x9F is ever written
   * raw, whatever the input: every byte value, alone and in pairs. */
  int raw = 0;
  for (int x = 0; x < 256; x++)
    for (int y = 0; y < 256; y += 17) {
      char in[2] = {(char)x, (char)y};
      term(&b, in, 2);
      for (size_t i = 0; i + 1 < b.len; i++) {
        unsigned char c = (unsigned char)b.data[i];
        raw += c < 0x20 || c == 0x7f;
        /* A C1 control's UTF-8 form (C2 80..C2 9F) never survives. */
        raw += c == 0xC2 && (unsigned char)b.data[i + 1] >= 0x80 &&
               (unsigned char)b.data[i + 1] <= 0x9F;
      }
    }
  EXPECT_EQ(raw, 0);
  sc_buf_free(&b);
}

TEST(term_color_decision) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  unsetenv("NO_COLOR");
  setenv("TERM", "xterm", 1);
  EXPECT_EQ(sc_term_color(SC_COLOR_ALWAYS, fds[1]), 1);
  EXPECT_EQ(sc_term_color(SC_COLOR_NEVER, fds[1]), 0);
  EXPECT_EQ(sc_term_color(SC_COLOR_AUTO, fds[1]), 0); /* a pipe */
  /* NO_COLOR (not empty) turns auto off; always still colours. */
  setenv("NO_COLOR", "1", 1);
  EXPECT_EQ(sc_term_color(SC_COLOR_ALWAYS, fds[1]), 1);
  EXPECT_EQ(sc_term_color(SC_COLOR_AUTO, fds[1]), 0);
  close(fds[0]);
  close(fds[1]);
}

/* A result of status (or class cls) for line of input no. */
static struct sc_result result(int status, int cls, uint32_t input,
                               uint64_t line) {
  struct sc_result r;
  memset(&r, 0, sizeof r);
  r.url = "http://h.example/p";
  r.url_len = strlen(r.url);
  r.line = line;
  r.input = input ? "b.txt" : "-";
  r.input_no = input;
  r.a.status = status;
  r.a.cls = cls;
  return r;
}

TEST(accept_lists) {
  unsigned char acc[1000];
  char *bad = NULL;
  memset(acc, 0, sizeof acc);
  EXPECT_EQ(sc_accept_parse(acc, "200-299,403,3xx", &bad), 0);
  EXPECT(acc[200] && acc[250] && acc[299] && acc[403] && acc[301]);
  EXPECT(!acc[199] && !acc[400] && !acc[404]);
  struct sc_result r = result(403, SC_OK, 0, 1);
  EXPECT(sc_result_ok(acc, &r));
  r = result(404, SC_OK, 0, 1);
  EXPECT(!sc_result_ok(acc, &r));
  /* A failure class is never OK, whatever the list. */
  memset(acc, 1, sizeof acc);
  r = result(0, SC_TIMEOUT, 0, 1);
  EXPECT(!sc_result_ok(acc, &r));
  static const char *const bads[] = {"",        "20",  "2000",     "200-",
                                     "299-200", "abc", "200-2999", "099",
                                     "200,",    "6x"};
  for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
    memset(acc, 0, sizeof acc);
    EXPECT_EQ(sc_accept_parse(acc, bads[i], &bad), -1);
    free(bad);
    bad = NULL;
  }
}

TEST(failon_not_ok) {
  struct sc_failon f;
  char *bad = NULL;
  memset(&f, 0, sizeof f);
  EXPECT_EQ(sc_failon_parse(&f, "not-ok", &bad), 0);
  struct sc_result r = result(404, SC_OK, 0, 1);
  r.ok = 1; /* an accepted 404 */
  EXPECT(!sc_failon_match(&f, &r));
  r.ok = 0;
  EXPECT(sc_failon_match(&f, &r));
  /* Ranges, as --accept takes them. */
  memset(&f, 0, sizeof f);
  EXPECT_EQ(sc_failon_parse(&f, "500-503", &bad), 0);
  r = result(503, SC_OK, 0, 1);
  EXPECT(sc_failon_match(&f, &r));
  r = result(504, SC_OK, 0, 1);
  EXPECT(!sc_failon_match(&f, &r));
}

/* A run's options from the arguments (up to a NULL), for the list. */
static void opts_of(struct sc_opts *o, ...) {
  static char *argv[16];
  struct sc_buf err = {0};
  va_list ap;
  int argc = 0;
  argv[argc++] = "sitecheck";
  va_start(ap, o);
  for (char *a; argc < 15 && (a = va_arg(ap, char *));) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  EXPECT_EQ(sc_opts_read(o, argc, argv, &err), 0);
  sc_buf_free(&err);
}

TEST(faillist_counts_orders_and_caps) {
  struct sc_opts o;
  opts_of(&o, "--show-max", "3", "-o", "out.jsonl", (char *)NULL);
  struct sc_faillist *f = sc_faillist_new(&o, 0);
  /* Completion order differs from input order. */
  struct sc_result rs[] = {
      result(500, SC_OK, 1, 2),        result(200, SC_OK, 0, 9),
      result(404, SC_OK, 1, 1),        result(0, SC_TIMEOUT, 0, 7),
      result(0, SC_INVALID_URL, 0, 8), result(503, SC_OK, 1, 3),
  };
  snprintf(rs[3].a.detail, sizeof rs[3].a.detail,
           "timed out at http://u:pw@h.example/\x1b[2J");
  for (size_t i = 0; i < sizeof rs / sizeof *rs; i++) {
    rs[i].ok = sc_result_ok(o.accept, &rs[i]);
    sc_faillist_add(f, &rs[i]);
  }
  struct sc_buf b = {0};
  sc_faillist_summary(f, &b, 1, 1);
  EXPECT_STR(b.data,
             "1 OK, 5 not OK (404: 1, 500: 1, 503: 1, invalid_url: 1, "
             "timeout: 1)\n"
             "timeout      http://h.example/p  stdin:7  timed out at "
             "http://u:***@h.example/\\x1b[2J\n"
             "invalid_url  http://h.example/p  stdin:8\n"
             "404          http://h.example/p  b.txt:1  Not Found\n"
             "\xE2\x80\xA6 and 2 more: all of them are in out.jsonl\n");
  sc_faillist_free(f);
  sc_buf_free(&b);
  sc_opts_free(&o);
  /* Counts only; no -o: how to keep them all; all OK. */
  opts_of(&o, "--show-max", "0", (char *)NULL);
  f = sc_faillist_new(&o, 0);
  struct sc_result r = result(404, SC_OK, 0, 1);
  sc_faillist_add(f, &r);
  sc_faillist_summary(f, &b, 0, 1);
  EXPECT_STR(b.data, "\xE2\x80\xA6 and 1 more: use -o FILE to keep them all\n");
  sc_faillist_free(f);
  sc_buf_free(&b);
  f = sc_faillist_new(&o, 0);
  r.ok = 1;
  sc_faillist_add(f, &r);
  sc_faillist_summary(f, &b, 1, 1);
  EXPECT_STR(b.data, "1 OK, 0 not OK\n");
  sc_faillist_free(f);
  sc_buf_free(&b);
  sc_opts_free(&o);
}

TEST(faillist_line_colours_only_the_label) {
  struct sc_buf b = {0};
  struct sc_result r = result(200, SC_OK, 0, 4);
  r.ok = 1;
  sc_faillist_line(&b, &r, 1);
  EXPECT_STR(b.data, SC_TERM_GREEN "200" SC_TERM_RESET
                                   "  http://h.example/p  stdin:4  OK\n");
  b.len = 0;
  r = result(404, SC_OK, 1, 5);
  sc_faillist_line(&b, &r, 1);
  EXPECT_STR(b.data, SC_TERM_YELLOW
             "404" SC_TERM_RESET "  http://h.example/p  b.txt:5  Not Found\n");
  b.len = 0;
  r = result(0, SC_DNS, 1, 6);
  r.url = "http://x\x1b]0;t\x07/";
  r.url_len = strlen(r.url);
  sc_faillist_line(&b, &r, 1);
  EXPECT_STR(b.data, SC_TERM_RED "dns" SC_TERM_RESET
                                 "  http://x\\x1b]0;t\\x07/  b.txt:6\n");
  b.len = 0;
  sc_faillist_line(&b, &r, 0);
  EXPECT_STR(b.data, "dns  http://x\\x1b]0;t\\x07/  b.txt:6\n");
  sc_buf_free(&b);
}

TEST(opts_accept_show_quiet_and_given) {
  struct sc_opts o;
  opts_of(&o, (char *)NULL);
  EXPECT(o.accept[200] && o.accept[299] && !o.accept[301] && !o.accept[404]);
  EXPECT(o.show == SC_SHOW_FAILURES && o.show_max == 200);
  EXPECT(o.color == SC_COLOR_AUTO && o.report == NULL);
  EXPECT_EQ(o.given.len, 0);
  sc_opts_free(&o);
  /* --no-follow: a redirect is an answer, OK by default. */
  opts_of(&o, "--no-follow", (char *)NULL);
  EXPECT(o.accept[200] && o.accept[301] && o.accept[399] && !o.accept[404]);
  sc_opts_free(&o);
  /* --accept replaces the default; a second one adds to the first. */
  opts_of(&o, "--no-follow", "--accept", "200", "--accept", "404",
          (char *)NULL);
  EXPECT(o.accept[200] && o.accept[404] && !o.accept[201] && !o.accept[301]);
  sc_opts_free(&o);
  /* -q: no list and no progress, unless asked for. */
  opts_of(&o, "-q", (char *)NULL);
  EXPECT(o.show == SC_SHOW_NONE && o.progress == 0);
  sc_opts_free(&o);
  opts_of(&o, "-q", "--progress", "--show", "all", (char *)NULL);
  EXPECT(o.show == SC_SHOW_ALL && o.progress == 1);
  sc_opts_free(&o);
  /* The options as given, for the report: no header value, no password. */
  opts_of(&o, "-H", "Authorization: Bearer s3cret", "-x",
          "http://u:pw@proxy.example:3128", "-A", "agent s3cret", "-H",
          "X-Empty;", "-c", "5", "--fail-on", "4xx", (char *)NULL);
  EXPECT_STR(o.given.data,
             "--header 'Authorization: ***' --proxy "
             "http://u:***@proxy.example:3128 --user-agent *** --header "
             "'X-Empty;' --concurrency 5 --fail-on 4xx");
  sc_opts_free(&o);
}
/* NOLINTEND(misc-misleading-bidirectional) */
