/* util.c - allocation wrappers, clocks, number parsing, growable buffers. */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "run.h"

void sc_oom(void) {
  static const char msg[] = "sitecheck: out of memory\n";
  fwrite(msg, 1, sizeof msg - 1, stderr);
  exit(SC_EXIT_INTERNAL);
}

void *sc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) sc_oom();
  return p;
}

void *sc_xcalloc(size_t count, size_t n) {
  void *p = calloc(count ? count : 1, n ? n : 1);
  if (!p) sc_oom();
  return p;
}

void *sc_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) sc_oom();
  return q;
}

char *sc_xstrndup(const char *s, size_t n) {
  char *p = sc_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *sc_xstrdup(const char *s) {
  return sc_xstrndup(s, strlen(s));
}

void sc_strcpy_cut(char *dst, size_t size, const char *s) {
  size_t n = strnlen(s, size - 1);
  memcpy(dst, s, n);
  dst[n] = '\0';
}

double sc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int sc_parse_seconds(const char *s, long *ms_out) {
  char *end;
  double v;
  if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return -1;
  errno = 0;
  v = strtod(s, &end);
  if (errno || *end || !isfinite(v) || v < 0 || v > 1e7) return -1;
  *ms_out = (long)llround(v * 1000.0);
  return 0;
}

int sc_parse_long(const char *s, long min, long max, long *out) {
  char *end;
  long v;
  if (!s || !*s || *s == ' ' || *s == '+') return -1;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

int sc_parse_duration(const char *s, long *ms_out) {
  static const struct {
    const char *unit;
    double ms;
  } units[] = {{"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}, {"", 1e3}};
  char *end;
  double v;
  if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return -1;
  errno = 0;
  v = strtod(s, &end);
  if (errno || end == s || !isfinite(v) || v < 0) return -1;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].unit) == 0) {
      double ms = v * units[i].ms;
      if (ms > 7 * 86400e3) return -1;
      *ms_out = (long)llround(ms);
      return 0;
    }
  return -1;
}

int sc_parse_addr(const char *s, struct sockaddr_storage *sa) {
  char host[64];
  const char *hend, *port;
  long pn;
  int v6 = s[0] == '[';
  if (v6) {
    hend = strchr(s, ']');
    if (!hend || hend[1] != ':') return -1;
    s++;
    port = hend + 2;
  } else {
    hend = strrchr(s, ':');
    if (!hend) return -1;
    port = hend + 1;
  }
  if (hend == s || (size_t)(hend - s) >= sizeof host) return -1;
  memcpy(host, s, (size_t)(hend - s));
  host[hend - s] = '\0';
  if (sc_parse_long(port, 0, 65535, &pn)) return -1;
  memset(sa, 0, sizeof *sa);
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)pn);
    return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)sa;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)pn);
  return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

long sc_raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlim_t want = rl.rlim_max;
    if (want == RLIM_INFINITY || want > 1048576) want = 1048576;
    if (want > rl.rlim_cur) {
      struct rlimit nl = rl;
      nl.rlim_cur = want;
      if (setrlimit(RLIMIT_NOFILE, &nl) == 0) rl.rlim_cur = want;
    }
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > LONG_MAX) return LONG_MAX;
  return (long)rl.rlim_cur;
}

void sc_buf_reserve(struct sc_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  b->data = sc_xrealloc(b->data, cap);
  b->cap = cap;
}

void sc_buf_add(struct sc_buf *b, const void *p, size_t n) {
  sc_buf_reserve(b, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void sc_buf_adds(struct sc_buf *b, const char *s) {
  sc_buf_add(b, s, strlen(s));
}

void sc_buf_addc(struct sc_buf *b, char c) {
  sc_buf_reserve(b, 1);
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
}

void sc_buf_printf(struct sc_buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  sc_buf_reserve(b, 64);
  va_start(ap, fmt);
  n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= b->cap - b->len) {
    sc_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
}

void sc_buf_free(struct sc_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
