/* redact.c - see redact.h. */
#include "redact.h"

#include <string.h>

static int scheme_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* True if c ends a URL quoted in prose: white space, or a quote or angle
 * bracket around it. Other bytes a URL may not hold (controls, say) do
 * not end it: a text could put them inside a password to cut it short. */
static int prose_end(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == '"' || c == '<' ||
         c == '>';
}

/* Appends the authority that starts at s[at] to out, its password masked,
 * and returns where it ends. Adds 1 to *count for a password masked. */
static size_t authority(const char *s, size_t len, size_t at, unsigned flags,
                        struct sc_buf *out, int *count) {
  size_t end = at, userinfo_end = 0;
  int has_at = 0;
  for (; end < len; end++) {
    unsigned char c = (unsigned char)s[end];
    if (c == '/' || c == '?' || c == '#') break;
    if ((flags & SC_REDACT_TEXT) && prose_end(c)) break;
    if (c == '@') userinfo_end = end, has_at = 1;
  }
  /* The span that may hold a password: the userinfo, or, for a text that
   * may be cut, an authority cut off before its '@' (unless it starts
   * like an IPv6 literal, which has no userinfo before it). */
  size_t span = at;
  if (has_at)
    span = userinfo_end;
  else if ((flags & SC_REDACT_CUT) && end == len && at < len && s[at] != '[')
    span = end;
  const char *colon = span > at ? memchr(s + at, ':', span - at) : NULL;
  if (!colon) {
    sc_buf_add(out, s + at, end - at);
    return end;
  }
  size_t keep = (size_t)(colon - s) + 1;
  sc_buf_add(out, s + at, keep - at);
  sc_buf_adds(out, SC_REDACT_MASK);
  sc_buf_add(out, s + span, end - span);
  (*count)++;
  return end;
}

/* Where the authority of the one URL s[0..len) starts: after "scheme:/"
 * or "//" and the slashes that follow, else at 0 (a line without a scheme
 * is read as https://LINE; a single '/' starts a path, which the authority
 * scan then ends at once). */
static size_t url_authority_start(const char *s, size_t len) {
  size_t k = 0;
  while (k < len && scheme_char((unsigned char)s[k])) k++;
  size_t i = k > 0 && k + 1 < len && s[k] == ':' && s[k + 1] == '/' ? k + 1
             : len >= 2 && s[0] == '/' && s[1] == '/'               ? 0
                                                                    : len;
  if (i == len) return 0;
  while (i < len && s[i] == '/') i++;
  return i;
}

/* True if a URL's slashes start at s[p]: "//" (with or without a scheme
 * before it), or the single slash of "scheme:/", which libcurl accepts. */
static int url_slashes_at(const char *s, size_t len, size_t p) {
  if (p > 0 && s[p - 1] == '/') return 0; /* inside a run already seen */
  if (p + 1 < len && s[p + 1] == '/') return 1;
  return p >= 2 && s[p - 1] == ':' && scheme_char((unsigned char)s[p - 2]);
}

int sc_redact_url(const char *in, size_t len, unsigned flags,
                  struct sc_buf *out) {
  int count = 0;
  sc_buf_reserve(out, len + 1);
  if (!(flags & SC_REDACT_TEXT)) {
    size_t at = url_authority_start(in, len);
    sc_buf_add(out, in, at);
    size_t end = authority(in, len, at, flags, out, &count);
    sc_buf_add(out, in + end, len - end);
    return count;
  }
  size_t done = 0, p = 0;
  while (p < len) {
    const char *slash = memchr(in + p, '/', len - p);
    if (!slash) break;
    p = (size_t)(slash - in);
    if (!url_slashes_at(in, len, p)) {
      p++;
      continue;
    }
    while (p < len && in[p] == '/') p++;
    sc_buf_add(out, in + done, p - done);
    done = p = authority(in, len, p, flags, out, &count);
  }
  sc_buf_add(out, in + done, len - done);
  return count;
}
