/* serve_site.h - the generated website of `sitecheck serve`: a site of N
 * pages for crawlers to read, deterministic by its parameters in the path
 * (/site/N/SEED/...), with the hazards a crawler meets on the web (broken
 * links, redirects and a redirect loop, other hosts, robots.txt, sitemaps
 * plain and gzipped, <base href>, relative paths, fragments, odd
 * encodings, malformed HTML) and traps that never end (an endless chain
 * of pages, pages of M links, a page that streams forever, a gzip bomb,
 * an XML billion-laughs sitemap). The routes are listed in sitecheck.1
 * (SIMULATED WEB) and at the top of serve_site.c.
 *
 * Content only: no I/O, no HTTP. serve.c routes "/robots.txt" and
 * "/site/..." here, asks for the status, type and Location, and writes
 * the body as sc_site_read makes it, piece by piece, so a body of any
 * length costs the same memory: one sc_site per reply in progress (two
 * buffers and, for gzip, zlib's state with a small window). Every link
 * and Location names a loopback address, a `.invalid` host, or nothing
 * (mailto:, javascript:). */
#ifndef SC_SERVE_SITE_H
#define SC_SERVE_SITE_H

#include <stddef.h>

struct sc_site;

/* The reply to path[0..len) (the request path without its leading '/'
 * and without the query, e.g. "site/100/1/p/7.html" or "robots.txt"),
 * asked on a listener at scheme ("http" or "https") :// host : port, host
 * as written in a URL ("127.0.0.1", "[::1]"): absolute links and other
 * hosts' links are made from them. Returns a new reply the caller frees
 * with sc_site_free, or NULL if the path names nothing (a 404). */
struct sc_site *sc_site_open(const char *path, size_t len, const char *scheme,
                             const char *host, unsigned port);

/* The status code: 200, or 301 / 302 with sc_site_location. */
int sc_site_code(const struct sc_site *s);

/* The Content-Type value, e.g. "text/html; charset=utf-8". Static. */
const char *sc_site_type(const struct sc_site *s);

/* The Location of a 3xx reply (relative or absolute, as a server may
 * send it), else "". Valid until sc_site_free. */
const char *sc_site_location(const struct sc_site *s);

/* Makes the next piece of the body and points *data at it (valid until
 * the next call). Returns its length, at least 1, or 0 once the body is
 * complete; a body that never ends never returns 0. */
size_t sc_site_read(struct sc_site *s, const char **data);

/* Frees a reply at any point. NULL is a no-op. */
void sc_site_free(struct sc_site *s);

#endif
