/* url.c - see url.h. */
#include "url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reader.h"
#include "util.h"

/* True when host is "invalid" or ends in ".invalid" (a trailing dot
 * allowed), case-insensitively. */
static int host_is_reserved_invalid_n(const char *host, size_t n) {
  if (n && host[n - 1] == '.') n--;
  if (n == 7) return strncasecmp(host, "invalid", 7) == 0;
  return n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0;
}

static int host_is_reserved_invalid(const char *host) {
  return host_is_reserved_invalid_n(host, strlen(host));
}

/* True when host (as curl_url returns it: IPv6 in brackets) is an
 * address literal. */
static int host_is_ip(const char *host) {
  unsigned char addr[16];
  char tmp[64];
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof tmp) {
    memcpy(tmp, host + 1, n - 2);
    tmp[n - 2] = '\0';
    char *zone = strchr(tmp, '%');
    if (zone) *zone = '\0';
    return inet_pton(AF_INET6, tmp, addr) == 1;
  }
  return inet_pton(AF_INET, host, addr) == 1;
}

/* The canonical fast path. Parsing with curl_url and printing the parts
 * back was an eighth of the instructions spent per URL, and most lists
 * hold URLs that are already in the form curl_url returns. This accepts
 * only that form and leaves anything else to the full parse:
 *   http:// or https://, lower case;
 *   a host of [a-z0-9.-] that does not start with a digit (curl_url reads
 *   numeric hosts such as 127.1 or 0x7f.1 as IPv4 and rewrites them), or a
 *   dotted quad in canonical form (four decimals 0-255, no leading zeros);
 *   so a host with a byte outside ASCII, which the full parse turns into
 *   punycode, never answers here;
 *   an optional port, 1-65535, no leading zero, not the scheme's default
 *   (which curl_url drops);
 *   then nothing (curl_url adds "/"), or a path of printable ASCII without
 *   '\\', '#', '%' or "/." (dot segments are resolved by curl_url), and a
 *   query after '?' under the same rules, not empty (curl_url drops "?").
 * tests/unit.c and fuzz_reader check that both paths agree wherever this
 * one answers. Returns 1 with *out filled, or 0. */
static int canonical_quad(const char *h, size_t n) {
  int parts = 0;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    unsigned v = 0;
    while (j < n && h[j] >= '0' && h[j] <= '9' && j - i < 4)
      v = v * 10 + (unsigned)(h[j++] - '0');
    if (j == i || j - i > 3 || v > 255 || (h[i] == '0' && j - i > 1)) return 0;
    parts++;
    if (j == n) break;
    if (h[j] != '.') return 0;
    i = j + 1;
    if (i == n) return 0;
  }
  return parts == 4;
}

int sc_url_fast(const char *line, size_t len, struct sc_url *out) {
  const char *p = line, *end = line + len;
  long defport;
  if (len > 7 && memcmp(p, "http://", 7) == 0) {
    p += 7;
    defport = 80;
  } else if (len > 8 && memcmp(p, "https://", 8) == 0) {
    p += 8;
    defport = 443;
  } else {
    return 0;
  }
  const char *host = p;
  while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                     *p == '.' || *p == '-'))
    p++;
  size_t hlen = (size_t)(p - host);
  if (hlen == 0 || hlen > 253) return 0;
  int quad = 0;
  if (host[0] >= '0' && host[0] <= '9') {
    if (!canonical_quad(host, hlen)) return 0;
    quad = 1;
  }
  if (host_is_reserved_invalid_n(host, hlen)) return 0;
  long port = defport;
  if (p < end && *p == ':') {
    const char *d = ++p;
    port = 0;
    while (p < end && *p >= '0' && *p <= '9' && p - d < 6)
      port = port * 10 + (*p++ - '0');
    if (p == d || *d == '0' || p - d > 5 || port > 65535 || port == defport)
      return 0;
  }
  const char *path = p;
  if (p < end && *p != '/') return 0;
  for (; p < end; p++) {
    unsigned char ch = (unsigned char)*p;
    if (ch <= 0x20 || ch >= 0x7f || ch == '\\' || ch == '#' || ch == '%')
      return 0;
    if (ch == '/' && p + 1 < end && p[1] == '.') return 0;
  }
  const char *q = memchr(path, '?', (size_t)(end - path));
  if (q && q + 1 == end) return 0; /* curl_url drops an empty query */
  size_t ulen = (size_t)(path - line), plen = (size_t)(end - path);
  out->url = sc_xmalloc(ulen + (plen ? plen : 1) + 1);
  memcpy(out->url, line, ulen);
  if (plen)
    memcpy(out->url + ulen, path, plen);
  else
    out->url[ulen] = '/';
  out->url[ulen + (plen ? plen : 1)] = '\0';
  out->host = sc_xstrndup(host, hlen);
  out->port = port;
  out->ip_literal = quad;
  return 1;
}

enum sc_class sc_url_normalize(const char *line, size_t len, int overlong,
                               struct sc_url *out, const char **why) {
  memset(out, 0, sizeof *out);
  if (!overlong && sc_url_fast(line, len, out)) {
    *why = NULL;
    return SC_OK;
  }
  return sc_url_parse(line, len, overlong, out, why);
}

/* The length of the scheme a line names, or 0 if it names none. A line
 * names a scheme when the text before its first ':' is a scheme name
 * (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), unless what
 * follows that ':' is one or more digits ending at '/', '?', '#' or the
 * end of the line: that is HOST:PORT ("example.com:8080/x",
 * "localhost:3000"), and the line is taken as https://LINE. So "mailto:x",
 * "javascript:void(0)" and "urn:isbn:1" name schemes, and "[::1]:80/x" or
 * "user@host.com" do not. An empty port ("a.com:/x") names a scheme, as
 * curl's own guess does. */
static size_t line_scheme(const char *line, size_t len) {
  const char *colon = memchr(line, ':', len), *end = line + len;
  if (!colon || colon == line) return 0;
  for (const char *p = line; p < colon; p++) {
    char ch = *p;
    int alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    int other = (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.';
    if (!alpha && (p == line || !other)) return 0;
  }
  const char *d = colon + 1, *p = d;
  while (p < end && *p >= '0' && *p <= '9') p++;
  if (p > d && (p == end || *p == '/' || *p == '?' || *p == '#')) return 0;
  return (size_t)(colon - line);
}

/* True when the first n bytes of s are http or https, in any case. */
static int scheme_is_web(const char *s, size_t n) {
  return (n == 4 && strncasecmp(s, "http", 4) == 0) ||
         (n == 5 && strncasecmp(s, "https", 5) == 0);
}

/* True when s holds a byte outside ASCII. */
static int has_non_ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80) return 1;
  return 0;
}

/* Gets u's host and URL with the host in its ASCII (IDNA, punycode) form,
 * as DNS and TLS need it. libcurl converts with libidn2's locale-dependent
 * call, and this program never sets a locale, so the conversion runs with
 * a UTF-8 character type set for this thread alone (uselocale), which
 * leaves other threads and the program's output untouched. Returns 0, or
 * -1 when the host is not a valid internationalised name (or no UTF-8
 * locale exists); *host and *url are then NULL. */
static int get_ascii_host(CURLU *u, char **host, char **url) {
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  *host = *url = NULL;
  if (utf8 == (locale_t)0) return -1;
  locale_t old = uselocale(utf8);
  if (curl_url_get(u, CURLUPART_HOST, host, CURLU_PUNYCODE) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_URL, url, CURLU_PUNYCODE) != CURLUE_OK) {
    curl_free(*host);
    curl_free(*url);
    *host = *url = NULL;
  }
  uselocale(old);
  freelocale(utf8);
  return *host ? 0 : -1;
}

enum sc_class sc_url_parse(const char *line, size_t len, int overlong,
                           struct sc_url *out, const char **why) {
  enum sc_class cls = SC_INVALID_URL;
  char *scheme = NULL, *host = NULL, *url = NULL, *port = NULL, *full = NULL;
  CURLU *u;

  memset(out, 0, sizeof *out);
  if (overlong) {
    *why = "line longer than 8192 bytes";
    return SC_INVALID_URL;
  }
  if (memchr(line, '\0', len)) {
    *why = "line contains a NUL byte";
    return SC_INVALID_URL;
  }
  size_t slen = line_scheme(line, len);
  if (slen && !scheme_is_web(line, slen)) {
    *why = "unsupported scheme (only http and https are checked)";
    return SC_INVALID_URL;
  }
  if (!slen) { /* HOST[:PORT][/...]: https, as a browser's address bar */
    full = sc_xmalloc(len + 9);
    memcpy(full, "https://", 8);
    memcpy(full + 8, line, len);
    full[len + 8] = '\0';
  }
  u = curl_url();
  if (!u) {
    free(full);
    *why = "out of memory";
    return SC_OTHER;
  }
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, full ? full : line,
                              CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) { /* a space is the common cause: say so */
    *why =
        memchr(line, ' ', len) ? "URL contains a space" : curl_url_strerror(rc);
    goto done;
  }
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
    *why = "unsupported scheme (only http and https are checked)";
    goto done;
  }
  if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
    *why = "no host in the URL";
    goto done;
  }
  if (has_non_ascii(host)) { /* checked, looked up and keyed as ASCII */
    curl_free(host);
    if (get_ascii_host(u, &host, &url)) {
      *why = "the host is not a valid internationalised domain name (IDNA)";
      goto done;
    }
  } else if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
    *why = "cannot rebuild the URL";
    goto done;
  }
  if (host_is_reserved_invalid(host)) {
    *why =
        "Could not resolve host: the .invalid domain never resolves "
        "(RFC 6761)";
    cls = SC_DNS;
    goto done;
  }
  if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
    *why = "no port for the URL";
    goto done;
  }
  if (atol(port) <= 0) {
    *why = "port 0 cannot be connected to";
    goto done;
  }
  *why = NULL;
  cls = SC_OK;
  out->url = sc_xstrdup(url);
  out->host = sc_xstrdup(host);
  for (char *h = out->host; *h; h++)
    if (*h >= 'A' && *h <= 'Z') *h = (char)(*h - 'A' + 'a');
  out->port = atol(port);
  out->ip_literal = host_is_ip(host);
done:
  free(full);
  curl_free(port);
  curl_free(scheme);
  curl_free(host);
  curl_free(url);
  curl_url_cleanup(u);
  return cls;
}
