/* extract.c - see extract.h. */
#include "extract.h"

#include <libxml/parser.h>
#include <libxml/globals.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reader.h"
#include "util.h"

_Static_assert(SC_LINK_MAX == SC_LINE_MAX,
               "a link is checked like an input line");

const char *sc_extract_strerror(int code) {
  switch (code) {
    case 0:
      return "ok";
    case SC_EXTRACT_STOPPED:
      return "stopped by the caller";
    case SC_EXTRACT_LIMIT:
      return "limit reached";
    case SC_EXTRACT_SYNTAX:
      return "syntax error";
    case SC_EXTRACT_GZIP:
      return "corrupt gzip data";
  }
  return "unknown error";
}

const char *sc_link_skip_name(enum sc_link_skip skip) {
  static const char *const names[SC_LINK_SKIP_COUNT] = {
      "ok",     "mailto",   "tel",        "javascript", "data",
      "scheme", "relative", "unparsable", "too_long"};
  if ((int)skip < 0 || skip >= SC_LINK_SKIP_COUNT) return "unknown";
  return names[skip];
}

static void quiet(void *ctx, const char *fmt, ...) {
  (void)ctx, (void)fmt;
}

/* libxml2's allocations go through sc_xmalloc & co, so that running out
 * of memory inside the parser follows the one policy instead of a parse
 * error. Both sides are the C library's malloc, so memory libxml2 got
 * before this call is still freed correctly. Threads started later get
 * the silent generic error channel by default. */
void sc_extract_global_init(void) {
  xmlMemSetup(free, sc_xmalloc, sc_xrealloc, sc_xstrdup);
  xmlInitParser();
  xmlThrDefSetGenericErrorFunc(NULL, quiet);
  xmlSetGenericErrorFunc(NULL, quiet);
}

void sc_extract_thread_init(void) {
  xmlInitParser();
  xmlSetGenericErrorFunc(NULL, quiet);
}

CURLU *sc_link_base(const char *url) {
  if (!url) return NULL;
  CURLU *u = curl_url();
  if (!u) return NULL;
  if (curl_url_set(u, CURLUPART_URL, url,
                   CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    curl_url_cleanup(u);
    return NULL;
  }
  return u;
}

/* Length of the scheme that starts s[0..n) (RFC 3986: ALPHA *( ALPHA /
 * DIGIT / "+" / "-" / "." ) then ':'), or 0 when s has none. */
static size_t scheme_len(const char *s, size_t n) {
  if (n == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')) return 0;
  for (size_t i = 1; i < n; i++) {
    char c = s[i];
    if (c == ':') return i;
    if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') &&
        c != '+' && c != '-' && c != '.')
      return 0;
  }
  return 0;
}

static int scheme_is(const char *s, size_t n, const char *name) {
  return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* The skip reason a scheme alone decides, or SC_LINK_OK for http(s) and
 * for a value without a scheme (those are resolved). */
static enum sc_link_skip classify_scheme(const char *s, size_t n) {
  size_t k = scheme_len(s, n);
  if (k == 0 || scheme_is(s, k, "http") || scheme_is(s, k, "https"))
    return SC_LINK_OK;
  if (scheme_is(s, k, "mailto")) return SC_LINK_MAILTO;
  if (scheme_is(s, k, "tel")) return SC_LINK_TEL;
  if (scheme_is(s, k, "javascript")) return SC_LINK_JAVASCRIPT;
  if (scheme_is(s, k, "data")) return SC_LINK_DATA;
  return SC_LINK_SCHEME;
}

/* Prints h without its fragment into *url (curl-allocated) and returns
 * SC_LINK_OK for an http(s) URL, SC_LINK_SCHEME for any other. */
static enum sc_link_skip print_url(CURLU *h, char **url) {
  char *scheme = NULL;
  enum sc_link_skip skip = SC_LINK_SCHEME;
  curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
  if (curl_url_get(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
    *url = NULL;
    return SC_LINK_UNPARSABLE;
  }
  if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0))
    skip = SC_LINK_OK;
  curl_free(scheme);
  return skip;
}

int sc_link_emit(CURLU *base, const char *v, size_t n,
                 const struct sc_doc_link *proto, sc_link_cb cb, void *arg) {
  struct sc_doc_link l = *proto;
  char buf[SC_LINK_MAX + 1];
  size_t len = 0;
  int too_long = 0;

  /* What the URL parser does first (WHATWG URL: strip leading and
   * trailing C0 control or space, remove all tab and newline). */
  while (n && (unsigned char)v[0] <= 0x20) v++, n--;
  while (n && (unsigned char)v[n - 1] <= 0x20) n--;
  for (size_t i = 0; i < n; i++) {
    if (v[i] == '\t' || v[i] == '\n' || v[i] == '\r') continue;
    if (len == SC_LINK_MAX) {
      too_long = 1;
      break;
    }
    buf[len++] = v[i];
  }
  buf[len] = '\0';

  l.url = buf;
  l.fragment = NULL;
  l.skip = classify_scheme(buf, len);
  if (l.skip != SC_LINK_OK && l.skip != SC_LINK_SCHEME) return cb(&l, arg);
  if (too_long) {
    l.skip = SC_LINK_TOO_LONG;
    return cb(&l, arg);
  }
  if (memchr(buf, '\0', len)) {
    l.skip = SC_LINK_UNPARSABLE;
    return cb(&l, arg);
  }

  char *hash = memchr(buf, '#', len);
  size_t ref_len = hash ? (size_t)(hash - buf) : len;
  int has_scheme = scheme_len(buf, len) > 0;
  if (!base && !has_scheme) {
    l.skip = SC_LINK_RELATIVE;
    return cb(&l, arg);
  }

  CURLU *h = base ? curl_url_dup(base) : curl_url();
  char *url = NULL, *frag = NULL;
  enum sc_link_skip by_scheme = l.skip;
  if (!h) sc_oom();
  /* An empty reference or a fragment alone names the base document
   * itself (RFC 3986 5.2.2). curl_url would instead drop the base's last
   * path segment and query, so it is not asked. */
  int rc = CURLUE_OK;
  if (ref_len > 0) {
    if (hash) *hash = '\0';
    rc = curl_url_set(h, CURLUPART_URL, buf,
                      CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME);
    if (hash) *hash = '#';
  }
  if (rc != CURLUE_OK) {
    /* Another scheme curl_url cannot read (irc:x, urn:y) is still just
     * another scheme. */
    l.skip = by_scheme == SC_LINK_SCHEME ? SC_LINK_SCHEME : SC_LINK_UNPARSABLE;
  } else {
    l.skip = print_url(h, &url);
    if (url) {
      l.url = url;
      if (hash && hash[1]) {
        int flen = 0;
        frag =
            curl_easy_unescape(NULL, hash + 1, (int)(len - ref_len - 1), &flen);
        if (frag && frag[0]) l.fragment = frag;
      }
    }
  }
  rc = cb(&l, arg);
  curl_free(frag);
  curl_free(url);
  curl_url_cleanup(h);
  return rc;
}
