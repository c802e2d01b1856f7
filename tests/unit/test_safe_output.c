/* test_safe_output.c - records a hostile server cannot abuse: control and
 * bidi characters escaped in JSON and replaced in CSV, CSV formula
 * injection neutralised, passwords in URLs masked (redact.c). */
/* NOLINTBEGIN(misc-misleading-bidirectional): bidi controls are this
 * file's test input, on purpose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "reader.h"
#include "record.h"
#include "redact.h"
#include "util.h"
#include "unit.h"

#define FFFD "\xEF\xBF\xBD"

/* s starts with prefix. */
#define EXPECT_PREFIX(s, prefix)                                              \
  do {                                                                        \
    const char *s_ = (s), *p_ = (prefix);                                     \
    if (strncmp(s_, p_, strlen(p_)) != 0)                                     \
      unit_fail(__FILE__, __LINE__, "[%s] does not start with [%s]", s_, p_); \
  } while (0)

/* The JSON string literal of s[0..n). */
static const char *json(struct sc_buf *b, const char *s, size_t n) {
  b->len = 0;
  sc_json_str(b, s, n);
  return b->data;
}

TEST(json_escapes_what_acts_on_display) {
  struct sc_buf b = {0};
  /* DEL, C1 controls (U+0085 NEL, U+009B CSI), bidi controls, line and
   * paragraph separators: \u escapes, never raw. */
  EXPECT_STR(json(&b,
                  "a\x7f"
                  "b",
                  3),
             "\"a\\u007fb\"");
  EXPECT_STR(json(&b, "\xC2\x85\xC2\x9B[2J", 7), "\"\\u0085\\u009b[2J\"");
  EXPECT_STR(json(&b, "\xC2\x80\xC2\x9F", 4), "\"\\u0080\\u009f\"");
  EXPECT_STR(json(&b, "x\xE2\x80\xAEy\xE2\x80\xAA\xE2\x80\xAD", 11),
             "\"x\\u202ey\\u202a\\u202d\"");
  EXPECT_STR(json(&b, "\xE2\x81\xA6\xE2\x81\xA9", 6), "\"\\u2066\\u2069\"");
  EXPECT_STR(json(&b, "\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C", 8),
             "\"\\u200e\\u200f\\u061c\"");
  EXPECT_STR(json(&b, "l\xE2\x80\xA8p\xE2\x80\xA9", 8), "\"l\\u2028p\\u2029\"");
  /* Terminal escapes in a header value: ESC and BEL escaped. */
  const char *evil = "evil\x1b[31mRED\x1b]0;pwned\x07\x1b[2J";
  EXPECT_STR(json(&b, evil, strlen(evil)),
             "\"evil\\u001b[31mRED\\u001b]0;pwned\\u0007\\u001b[2J\"");
  /* Neighbours of those stay as they are. */
  EXPECT_STR(json(&b, "\xC2\xA0\xE2\x80\xA7\xE2\x80\xAF\xE2\x81\xA5", 11),
             "\"\xC2\xA0\xE2\x80\xA7\xE2\x80\xAF\xE2\x81\xA5\"");
  EXPECT_STR(json(&b, "~", 1), "\"~\"");
  /* Invalid UTF-8 next to controls: a lone C1 byte (not UTF-8) is U+FFFD,
   * a cut sequence before a control too, and the control is escaped. */
  EXPECT_STR(json(&b, "\x9b[2J", 4), "\"\\ufffd[2J\"");
  EXPECT_STR(json(&b, "\xE2\x80\x1b", 3), "\"\\ufffd\\ufffd\\u001b\"");
  EXPECT_STR(json(&b, "\x1b\xC2", 2), "\"\\u001b\\ufffd\"");
  EXPECT_STR(json(&b, "\xC2\x9B\xFF\x7F", 4), "\"\\u009b\\ufffd\\u007f\"");
  /* An overlong form of U+202E is invalid, not a bidi control. */
  EXPECT_STR(json(&b, "\xF0\x82\x80\xAE", 4),
             "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
  sc_buf_free(&b);
}

static struct sc_result res(void) {
  static struct sc_job job = {.line = "u", .len = 1};
  struct sc_result r;
  sc_result_for_job(&r, &job);
  r.a.status = 200;
  return r;
}

/* Field i (0-based) of a one-line CSV record without quoted commas. */
static char *csv_col(const char *rec, int i) {
  const char *p = rec;
  static char out[1024];
  for (int k = 0; k < i; k++) p = strchr(p, ',') + 1;
  size_t n = strcspn(p, ",\n");
  snprintf(out, sizeof out, "%.*s", (int)n, p);
  return out;
}

enum { COL_URL = 0, COL_DETAIL = 4, COL_CT = 12, COL_SERVER = 14 };

TEST(csv_replaces_controls) {
  struct sc_buf b = {0};
  struct sc_result r = res();
  snprintf(r.a.server, sizeof r.a.server, "%s",
           "evil\x1b[31mRED\x1b]0;pwned\x07\x1b[2J");
  snprintf(r.a.content_type, sizeof r.a.content_type, "%s",
           "text/html\x7f\xC2\x9B"
           "1m\xE2\x80\xAEgpj.exe");
  r.url = "http://x/\x1b[31m";
  r.url_len = strlen(r.url);
  sc_record_csv(&b, &r);
  EXPECT_STR(csv_col(b.data, COL_SERVER),
             "evil" FFFD "[31mRED" FFFD "]0;pwned" FFFD FFFD "[2J");
  EXPECT_STR(csv_col(b.data, COL_CT),
             "text/html" FFFD FFFD "1m" FFFD "gpj.exe");
  EXPECT_STR(csv_col(b.data, COL_URL), "http://x/" FFFD "[31m");
  /* Every other C0 control, tab and NUL included, and DEL. */
  char in[4] = "a?b";
  r.url = in;
  r.url_len = 3;
  for (int c = 0; c <= 0x7F; c++) {
    if ((c >= 0x20 && c < 0x7F) || c == '\r' || c == '\n') continue;
    in[1] = (char)c;
    b.len = 0;
    sc_record_csv(&b, &r);
    EXPECT_STR(csv_col(b.data, COL_URL), "a" FFFD "b");
  }
  /* Bidi controls, each of them, and U+061C. */
  static const char *const bidi[] = {
      "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD",
      "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8",
      "\xE2\x81\xA9", "\xE2\x80\x8E", "\xE2\x80\x8F", "\xD8\x9C"};
  for (size_t i = 0; i < sizeof bidi / sizeof *bidi; i++) {
    b.len = 0;
    snprintf(r.a.server, sizeof r.a.server, "a%sb", bidi[i]);
    sc_record_csv(&b, &r);
    EXPECT_STR(csv_col(b.data, COL_SERVER), "a" FFFD "b");
  }
  /* Invalid UTF-8 next to controls: one U+FFFD per bad byte, one per
   * control; valid text around is kept. */
  b.len = 0;
  snprintf(r.a.server, sizeof r.a.server, "%s",
           "\xE2\x80\x1b"
           "caf\xC3\xA9\xC2\x1b\xFF\xC2\x85\xC3\xA9");
  sc_record_csv(&b, &r);
  EXPECT_STR(csv_col(b.data, COL_SERVER),
             FFFD FFFD FFFD "caf\xC3\xA9" FFFD FFFD FFFD FFFD "\xC3\xA9");
  /* CR and LF stay, inside quotes (RFC 4180). */
  b.len = 0;
  struct sc_result e = res();
  e.a.status = 0;
  e.a.cls = SC_TIMEOUT;
  snprintf(e.a.detail, sizeof e.a.detail, "a\r\n\x1b[2Jb");
  sc_record_csv(&b, &e);
  EXPECT_CONTAINS(b.data, ",timeout,\"a\r\n" FFFD "[2Jb\",");
  sc_buf_free(&b);
}

TEST(csv_neutralises_formulas) {
  struct sc_buf b = {0};
  struct sc_result r = res();
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\""},
      {"+1+2", "\"'+1+2\""},
      {"-2+3", "\"'-2+3\""},
      {"-3", "\"'-3\""}, /* a text field, however numeric it looks */
      {"@SUM(A1)", "\"'@SUM(A1)\""},
      {"=1,\"x\"", "\"'=1,\"\"x\"\"\""},
      {"\rx", "\"'\rx\""},
      {"\t=1", FFFD "=1"}, /* the tab is replaced, so no formula */
      {" =1", " =1"},
      {"a=1", "a=1"},
      {"'=1", "'=1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    b.len = 0;
    snprintf(r.a.server, sizeof r.a.server, "%s", cases[i].in);
    sc_record_csv(&b, &r);
    char want[128];
    snprintf(want, sizeof want, ",%s,", cases[i].out);
    EXPECT_CONTAINS(b.data, want);
  }
  /* Every text field gets it: url, detail, content_type, final_url. */
  b.len = 0;
  r.url = "-x";
  r.url_len = 2;
  r.final_url = "@y";
  snprintf(r.a.detail, sizeof r.a.detail, "=d");
  snprintf(r.a.content_type, sizeof r.a.content_type, "+c");
  snprintf(r.a.server, sizeof r.a.server, "s");
  sc_record_csv(&b, &r);
  EXPECT_PREFIX(b.data, "\"'-x\",0,200,,\"'=d\",0.0,\"'@y\",");
  EXPECT_CONTAINS(b.data, ",\"'+c\",");
  /* Numbers stay numbers: a negative cert_days_left is -3, bare. */
  b.len = 0;
  r = res();
  r.a.cert_expiry = 86400;
  r.a.cert_days_left = -3;
  r.a.content_length = 0;
  sc_record_csv(&b, &r);
  EXPECT_STR(b.data,
             "u,0,200,,,0.0,,0,,1,,,,0,,,1970-01-02T00:00:00Z,-3,,,,,,,false,"
             ",,,,,\n");
  /* JSON is not a spreadsheet: its strings stay as they are. */
  b.len = 0;
  r.url = "=x";
  r.url_len = 2;
  sc_record_jsonl(&b, &r);
  EXPECT_PREFIX(b.data, "{\"url\":\"=x\",");
  EXPECT_CONTAINS(b.data, "\"cert_days_left\":-3,");
  sc_buf_free(&b);
}

/* sc_redact_url of the C string in, with flags. */
static const char *redact(struct sc_buf *b, const char *in, unsigned flags) {
  b->len = 0;
  sc_buf_add(b, "", 0);
  sc_redact_url(in, strlen(in), flags, b);
  return b->data;
}

TEST(redact_one_url) {
  struct sc_buf b = {0};
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"http://alice:s3cret@host/", "http://alice:***@host/"},
      {"https://alice:s3cret@host:8443/p?q#f",
       "https://alice:***@host:8443/p?q#f"},
      {"http://alice:@host/", "http://alice:***@host/"},
      {"http://:pw@host/", "http://:***@host/"},
      {"http://alice@host/", "http://alice@host/"},
      {"http://host:8080/", "http://host:8080/"},
      {"http://host:8080", "http://host:8080"},
      {"http://[::1]:80/", "http://[::1]:80/"},
      {"http://u:p@[::1]:80/", "http://u:***@[::1]:80/"},
      /* A password with ':' or '@' in it: all of it, to the last '@'. */
      {"http://alice:a:b@c@host/", "http://alice:***@host/"},
      {"http://alice:p%40ss@host", "http://alice:***@host"},
      /* The query and the path are not the authority: not masked. */
      {"http://host/?token=x:y@z", "http://host/?token=x:y@z"},
      {"http://host/a:b@c", "http://host/a:b@c"},
      {"http://host#a:b@c", "http://host#a:b@c"},
      {"http://host/?u=http://a:b@c/", "http://host/?u=http://a:b@c/"},
      /* Spellings libcurl accepts: one or three slashes, any case, none
       * (a line without a scheme is https://LINE). */
      {"http:/alice:pw@host/", "http:/alice:***@host/"},
      {"http:///alice:pw@host/", "http:///alice:***@host/"},
      {"HTTP://alice:pw@host/", "HTTP://alice:***@host/"},
      {"alice:pw@host/x", "alice:***@host/x"},
      {"http:alice:pw@host/", "http:***@host/"},
      {"//alice:pw@host/", "//alice:***@host/"},
      {"/a:b@c", "/a:b@c"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    EXPECT_STR(redact(&b, cases[i].in, 0), cases[i].out);
  /* Counted; and masking again changes nothing. */
  b.len = 0;
  EXPECT_EQ(sc_redact_url("http://a:b@c/", 13, 0, &b), 1);
  EXPECT_EQ(sc_redact_url("http://a@c/", 11, 0, &b), 0);
  EXPECT_STR(redact(&b, "http://alice:***@host/", 0), "http://alice:***@host/");
  /* Cut short inside the password: what follows the ':' is masked. */
  EXPECT_STR(redact(&b, "http://alice:s3c", SC_REDACT_CUT), "http://alice:***");
  EXPECT_STR(redact(&b, "http://alice:s3c", 0), "http://alice:s3c");
  EXPECT_STR(redact(&b, "http://host:8080/", SC_REDACT_CUT),
             "http://host:8080/");
  EXPECT_STR(redact(&b, "http://[::1", SC_REDACT_CUT), "http://[::1");
  EXPECT_STR(redact(&b, "http://alice", SC_REDACT_CUT), "http://alice");
  /* NUL bytes are copied. */
  b.len = 0;
  EXPECT_EQ(sc_redact_url("http://a:\0@c/\0", 14, 0, &b), 1);
  EXPECT_EQ(b.len, 16);
  EXPECT(memcmp(b.data, "http://a:***@c/\0", 16) == 0);
  sc_buf_free(&b);
}

TEST(redact_text) {
  struct sc_buf b = {0};
  const unsigned T = SC_REDACT_TEXT;
  EXPECT_STR(
      redact(&b, "Unsupported proxy syntax in 'http://u:pw@proxy:3128'", T),
      "Unsupported proxy syntax in 'http://u:***@proxy:3128'");
  EXPECT_STR(redact(&b, "from http://a:b@x/ to https://c:d@y/z now", T),
             "from http://a:***@x/ to https://c:***@y/z now");
  EXPECT_STR(redact(&b, "<http://a:b@x> \"ftp://c:d@y\"", T),
             "<http://a:***@x> \"ftp://c:***@y\"");
  EXPECT_STR(redact(&b, "redirect to //a:b@x/ refused", T),
             "redirect to //a:***@x/ refused");
  EXPECT_STR(redact(&b, "http:/a:b@x/", T), "http:/a:***@x/");
  /* An authority ends at white space: a mail address after it is left. */
  EXPECT_STR(redact(&b, "see http://host:80 or mail a:b@c", T),
             "see http://host:80 or mail a:b@c");
  EXPECT_STR(redact(&b, "Failed to connect to 127.0.0.1 port 80", T),
             "Failed to connect to 127.0.0.1 port 80");
  EXPECT_STR(redact(&b, "a/b:c@d and a//b", T), "a/b:c@d and a//b");
  EXPECT_STR(redact(&b, "http://http://a:b@c/", T), "http://http://a:***@c/");
  /* Control bytes do not end a URL in text (white space does). */
  EXPECT_STR(redact(&b, "'foo://\x1b[31mu:pw\x07@h:1'", T),
             "'foo://\x1b[31mu:***@h:1'");
  EXPECT_STR(redact(&b, "http://a:b\t@c", T), "http://a:b\t@c");
  /* A message cut inside a password. */
  EXPECT_STR(redact(&b, "error: 'http://alice:s3", T | SC_REDACT_CUT),
             "error: 'http://alice:***");
  sc_buf_free(&b);
}

TEST(records_mask_passwords) {
  struct sc_buf b = {0};
  struct sc_result r = res();
  r.url = "http://alice:s3cret@host/?key=k1";
  r.url_len = strlen(r.url);
  r.final_url = "http://bob:hunter2@other/x";
  r.chain =
      "302 http://alice:s3cret@host/?key=k1\n200 http://bob:hunter2@other/x\n";
  snprintf(r.a.detail, sizeof r.a.detail,
           "after the response head: proxy 'http://carol:pw3@p:1'");
  sc_record_jsonl(&b, &r);
  EXPECT_PREFIX(b.data, "{\"url\":\"http://alice:***@host/?key=k1\",");
  EXPECT_CONTAINS(b.data,
                  "\"detail\":\"after the response head: proxy "
                  "'http://carol:***@p:1'\"");
  EXPECT_CONTAINS(b.data, "\"final_url\":\"http://bob:***@other/x\"");
  EXPECT_CONTAINS(b.data,
                  "\"chain\":[{\"url\":\"http://alice:***@host/?key=k1\","
                  "\"status\":302},{\"url\":\"http://bob:***@other/x\","
                  "\"status\":200}]");
  EXPECT(!strstr(b.data, "s3cret") && !strstr(b.data, "hunter2") &&
         !strstr(b.data, "pw3"));
  b.len = 0;
  sc_record_csv(&b, &r);
  EXPECT_PREFIX(b.data, "http://alice:***@host/?key=k1,0,200,,");
  EXPECT_CONTAINS(b.data, ",http://bob:***@other/x,");
  EXPECT_CONTAINS(b.data, "'http://carol:***@p:1'");
  EXPECT_CONTAINS(b.data, "\"\"url\"\":\"\"http://bob:***@other/x\"\"");
  EXPECT(!strstr(b.data, "s3cret") && !strstr(b.data, "hunter2") &&
         !strstr(b.data, "pw3"));
  /* The process model may cut final_url and the chain's last line. */
  b.len = 0;
  r.final_url = "http://bob:hunt";
  r.chain = "302 http://a/\n200 http://bob:hun";
  sc_record_jsonl(&b, &r);
  EXPECT_CONTAINS(b.data, "\"final_url\":\"http://bob:***\"");
  EXPECT_CONTAINS(b.data, "{\"url\":\"http://bob:***\",\"status\":200}]");
  /* The reader cuts a line at SC_LINE_MAX: the cut rule applies then. */
  char *line = sc_xmalloc(SC_LINE_MAX + 1);
  memset(line, 'a', SC_LINE_MAX);
  memcpy(line, "http://u:", 9);
  b.len = 0;
  r.url = line;
  r.url_len = SC_LINE_MAX;
  sc_record_jsonl(&b, &r);
  EXPECT_PREFIX(b.data, "{\"url\":\"http://u:***\",");
  r.url_len = SC_LINE_MAX - 1; /* a whole line: host:port, not masked */
  b.len = 0;
  sc_record_jsonl(&b, &r);
  EXPECT_PREFIX(b.data, "{\"url\":\"http://u:aaaa");
  free(line);
  sc_buf_free(&b);
}
/* NOLINTEND(misc-misleading-bidirectional) */
