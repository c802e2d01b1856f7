/* extract.h - what the link extractors share: the link they report, the
 * callbacks they call, their error codes, and the one place where a raw
 * link value becomes an absolute URL (with libcurl's curl_url).
 *
 * The extractors (extract_html.h, extract_md.h, extract_sitemap.h) are pure
 * parsers over bytes the caller feeds them: no I/O, no global state of
 * their own, one instance per document, any number of instances in
 * parallel on different threads. Each reports every link through a
 * callback as soon as it is parsed and keeps nothing per link, so memory
 * does not grow with the number of links; the caller dedups. A link that
 * a rule skips (mailto:, javascript:, ...) is reported too, with the
 * reason, so the caller can count it.
 *
 * Call sc_extract_global_init() once before any thread uses an
 * extractor: it initialises libxml2, whose first-use setup is not
 * thread-safe. */
#ifndef SC_EXTRACT_H
#define SC_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

/* The longest link value resolved, as for an input line (SC_LINE_MAX):
 * anything longer is reported as SC_LINK_TOO_LONG. */
#define SC_LINK_MAX 8192

/* Why a link is not an http(s) URL to check, or SC_LINK_OK. */
enum sc_link_skip {
  SC_LINK_OK = 0,     /* url is an absolute http: or https: URL */
  SC_LINK_MAILTO,     /* mailto: */
  SC_LINK_TEL,        /* tel: */
  SC_LINK_JAVASCRIPT, /* javascript: */
  SC_LINK_DATA,       /* data: */
  SC_LINK_SCHEME,     /* any other scheme (ftp:, file:, irc:, ...) */
  SC_LINK_RELATIVE,   /* relative, and there is no base URL */
  SC_LINK_UNPARSABLE, /* curl_url refused it (bad port, control bytes...) */
  SC_LINK_TOO_LONG,   /* longer than SC_LINK_MAX bytes */
  SC_LINK_SKIP_COUNT
};

/* Set in sc_link.flags for a <sitemap><loc> of a sitemap index: the URL
 * is itself a sitemap to read, not a page. */
#define SC_LINK_CHILD_SITEMAP 1u

/* One link as an extractor found it. Every pointer is valid only during
 * the callback (copy what you keep) and every string is NUL-terminated.
 *   url      - SC_LINK_OK: the absolute URL as curl_url prints it, without
 *              its fragment. SC_LINK_SCHEME: likewise when curl_url could
 *              parse it, else the value. Any other reason: the value as
 *              written (entities decoded; surrounding whitespace, tabs and
 *              newlines removed), cut to SC_LINK_MAX bytes.
 *   fragment - when url was resolved: its fragment without '#',
 *              percent-decoded (so it compares with the ids sc_anchor_cb
 *              reports); NULL when there is none or it is empty, and
 *              whenever url is the value as written.
 *   element  - where it came from: "a", "area", "link", "img", "script",
 *              "iframe", "source", "object", "form", "meta" (HTML, also
 *              HTML inside Markdown); "a" and "img" for Markdown links and
 *              images; "url" or "sitemap" (sitemaps). A static string.
 *   attr     - "href", "src", "srcset", "data", "action", "content" (meta
 *              refresh), "loc" (sitemaps). A static string.
 *   rel      - the rel attribute of an HTML a, area or link, else NULL.
 *   line     - 1-based line in the document (each extractor says how
 *              exact).
 *   flags    - SC_LINK_CHILD_SITEMAP or 0. */
struct sc_doc_link {
  const char *url;
  const char *fragment;
  const char *element;
  const char *attr;
  const char *rel;
  uint64_t line;
  enum sc_link_skip skip;
  unsigned flags;
};

/* Called for every link, in document order. A non-zero return stops the
 * extractor: the feed or finish call that made the callback returns
 * SC_EXTRACT_STOPPED, and so does every later call. */
typedef int (*sc_link_cb)(const struct sc_doc_link *link, void *arg);

/* Called for every fragment target a document defines (an element's id,
 * an <a name>), for --check-fragments; id is the value as written,
 * entities decoded, never empty. A non-zero return stops as above. */
typedef int (*sc_anchor_cb)(const char *id, uint64_t line, void *arg);

/* The error codes of every extractor call; 0 is success. Once a call has
 * failed, every later feed or finish returns the same code (sc_md_finish
 * still reports the links of the bytes it kept, see extract_md.h). */
#define SC_EXTRACT_STOPPED (-1) /* a callback returned non-zero */
#define SC_EXTRACT_LIMIT (-2)   /* a size or count limit was reached */
#define SC_EXTRACT_SYNTAX (-3)  /* not well-formed, or not this format */
#define SC_EXTRACT_GZIP (-4)    /* corrupt or truncated gzip data */

/* "stopped by the caller", "limit reached", ...; a static string. */
const char *sc_extract_strerror(int code);

/* "ok", "mailto", "tel", "javascript", "data", "scheme", "relative",
 * "unparsable", "too_long"; a static string. */
const char *sc_link_skip_name(enum sc_link_skip skip);

/* Initialises libxml2 for the extractors: its allocations go through
 * sc_xmalloc & co (the one out-of-memory policy), and its generic error
 * output, which would print to stderr, is silenced on this thread and on
 * every thread started after. Call once from the main thread before any
 * extractor is used on another thread; harmless to call again. */
void sc_extract_global_init(void);

/* --- For the extractors themselves ------------------------------------ */

/* Readies libxml2 for a parser on the calling thread: initialises it if
 * sc_extract_global_init was not called, and silences its generic error
 * channel, which is per thread and prints some errors (bytes not in the
 * declared encoding) to stderr past a parser's own handler. */
void sc_extract_thread_init(void);

/* Parses url as a base for resolving links. Returns a handle the caller
 * frees with curl_url_cleanup, or NULL when url is NULL or curl_url
 * cannot parse it (links then resolve only if absolute). */
CURLU *sc_link_base(const char *url);

/* Resolves the raw link value v[0..n) against base (may be NULL) the way
 * a browser reads an attribute URL: leading and trailing C0 controls and
 * spaces are removed, and tabs and newlines inside it; the fragment is
 * split off and percent-decoded; mailto:, tel:, javascript:, data: and
 * other schemes are classified; an empty reference or a fragment alone
 * names the base itself; anything else is joined with curl_url. Fills
 * url, fragment and skip of a copy of *proto (the caller has set
 * element, attr, rel, line and flags) and calls cb with it. Returns the
 * callback's value. */
int sc_link_emit(CURLU *base, const char *v, size_t n,
                 const struct sc_doc_link *proto, sc_link_cb cb, void *arg);

#endif
