/* test_input.c - the line reader, URL validation and its fast path, and
 * small string helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"
#include "url.h"
#include "util.h"
#include "unit.h"

/* A reader over an in-memory file holding data[0..n). */
static struct sc_reader *reader_for(const char *data, size_t n, int *fd) {
  *fd = memfd_create("unit", 0);
  if (*fd < 0 || write(*fd, data, n) != (ssize_t)n) abort();
  lseek(*fd, 0, SEEK_SET);
  return sc_reader_new(*fd);
}

TEST(reader_basics) {
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
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT_STR(line, "a.com");
  EXPECT(no == 1 && !over && len == 5);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT_STR(line, "b.com");
  EXPECT(no == 4);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT_STR(line, "c.com");
  EXPECT(no == 7);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 0);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 0);
  sc_reader_free(r);
  close(fd);
}

TEST(reader_overlong_and_nul) {
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
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT(over == 1 && len == SC_LINE_MAX && no == 1);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT_STR(line, "ok.com");
  EXPECT(!over && no == 2);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT(len == 8 && memcmp(line, "nul\0byte", 8) == 0 && no == 3);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT(over == 1 && no == 4 && line[0] == 'y');
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 1);
  EXPECT_STR(line, "last");
  EXPECT(no == 5 && !over);
  EXPECT(sc_reader_next(r, &line, &len, &no, &over) == 0);
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

TEST(url) {
  char out[512];
  EXPECT(norm("example.com", 11, out, sizeof out) == SC_OK);
  EXPECT_STR(out, "https://example.com/");
  EXPECT(norm("http://127.0.0.1:8080/a?b=c", 27, out, sizeof out) == SC_OK);
  EXPECT_STR(out, "http://127.0.0.1:8080/a?b=c");
  EXPECT(norm("HTTP://Example.COM/x", 20, out, sizeof out) == SC_OK);
  EXPECT(norm("http://[::1]:80/", 16, out, sizeof out) == SC_OK);
  EXPECT(norm("ftp://example.com/", 18, out, sizeof out) == SC_INVALID_URL);
  EXPECT(norm("file:///etc/passwd", 18, out, sizeof out) == SC_INVALID_URL);
  EXPECT(norm("http://exa mple.com/", 20, out, sizeof out) == SC_INVALID_URL);
  EXPECT(norm("http://", 7, out, sizeof out) == SC_INVALID_URL);
  EXPECT(norm("htpp:0/", 7, out, sizeof out) == SC_INVALID_URL);
  EXPECT(norm("http://a.com:0/", 15, out, sizeof out) == SC_INVALID_URL);
  EXPECT(norm("http://a.com/\0x", 15, out, sizeof out) == SC_INVALID_URL);
  EXPECT_STR(out, "line contains a NUL byte");
  EXPECT(norm("http://x.invalid/", 17, out, sizeof out) == SC_DNS);
  EXPECT(norm("http://INVALID./", 16, out, sizeof out) == SC_DNS);
  EXPECT(norm("http://notinvalid/", 18, out, sizeof out) == SC_OK);
  struct sc_url u;
  const char *why = NULL;
  EXPECT(sc_url_normalize("a.com", 5, 1, &u, &why) == SC_INVALID_URL);
  EXPECT(u.url == NULL && strstr(why, "8192"));
  EXPECT(sc_url_normalize("http://127.0.0.1:8/", 19, 0, &u, &why) == SC_OK);
  EXPECT(u.ip_literal == 1 && u.port == 8);
  EXPECT_STR(u.host, "127.0.0.1");
  free(u.url), free(u.host);
  EXPECT(sc_url_normalize("http://[::1]/", 13, 0, &u, &why) == SC_OK);
  EXPECT(u.ip_literal == 1 && u.port == 80);
  EXPECT_STR(u.host, "[::1]");
  free(u.url), free(u.host);
  EXPECT(sc_url_normalize("Example.COM", 11, 0, &u, &why) == SC_OK);
  EXPECT(u.ip_literal == 0 && u.port == 443);
  EXPECT_STR(u.host, "example.com");
  free(u.url), free(u.host);
}

/* Normalizes the C string s: its class, and its URL or reason in out. */
static enum sc_class norms(const char *s, char *out, size_t cap) {
  return norm(s, strlen(s), out, cap);
}

/* A line names a scheme when the text before its first ':' is a scheme
 * name and what follows is not a port; other schemes are refused without
 * the network, HOST:PORT lines are https. */
TEST(url_scheme_rule) {
  static const char *const refused[] = {
      "mailto:foo@example.com",
      "MailTo:foo@example.com",
      "tel:+1-555-0100",
      "javascript:void(0)",
      "data:text/plain,hi",
      "urn:isbn:0451450523",
      "ftp://example.com/",
      "a.com:80x",
      "a.com:/x",
      "svn+ssh://h/x",
      "user:pass@host.com",
  };
  char out[512];
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    EXPECT_EQ(norms(refused[i], out, sizeof out), SC_INVALID_URL);
    EXPECT_STR(out, "unsupported scheme (only http and https are checked)");
  }
  static const char *const web[][2] = {
      {"example.com:8080/x", "https://example.com:8080/x"},
      {"a.com:8080", "https://a.com:8080/"},
      {"a.com:8080?q=1", "https://a.com:8080/?q=1"},
      {"localhost:3000", "https://localhost:3000/"},
      {"[::1]:80/x", "https://[::1]:80/x"},
      {"user@host.com", "https://user@host.com/"},
      {"example.com/a:b", "https://example.com/a:b"},
      {"1a:/x", "https://1a/x"}, /* a scheme name starts with a letter */
      {"HTTP://Example.COM/x", "http://Example.COM/x"},
      {"https://a.b/x", "https://a.b/x"},
  };
  for (size_t i = 0; i < sizeof web / sizeof *web; i++) {
    EXPECT_EQ(norms(web[i][0], out, sizeof out), SC_OK);
    EXPECT_STR(out, web[i][1]);
  }
  /* http and https named without "//" are theirs to parse, not a host. */
  EXPECT_EQ(norms("http:example.com", out, sizeof out), SC_INVALID_URL);
  EXPECT(strstr(out, "unsupported scheme") == NULL);
  /* a port out of range is still a port, and invalid */
  EXPECT_EQ(norms("tel:5551234", out, sizeof out), SC_INVALID_URL);
  EXPECT(strstr(out, "unsupported scheme") == NULL);
}

/* An internationalised host is checked, looked up and keyed in its ASCII
 * (punycode) form; the fast path leaves such lines to the full parse. */
TEST(url_idn_host) {
  struct sc_url u;
  const char *why = NULL;
  const char *s =
      "http://b\xc3\xbc"
      "cher.example/p?q";
  EXPECT_EQ(sc_url_normalize(s, strlen(s), 0, &u, &why), SC_OK);
  EXPECT_STR(u.url, "http://xn--bcher-kva.example/p?q");
  EXPECT_STR(u.host, "xn--bcher-kva.example");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.ip_literal, 0);
  free(u.url), free(u.host);
  s = "B\xc3\x9c"
      "CHER.localhost:8080";
  EXPECT_EQ(sc_url_normalize(s, strlen(s), 0, &u, &why), SC_OK);
  EXPECT_STR(u.url, "https://xn--bcher-kva.localhost:8080/");
  EXPECT_STR(u.host, "xn--bcher-kva.localhost");
  free(u.url), free(u.host);
  s = "http://b%C3%BCcher.example/"; /* percent-encoded UTF-8 */
  EXPECT_EQ(sc_url_normalize(s, strlen(s), 0, &u, &why), SC_OK);
  EXPECT_STR(u.host, "xn--bcher-kva.example");
  free(u.url), free(u.host);
  s = "http://\xe4\xbe\x8b\xe3\x81\x88.invalid/"; /* reserved, after IDNA */
  EXPECT_EQ(sc_url_normalize(s, strlen(s), 0, &u, &why), SC_DNS);
  s = "http://a\xff.com/"; /* not UTF-8: no name to look up */
  EXPECT_EQ(sc_url_normalize(s, strlen(s), 0, &u, &why), SC_INVALID_URL);
  EXPECT_CONTAINS(why, "internationalised");
  EXPECT(u.url == NULL);
  struct sc_url f;
  s = "http://b\xc3\xbc"
      "cher.example/";
  EXPECT_EQ(sc_url_fast(s, strlen(s), &f), 0);
  s = "http://xn--bcher-kva.example/";
  EXPECT_EQ(sc_url_fast(s, strlen(s), &f), 1);
  EXPECT_STR(f.host, "xn--bcher-kva.example");
  free(f.url), free(f.host);
}

TEST(strcpy_cut) {
  char small[4], exact[6];
  sc_strcpy_cut(small, sizeof small, "abcdef");
  EXPECT_STR(small, "abc");
  sc_strcpy_cut(exact, sizeof exact, "abcde");
  EXPECT_STR(exact, "abcde");
  sc_strcpy_cut(exact, sizeof exact, "");
  EXPECT_STR(exact, "");
  char one[1] = {'x'};
  sc_strcpy_cut(one, sizeof one, "abc");
  EXPECT(one[0] == '\0');
}

/* The canonical fast path must give exactly what curl_url gives wherever
 * it answers, and must answer for the common forms. */
TEST(url_fast_agrees) {
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
      "http://b\xc3\xbc" /* NOLINT(bugprone-suspicious-missing-comma) */
      "cher.example/",
      "https://xn--bcher-kva.localhost:8080/x",
  };
  int fast = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *s = cases[i];
    struct sc_url f = {0}, u = {0};
    const char *why = NULL;
    if (!sc_url_fast(s, strlen(s), &f)) continue;
    fast++;
    enum sc_class c = sc_url_parse(s, strlen(s), 0, &u, &why);
    EXPECT(c == SC_OK);
    if (c == SC_OK) {
      EXPECT_STR(f.url, u.url);
      EXPECT_STR(f.host, u.host);
      EXPECT(f.port == u.port);
      EXPECT(f.ip_literal == u.ip_literal);
    }
    free(f.url), free(f.host), free(u.url), free(u.host);
  }
  struct sc_url f;
  EXPECT(sc_url_fast("http://example.com", 18, &f) == 1);
  EXPECT_STR(f.url, "http://example.com/");
  free(f.url), free(f.host);
  EXPECT(sc_url_fast("https://127.0.1.5:19443/", 24, &f) == 1);
  EXPECT(f.ip_literal == 1 && f.port == 19443);
  free(f.url), free(f.host);
  EXPECT(fast >= 15);
}
