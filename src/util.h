/* util.h - the one out-of-memory policy, clocks and small string helpers.
 *
 * Every allocation in sitecheck goes through sc_xmalloc() and friends: on
 * failure they print "sitecheck: out of memory" and exit with status 3
 * (SC_EXIT_INTERNAL, run.h), so no caller has to handle NULL from an
 * allocator. An allocation made by a library (an easy handle) that fails
 * ends the same way through sc_oom(). */
#ifndef SC_UTIL_H
#define SC_UTIL_H

#include <stddef.h>
#include <stdint.h>

_Noreturn void sc_oom(void);
void *sc_xmalloc(size_t n);
void *sc_xcalloc(size_t count, size_t n);
void *sc_xrealloc(void *p, size_t n);
char *sc_xstrdup(const char *s);
char *sc_xstrndup(const char *s, size_t n);

/* Copies s into dst[size] (size > 0), cut to fit, always terminated: what
 * snprintf(dst, size, "%s", s) does, without its format parsing, which
 * showed up in the per-URL profile. */
void sc_strcpy_cut(char *dst, size_t size, const char *s);

/* Monotonic clock in milliseconds (fractional). */
double sc_now_ms(void);

/* Parses a non-negative decimal number of seconds ("10", "0.5") into
 * milliseconds. Returns 0 on success, -1 if s is not such a number. */
int sc_parse_seconds(const char *s, long *ms_out);

/* Parses a decimal integer in [min, max]. Returns 0 or -1. */
int sc_parse_long(const char *s, long min, long max, long *out);

/* Parses a duration: a non-negative decimal number and a unit, ms, s, m
 * or h ("30s", "5m", "1.5h"; a bare number is seconds) into milliseconds.
 * Returns 0, or -1 if s is not one or is over a week. */
int sc_parse_duration(const char *s, long *ms_out);

struct sockaddr_storage;

/* Parses ADDR:PORT, an IPv4 address or an IPv6 one in brackets
 * ("[::1]:9115"), port 0 to 65535, into *sa. Returns 0 or -1. */
int sc_parse_addr(const char *s, struct sockaddr_storage *sa);

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft
 * limit (or the old one if it could not be raised). */
long sc_raise_nofile(void);

/* The one pseudo-random generator (xorshift64): retry jitter, the demo's
 * latencies. Not for secrets (the hash key comes from getrandom). Returns
 * a number in [0, 1) and advances *state, which must not be 0. */
static inline double sc_rand_unit(uint64_t *state) {
  uint64_t s = *state;
  s ^= s << 13, s ^= s >> 7, s ^= s << 17;
  *state = s;
  return (double)(s >> 11) / 9007199254740992.0; /* 53 bits over 2^53 */
}

/* Growable byte buffer. Owned by the caller; sc_buf_free releases it. */
struct sc_buf {
  char *data;
  size_t len;
  size_t cap;
};

void sc_buf_reserve(struct sc_buf *b, size_t extra);
void sc_buf_add(struct sc_buf *b, const void *p, size_t n);
void sc_buf_adds(struct sc_buf *b, const char *s);
void sc_buf_addc(struct sc_buf *b, char c);
void sc_buf_printf(struct sc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sc_buf_free(struct sc_buf *b);

#endif
