/* serve_site.c - the generated website of `sitecheck serve`; see
 * serve_site.h.
 *
 * ROUTES (paths without their query, which is ignored; N is 1..10^7
 * pages, SEED any number up to 18 digits, and every number is written
 * without leading zeros)
 *
 *   /robots.txt                  Allows /site/<*>/private/allowed.html,
 *                                disallows /site/<*>/private/ (RFC 9309
 *                                wildcards).
 *   /site/N/SEED                 301 to /site/N/SEED/.
 *   /site/N/SEED/, .../index.html  The home page: links to page 0 and to
 *                                every page below but the traps.
 *   .../p/K.html                 Page K (K < N; else 404): links home
 *                                (../), to pages 2K+1 and 2K+2 (so every
 *                                page is reachable from page 0), to two
 *                                pages chosen by SEED (./R.html and
 *                                ../p/R.html#sec1), and, chosen by SEED
 *                                for one page in eight each, to a missing
 *                                page (404) and to a missing fragment.
 *                                Ids: top, sec1, sec2.
 *   .../broken.html              Links to a missing page, /status/410,
 *                                /status/500, a dead port (127.0.0.1:1),
 *                                a .invalid host, mailto: and javascript:.
 *   .../redirects.html           Links to the redirects below.
 *   .../moved/K.html             301 to ../p/K.html.
 *   .../chain/J/K.html           J redirects to p/K.html: 302 to
 *                                ../J-1/K.html, the last a 301 (J 1..1000).
 *   .../loop/a.html, b.html      302 to each other, forever.
 *   .../away.html                302 to this site on 127.0.0.2.
 *   .../gone.html                301 to p/N.html, a 404.
 *   .../hosts.html               Links to 127.0.0.2 and 127.0.0.3 on the
 *                                same port (scheme-relative too).
 *   .../base.html, base-abs.html <base href="p/">, and an absolute one.
 *   .../relative.html            ./, ../, /abs, //host, ?q, ., spaces, a
 *                                tab, an empty fragment.
 *   .../fragments.html           Fragments with and without a matching id
 *                                or <a name>, one percent-encoded.
 *   .../latin1.html              ISO-8859-1 (charset in the header only),
 *                                linking enc/caf\xe9.html.
 *   .../bom.html                 UTF-8 with a byte order mark and no
 *                                charset anywhere else.
 *   .../invalid.html             Bytes that are not UTF-8 (and a NUL)
 *                                under a UTF-8 header.
 *   .../enc/caf%C3%A9.html       200; any other enc/... is a 404, so a
 *                                link from latin1.html or bom.html works
 *                                only if encoded as UTF-8.
 *   .../malformed.html           Unquoted, upper-case, duplicate and
 *                                multi-line attributes, unclosed and
 *                                nested tags, links inside a comment and a
 *                                script (commented.html, scripted.html:
 *                                404s a parser must not see), a tag cut
 *                                off by the end of the page.
 *   .../private/                 Disallowed by robots.txt (private, then
 *                                301 to private/), with secret.html and
 *                                allowed.html (allowed again).
 *   .../sitemap.xml              A urlset: the home page and the N pages.
 *   .../sitemap-index.xml        A sitemap index of sitemap-J.xml, J from
 *                                0, 1,000 pages each.
 *   .../sitemap-J.xml            Pages 1000J .. 1000J+999 (below N).
 *   ... each of the three also as .xml.gz (gzip, made on the fly; the
 *   gzipped index lists the gzipped parts).
 *   /site/traps.html             Links to the traps below.
 *   /site/endless/K              A page linking to /site/endless/K+1.
 *   /site/many/M/same.html       M links to one page (M 1..10^9).
 *   /site/many/M/distinct.html   M links to M pages, 0.html .. M-1.html.
 *   /site/many/M/K.html          A page without links (K < M).
 *   /site/forever.html           An HTML page that never ends.
 *   /site/bomb/MB.xml.gz         A sitemap head, then MB MiB of zeros,
 *                                gzipped (1..4096; 64 inflates 1,000-fold).
 *   /site/laughs.xml             A sitemap whose DTD defines "billion
 *                                laughs" entities (3 GB if expanded).
 *
 * Bodies are made a step at a time (a step writes at most SITE_STEP_MAX
 * bytes: the whole of a small page, or a batch of a long page's items)
 * into a fixed buffer, and gzip runs over that buffer as it fills, so no
 * body is ever held whole. */
#include "serve_site.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util.h"

#define SITE_BUF 16384     /* body bytes made at once (and gzip output) */
#define SITE_STEP_MAX 8192 /* the most one step of a body writes */
#define SITE_PAGES_MAX 10000000ULL
#define SITE_PART 1000 /* pages per sitemap of the index */
#define SITE_CHAIN_MAX 1000ULL
#define SITE_MANY_MAX 1000000000ULL
#define SITE_BOMB_MAX 4096ULL       /* MiB */
#define SITE_DEFLATE_MAX (1u << 20) /* input deflated per read, once output */
#define SITE_NUMS 4

#define HTML "text/html; charset=utf-8"
#define XML "application/xml"
#define GZ "application/gzip"
#define SITEMAP_NS "http://www.sitemaps.org/schemas/sitemap/0.9"

struct sc_site;

/* Writes step number `step` of a body through put(); returns true if
 * that was the last. */
typedef bool (*site_gen)(struct sc_site *s, uint64_t step);

struct sc_site {
  int code;
  const char *type;
  char location[512];
  const char *title; /* of a page without links */
  char rest[256];    /* what '*' matched (enc/NAME) */
  bool whole;        /* sitemap.xml: the home page too */
  /* From the path: the site's pages and seed, and the route's numbers. */
  uint64_t n, seed, a, b;
  char origin[96]; /* "http://127.0.0.1:8080" */
  char root[64];   /* "/site/N/SEED" */
  const char *scheme;
  unsigned port;
  /* The body. */
  site_gen gen;
  uint64_t step;
  bool done; /* the last step has been written */
  bool gzip, z_end;
  z_stream z;
  char *o; /* where put() writes: o[olen .. ocap) */
  size_t olen, ocap;
  char plain[SITE_BUF]; /* gzip's input */
  char out[SITE_BUF];
};

/* ------------------------------------------------------------- writing */

/* A step wrote more than SITE_STEP_MAX: a bug in a page, never input. */
static _Noreturn void site_overflow(void) {
  fputs("sitecheck serve: a generated page outgrew its step\n", stderr);
  abort();
}

static void put(struct sc_site *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends printf output to the body. */
static void put(struct sc_site *s, const char *fmt, ...) {
  va_list ap;
  size_t room = s->ocap - s->olen;
  va_start(ap, fmt);
  int n = vsnprintf(s->o + s->olen, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= room) site_overflow();
  s->olen += (size_t)n;
}

/* Appends n raw bytes (NULs and all). */
static void put_raw(struct sc_site *s, const void *p, size_t n) {
  if (n > s->ocap - s->olen) site_overflow();
  memcpy(s->o + s->olen, p, n);
  s->olen += n;
}

/* Runs steps into buf while a whole step still fits; returns the bytes
 * made (0 only once the body is complete). */
static size_t site_fill(struct sc_site *s, char *buf) {
  s->o = buf;
  s->olen = 0;
  while (!s->done && SITE_BUF - s->olen > SITE_STEP_MAX) {
    s->ocap = s->olen + SITE_STEP_MAX + 1; /* +1: vsnprintf's NUL */
    s->done = s->gen(s, s->step++);
  }
  return s->olen;
}

static voidpf site_zalloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  return sc_xcalloc(items, size);
}

static void site_zfree(voidpf opaque, voidpf p) {
  (void)opaque;
  free(p);
}

/* Deflates the body into s->out as gzip: until the output buffer is full,
 * the stream ends, or SITE_DEFLATE_MAX input bytes made some output (so
 * a bomb's zeros do not hold the loop for long). Returns the bytes. */
static size_t site_deflate(struct sc_site *s) {
  z_stream *z = &s->z;
  size_t fed = 0;
  if (s->z_end) return 0;
  z->next_out = (Bytef *)s->out;
  z->avail_out = SITE_BUF;
  while (z->avail_out > 0) {
    if (z->avail_in == 0 && !s->done) {
      size_t n = site_fill(s, s->plain);
      z->next_in = (Bytef *)s->plain;
      z->avail_in = (uInt)n;
      fed += n;
    }
    int r = deflate(z, s->done ? Z_FINISH : Z_NO_FLUSH);
    if (r == Z_STREAM_END) {
      s->z_end = true;
      break;
    }
    if (r != Z_OK && r != Z_BUF_ERROR) sc_oom(); /* only memory can fail */
    if (fed >= SITE_DEFLATE_MAX && z->avail_out < SITE_BUF) break;
  }
  return SITE_BUF - z->avail_out;
}

/* --------------------------------------------------------------- pages */

/* A deterministic hash of (seed, page, what): the site's only chance. */
static uint64_t site_mix(uint64_t seed, uint64_t k, uint64_t what) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (k * 8 + what + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static unsigned long long u(uint64_t v) {
  return (unsigned long long)v;
}

/* Page i of the site, wrapped into 0..N-1 (the site may have one page). */
static unsigned long long pg(const struct sc_site *s, uint64_t i) {
  return u(i % s->n);
}

/* The start of an HTML page (UTF-8, declared), with an h1 of its title. */
static void html_head(struct sc_site *s, const char *title) {
  put(s,
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>%s</title></head>\n<body id=\"top\">\n<h1>%s</h1>\n",
      title, title);
}

static void html_tail(struct sc_site *s) {
  put(s, "</body></html>\n");
}

static bool gen_home(struct sc_site *s, uint64_t step) {
  char title[96];
  (void)step;
  snprintf(title, sizeof title, "Generated site: %llu pages, seed %llu",
           u(s->n), u(s->seed));
  html_head(s, title);
  put(s,
      "<ul>\n"
      "<li><a href=\"p/0.html\">The pages</a>, from page 0: each links two "
      "more.</li>\n"
      "<li><a href=\"broken.html\">Broken links</a></li>\n"
      "<li><a href=\"redirects.html\">Redirects</a></li>\n"
      "<li><a href=\"hosts.html\">Other hosts</a></li>\n"
      "<li><a href=\"base.html\">A relative base</a>, "
      "<a href=\"base-abs.html\">an absolute base</a></li>\n"
      "<li><a href=\"relative.html\">Relative paths</a></li>\n"
      "<li><a href=\"fragments.html\">Fragments</a></li>\n"
      "<li><a href=\"latin1.html\">ISO-8859-1</a>, "
      "<a href=\"bom.html\">a UTF-8 byte order mark</a>, "
      "<a href=\"invalid.html\">invalid UTF-8</a></li>\n"
      "<li><a href=\"malformed.html\">Malformed HTML</a></li>\n"
      "<li><a href=\"private/\">Disallowed by robots.txt</a>, except "
      "<a href=\"private/allowed.html\">this page</a></li>\n"
      "<li><a href=\"sitemap.xml\">The sitemap</a> "
      "(<a href=\"sitemap.xml.gz\">gzipped</a>), "
      "<a href=\"sitemap-index.xml\">a sitemap index</a> "
      "(<a href=\"sitemap-index.xml.gz\">gzipped</a>)</li>\n"
      "</ul>\n");
  html_tail(s);
  return true;
}

static bool gen_page(struct sc_site *s, uint64_t step) {
  uint64_t k = s->a, c1 = 2 * k + 1, c2 = 2 * k + 2;
  char title[64];
  (void)step;
  snprintf(title, sizeof title, "Page %llu of %llu", u(k), u(s->n));
  html_head(s, title);
  put(s, "<nav><a href=\"../\">home</a>");
  if (c1 < s->n) put(s, " <a href=\"%llu.html\">page %llu</a>", u(c1), u(c1));
  if (c2 < s->n) put(s, " <a href=\"%llu.html\">page %llu</a>", u(c2), u(c2));
  put(s,
      "</nav>\n<p id=\"sec1\">Section one links "
      "<a href=\"./%llu.html\">a page</a>.</p>\n"
      "<p id=\"sec2\">Section two links "
      "<a href=\"../p/%llu.html#sec1\">another page's section one</a>.</p>\n",
      pg(s, site_mix(s->seed, k, 1)), pg(s, site_mix(s->seed, k, 2)));
  if (site_mix(s->seed, k, 3) % 8 == 0)
    put(s, "<p>A page that is not there: <a href=\"%llu.html\">gone</a>.</p>\n",
        u(s->n + pg(s, site_mix(s->seed, k, 4))));
  if (site_mix(s->seed, k, 5) % 8 == 0)
    put(s,
        "<p>A fragment that is not there: "
        "<a href=\"%llu.html#gone-%llu\">gone</a>.</p>\n",
        pg(s, site_mix(s->seed, k, 6)), u(k));
  html_tail(s);
  return true;
}

static bool gen_broken(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Broken links");
  put(s,
      "<ul>\n"
      "<li><a href=\"p/%llu.html\">A page that is not there</a> (404)</li>\n"
      "<li><a href=\"/status/410\">Gone</a> (410)</li>\n"
      "<li><a href=\"/status/500\">A server error</a> (500)</li>\n"
      "<li><a href=\"http://127.0.0.1:1/\">A dead port</a></li>\n"
      "<li><a href=\"http://nowhere.invalid/\">A host that does not "
      "exist</a></li>\n"
      "<li><a href=\"mailto:nobody@example.invalid\">Mail</a> and "
      "<a href=\"javascript:void(0)\">a script</a>: not HTTP</li>\n"
      "<li><a href=\"p/0.html\">A page that is there</a></li>\n"
      "</ul>\n",
      u(s->n));
  html_tail(s);
  return true;
}

static bool gen_redirects(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Redirects");
  put(s,
      "<ul>\n"
      "<li><a href=\"moved/%llu.html\">Moved</a>: 301 to a page</li>\n"
      "<li><a href=\"chain/3/%llu.html\">A chain</a>: three redirects to a "
      "page</li>\n"
      "<li><a href=\"loop/a.html\">A loop</a>: a.html and b.html redirect "
      "to each other</li>\n"
      "<li><a href=\"away.html\">Away</a>: 302 to another host</li>\n"
      "<li><a href=\"gone.html\">Gone</a>: 301 to a page that is not "
      "there</li>\n"
      "</ul>\n",
      pg(s, 1), pg(s, 2));
  html_tail(s);
  return true;
}

static bool gen_hosts(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Other hosts");
  put(s,
      "<ul>\n"
      "<li><a href=\"%s://127.0.0.2:%u%s/\">This site on 127.0.0.2</a></li>\n"
      "<li><a href=\"%s://127.0.0.3:%u%s/p/0.html\">Page 0 on "
      "127.0.0.3</a></li>\n"
      "<li><a href=\"//127.0.0.2:%u/status/404\">A 404 on 127.0.0.2</a>, "
      "scheme-relative</li>\n"
      "</ul>\n",
      s->scheme, s->port, s->root, s->scheme, s->port, s->root, s->port);
  html_tail(s);
  return true;
}

static bool gen_base(struct sc_site *s, uint64_t step) {
  (void)step;
  put(s,
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<base href=\"p/\"><title>A relative base</title></head>\n"
      "<body id=\"top\">\n<h1>A relative base</h1>\n"
      "<p>Against p/: <a href=\"%llu.html\">a page</a>, "
      "<a href=\"%llu.html#sec2\">a section</a>, and one level up "
      "<a href=\"../broken.html\">the broken links</a>.</p>\n",
      pg(s, 3), pg(s, 4));
  html_tail(s);
  return true;
}

static bool gen_base_abs(struct sc_site *s, uint64_t step) {
  (void)step;
  put(s,
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<base href=\"%s%s/p/\"><title>An absolute base</title></head>\n"
      "<body id=\"top\">\n<h1>An absolute base</h1>\n"
      "<p>Against %s%s/p/: <a href=\"%llu.html\">a page</a> and "
      "<a href=\"../relative.html\">the relative paths</a>.</p>\n",
      s->origin, s->root, s->origin, s->root, pg(s, 5));
  html_tail(s);
  return true;
}

static bool gen_relative(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Relative paths");
  put(s,
      "<ul>\n"
      "<li><a href=\"./p/%llu.html\">./</a></li>\n"
      "<li><a href=\"p/../p/%llu.html\">../ inside</a></li>\n"
      "<li><a href=\"../%llu/p/%llu.html\">../ up and back</a></li>\n"
      "<li><a href=\"%s/p/%llu.html\">an absolute path</a></li>\n"
      "<li><a href=\"//%s%s/p/%llu.html\">scheme-relative</a></li>\n"
      "<li><a href=\"%s%s/p/%llu.html\">absolute</a></li>\n"
      "<li><a href=\"?q=1\">a query alone</a></li>\n"
      "<li><a href=\"relative.html?q=2&amp;r=3\">a query with an "
      "entity</a></li>\n"
      "<li><a href=\".\">the directory</a></li>\n"
      "<li><a href=\"p/./%llu.html\">./ inside</a></li>\n"
      "<li><a href=\"  p/%llu.html  \">spaces around</a></li>\n"
      "<li><a href=\"p/\t%llu.html\">a tab inside</a></li>\n"
      "<li><a href=\"p/%llu.html#\">an empty fragment</a></li>\n"
      "</ul>\n",
      pg(s, 0), pg(s, 1), u(s->seed), pg(s, 2), s->root, pg(s, 3),
      s->origin + strlen(s->scheme) + 3, s->root, pg(s, 4), s->origin, s->root,
      pg(s, 5), pg(s, 6), pg(s, 7), pg(s, 8), pg(s, 9));
  html_tail(s);
  return true;
}

static bool gen_fragments(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Fragments");
  put(s,
      "<h2 id=\"a\">Section a</h2>\n<h2 id=\"b\">Section b</h2>\n"
      "<p><a name=\"n1\">An a name</a>, <span id=\"\xc3\xa9t\xc3\xa9\">an id "
      "that is not ASCII</span>.</p>\n"
      "<ul>\n"
      "<li><a href=\"#a\">#a</a> and <a href=\"fragments.html#b\">#b</a>: "
      "there</li>\n"
      "<li><a href=\"#n1\">#n1</a>: an a name</li>\n"
      "<li><a href=\"#%%C3%%A9t%%C3%%A9\">#%%C3%%A9t%%C3%%A9</a>: "
      "percent-encoded</li>\n"
      "<li><a href=\"p/0.html#top\">page 0 #top</a>: there</li>\n"
      "<li><a href=\"#nope\">#nope</a>: not there</li>\n"
      "<li><a href=\"fragments.html#missing\">#missing</a>: not there</li>\n"
      "<li><a href=\"p/0.html#sec9\">page 0 #sec9</a>: not there</li>\n"
      "</ul>\n");
  html_tail(s);
  return true;
}

static bool gen_latin1(struct sc_site *s, uint64_t step) {
  (void)step;
  put(s,
      "<!DOCTYPE html>\n<html lang=\"fr\"><head>"
      "<title>Caf\xe9 en ISO-8859-1</title></head>\n<body id=\"top\">\n"
      "<h1>Caf\xe9 cr\xe8me</h1>\n"
      "<p><a href=\"enc/caf\xe9.html\">caf\xe9</a>, written in ISO-8859-1 as "
      "the header says: the URL is enc/caf%%C3%%A9.html.</p>\n"
      "<p><a href=\"p/%llu.html\">A page</a>.</p>\n",
      pg(s, 1));
  html_tail(s);
  return true;
}

static bool gen_bom(struct sc_site *s, uint64_t step) {
  (void)step;
  put(s,
      "\xef\xbb\xbf<!DOCTYPE html>\n<html lang=\"fr\"><head>"
      "<title>Caf\xc3\xa9 after a byte order mark</title></head>\n"
      "<body id=\"top\">\n<h1>Caf\xc3\xa9 cr\xc3\xa8me</h1>\n"
      "<p><a href=\"enc/caf\xc3\xa9.html\">caf\xc3\xa9</a>, UTF-8 known by "
      "its byte order mark alone.</p>\n"
      "<p><a href=\"p/%llu.html\">A page</a>.</p>\n",
      pg(s, 2));
  html_tail(s);
  return true;
}

static bool gen_invalid(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Invalid UTF-8");
  put(s,
      "<p>Not UTF-8: \xff\xfe, \xc3\x28, \xc0\xaf (overlong), \xed\xa0\x80 "
      "(a surrogate), \xf4\x90\x80\x80 (past U+10FFFF), \xe2\x82 (cut).</p>\n"
      "<p><a href=\"enc/\xff.html\">A link with a byte that is not "
      "UTF-8</a>.</p>\n"
      "<p><a href=\"p/%llu.html\">A page</a>, after the bad bytes.</p>\n"
      "<p>A NUL: ",
      pg(s, 3));
  put_raw(s, "", 1);
  put(s, ".</p>\n");
  html_tail(s);
  return true;
}

static bool gen_malformed(struct sc_site *s, uint64_t step) {
  (void)step;
  put(s,
      "<html><head><title>Malformed HTML</title>\n<body>\n"
      "<p>unclosed <b>bold <i>italic\n"
      "<a href=p/%llu.html>unquoted</a>\n"
      "<A HREF=\"p/%llu.html\">upper case</A>\n"
      "<a href='p/%llu.html'>single quotes</a>\n"
      "<a href=\"p/%llu.html\" href=\"duplicate.html\">two hrefs</a>\n"
      "<!-- <a href=\"commented.html\">in a comment</a> -->\n"
      "<script>var s = \"<a href='scripted.html'>\";</script>\n"
      "<a\n href=\"p/%llu.html\"\n>split over lines</a>\n"
      "<table><tr><td><a href=\"p/%llu.html\">in a table, never closed\n"
      "</td></tr>\n<div></span></div></div>\n"
      "<a href=\"p/%llu.html\"><a href=\"p/%llu.html\">nested</a></a>\n"
      "<p>cut off: <a href=\"truncated.html\"",
      pg(s, 1), pg(s, 2), pg(s, 3), pg(s, 4), pg(s, 5), pg(s, 6), pg(s, 7),
      pg(s, 8));
  return true;
}

static bool gen_private(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Disallowed by robots.txt");
  put(s,
      "<p><a href=\"secret.html\">A secret</a>, "
      "<a href=\"allowed.html\">an allowed page</a>, "
      "<a href=\"../p/0.html\">page 0</a>.</p>\n");
  html_tail(s);
  return true;
}

static bool gen_allowed(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Allowed by robots.txt");
  put(s, "<p><a href=\"../p/%llu.html\">A page</a>.</p>\n", pg(s, 4));
  html_tail(s);
  return true;
}

/* A page without links, titled s->title. */
static bool gen_leaf(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, s->title);
  put(s, "<p>This page links nowhere.</p>\n");
  html_tail(s);
  return true;
}

/* A body of `count` items, `per` a step: step 0 is the head, then the
 * items in batches, then the tail. Returns true after the tail. */
static bool site_list(struct sc_site *s, uint64_t step, uint64_t count,
                      uint64_t per, void (*head)(struct sc_site *),
                      void (*item)(struct sc_site *, uint64_t),
                      void (*tail)(struct sc_site *)) {
  uint64_t steps = (count + per - 1) / per;
  if (step == 0) {
    head(s);
    return false;
  }
  if (step <= steps) {
    for (uint64_t i = (step - 1) * per; i < count && i < step * per; i++)
      item(s, i);
    return false;
  }
  tail(s);
  return true;
}

/* The urlset of sitemap.xml (home and every page: s->a = 0, s->b = N)
 * or of sitemap-J.xml (s->a = 1000 J, s->b its end; no home). */
static void urlset_head(struct sc_site *s) {
  put(s,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"" SITEMAP_NS "\">\n");
  if (s->whole) put(s, "<url><loc>%s%s/</loc></url>\n", s->origin, s->root);
}

static void urlset_item(struct sc_site *s, uint64_t i) {
  put(s, "<url><loc>%s%s/p/%llu.html</loc></url>\n", s->origin, s->root,
      u(s->a + i));
}

static void urlset_tail(struct sc_site *s) {
  put(s, "</urlset>\n");
}

static bool gen_urlset(struct sc_site *s, uint64_t step) {
  return site_list(s, step, s->b - s->a, 50, urlset_head, urlset_item,
                   urlset_tail);
}

static void index_head(struct sc_site *s) {
  put(s,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<sitemapindex xmlns=\"" SITEMAP_NS "\">\n");
}

static void index_item(struct sc_site *s, uint64_t i) {
  put(s, "<sitemap><loc>%s%s/sitemap-%llu.xml%s</loc></sitemap>\n", s->origin,
      s->root, u(i), s->gzip ? ".gz" : "");
}

static void index_tail(struct sc_site *s) {
  put(s, "</sitemapindex>\n");
}

static bool gen_index(struct sc_site *s, uint64_t step) {
  return site_list(s, step, (s->n + SITE_PART - 1) / SITE_PART, 50, index_head,
                   index_item, index_tail);
}

/* ------------------------------------------------------------- traps */

static bool gen_traps(struct sc_site *s, uint64_t step) {
  (void)step;
  html_head(s, "Traps");
  put(s,
      "<ul>\n"
      "<li><a href=\"endless/1\">An endless chain of pages</a></li>\n"
      "<li><a href=\"many/1000/same.html\">1,000 links to one page</a></li>\n"
      "<li><a href=\"many/1000/distinct.html\">1,000 links to 1,000 "
      "pages</a></li>\n"
      "<li><a href=\"forever.html\">A page that never ends</a></li>\n"
      "<li><a href=\"bomb/64.xml.gz\">A gzip bomb sitemap</a>: 64 MiB of "
      "zeros</li>\n"
      "<li><a href=\"laughs.xml\">A billion-laughs sitemap</a></li>\n"
      "</ul>\n");
  html_tail(s);
  return true;
}

static bool gen_endless(struct sc_site *s, uint64_t step) {
  char title[64];
  (void)step;
  snprintf(title, sizeof title, "Page %llu of an endless chain", u(s->a));
  html_head(s, title);
  put(s, "<p><a href=\"%llu\">Next page</a></p>\n", u(s->a + 1));
  html_tail(s);
  return true;
}

static void many_head(struct sc_site *s) {
  char title[64];
  snprintf(title, sizeof title, "%llu links", u(s->a));
  html_head(s, title);
}

static void same_item(struct sc_site *s, uint64_t i) {
  (void)i;
  put(s, "<a href=\"0.html\">the same page</a>\n");
}

static void distinct_item(struct sc_site *s, uint64_t i) {
  put(s, "<a href=\"%llu.html\">page %llu</a>\n", u(i), u(i));
}

static bool gen_same(struct sc_site *s, uint64_t step) {
  return site_list(s, step, s->a, 100, many_head, same_item, html_tail);
}

static bool gen_distinct(struct sc_site *s, uint64_t step) {
  return site_list(s, step, s->a, 100, many_head, distinct_item, html_tail);
}

/* Never returns true: the page has no end. */
static bool gen_forever(struct sc_site *s, uint64_t step) {
  if (step == 0) {
    html_head(s, "A page that never ends");
    return false;
  }
  for (uint64_t i = (step - 1) * 20; i < step * 20; i++)
    put(s,
        "<p>Paragraph %llu of a page that never ends: it streams for as "
        "long as its reader reads, and links nowhere.</p>\n",
        u(i));
  return false;
}

/* A sitemap's head, then s->a MiB of zeros (no tail: the zeros are not
 * XML; what matters is how much a reader inflates before it stops). */
static bool gen_bomb(struct sc_site *s, uint64_t step) {
  static const char zeros[4096];
  if (step == 0) {
    put(s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<urlset xmlns=\"" SITEMAP_NS
        "\">\n"
        "<url><loc>%s/site/traps.html</loc></url>\n",
        s->origin);
    return false;
  }
  put_raw(s, zeros, sizeof zeros);
  return step >= s->a * (1024 * 1024 / sizeof zeros);
}

/* Ten entities, each ten of the one before: lol9 is 10^9 "lol"s. */
static bool gen_laughs(struct sc_site *s, uint64_t step) {
  (void)step;
  put(s,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!DOCTYPE urlset [\n <!ENTITY lol \"lol\">\n");
  for (int i = 1; i <= 9; i++) {
    put(s, " <!ENTITY lol%d \"", i);
    for (int j = 0; j < 10; j++) put(s, i == 1 ? "&lol;" : "&lol%d;", i - 1);
    put(s, "\">\n");
  }
  put(s,
      "]>\n<urlset xmlns=\"" SITEMAP_NS
      "\">\n"
      "<url><loc>%s/site/&lol9;</loc></url>\n</urlset>\n",
      s->origin);
  return true;
}

static bool gen_robots(struct sc_site *s, uint64_t step) {
  (void)step;
  put(s,
      "# robots.txt of sitecheck serve's generated site, /site/N/SEED/\n"
      "User-agent: *\n"
      "Allow: /site/*/private/allowed.html\n"
      "Disallow: /site/*/private/\n");
  return true;
}

/* ------------------------------------------------------------- routes */

/* Checks a route's numbers (and sets the Location of a redirect); false
 * makes the path a 404. */
typedef bool (*site_plan)(struct sc_site *s);

static bool plan_page(struct sc_site *s) {
  return s->a < s->n;
}

static bool plan_part(struct sc_site *s) {
  if (s->a >= (s->n + SITE_PART - 1) / SITE_PART) return false;
  s->b = s->a * SITE_PART + SITE_PART;
  if (s->b > s->n) s->b = s->n;
  s->a *= SITE_PART;
  return true;
}

static bool plan_sitemap(struct sc_site *s) {
  s->a = 0;
  s->b = s->n;
  s->whole = true;
  return true;
}

/* A redirect: code and a printf Location. */
static bool site_redirect(struct sc_site *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool site_redirect(struct sc_site *s, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->location, sizeof s->location, fmt, ap);
  va_end(ap);
  s->code = code;
  return true;
}

/* site/N/SEED, the site's directory without its slash. */
static bool plan_slash(struct sc_site *s) {
  if (s->a < 1 || s->a > SITE_PAGES_MAX) return false;
  return site_redirect(s, 301, "/site/%llu/%llu/", u(s->a), u(s->b));
}

static bool plan_moved(struct sc_site *s) {
  return site_redirect(s, 301, "../p/%llu.html", u(s->a));
}

static bool plan_chain(struct sc_site *s) {
  if (s->a == 0 || s->a > SITE_CHAIN_MAX) return false;
  if (s->a == 1) return site_redirect(s, 301, "../../p/%llu.html", u(s->b));
  return site_redirect(s, 302, "../%llu/%llu.html", u(s->a - 1), u(s->b));
}

static bool plan_loop_a(struct sc_site *s) {
  return site_redirect(s, 302, "b.html");
}

static bool plan_loop_b(struct sc_site *s) {
  return site_redirect(s, 302, "a.html");
}

static bool plan_away(struct sc_site *s) {
  return site_redirect(s, 302, "%s://127.0.0.2:%u%s/", s->scheme, s->port,
                       s->root);
}

static bool plan_gone(struct sc_site *s) {
  return site_redirect(s, 301, "p/%llu.html", u(s->n));
}

static bool plan_private(struct sc_site *s) {
  return site_redirect(s, 301, "private/");
}

static bool plan_secret(struct sc_site *s) {
  s->title = "A secret robots.txt keeps";
  return true;
}

static int site_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* enc/NAME: a page only if NAME percent-decodes to "café.html" in UTF-8. */
static bool plan_enc(struct sc_site *s) {
  static const char want[] = "caf\xc3\xa9.html";
  const char *p = s->rest, *end = s->rest + strlen(s->rest);
  size_t n = 0;
  while (p < end) {
    int c = (unsigned char)*p, hi, lo;
    if (c == '%' && end - p >= 3 && (hi = site_hex(p[1])) >= 0 &&
        (lo = site_hex(p[2])) >= 0) {
      c = hi * 16 + lo;
      p += 3;
    } else {
      p++;
    }
    if (n >= sizeof want - 1 || (char)c != want[n]) return false;
    n++;
  }
  s->title = "Caf\xc3\xa9";
  return n == sizeof want - 1;
}

static bool plan_many(struct sc_site *s) {
  return s->a >= 1 && s->a <= SITE_MANY_MAX;
}

static bool plan_many_leaf(struct sc_site *s) {
  return plan_many(s) && s->b < s->a;
}

static bool plan_bomb(struct sc_site *s) {
  return s->a >= 1 && s->a <= SITE_BOMB_MAX;
}

/* One row per route. pattern: '#' a number (put in s->a, then s->b), '*'
 * the rest of the path; anything else itself. gen NULL: a redirect, which
 * plan sets. */
struct site_route {
  const char *pattern;
  site_gen gen;
  const char *type;
  site_plan plan;
};

/* Under /site/N/SEED/ (the pattern is what follows it). */
static const struct site_route site_pages[] = {
    {"", gen_home, HTML, NULL},
    {"index.html", gen_home, HTML, NULL},
    {"p/#.html", gen_page, HTML, plan_page},
    {"broken.html", gen_broken, HTML, NULL},
    {"redirects.html", gen_redirects, HTML, NULL},
    {"moved/#.html", NULL, NULL, plan_moved},
    {"chain/#/#.html", NULL, NULL, plan_chain},
    {"loop/a.html", NULL, NULL, plan_loop_a},
    {"loop/b.html", NULL, NULL, plan_loop_b},
    {"away.html", NULL, NULL, plan_away},
    {"gone.html", NULL, NULL, plan_gone},
    {"hosts.html", gen_hosts, HTML, NULL},
    {"base.html", gen_base, HTML, NULL},
    {"base-abs.html", gen_base_abs, HTML, NULL},
    {"relative.html", gen_relative, HTML, NULL},
    {"fragments.html", gen_fragments, HTML, NULL},
    {"latin1.html", gen_latin1, "text/html; charset=ISO-8859-1", NULL},
    {"bom.html", gen_bom, "text/html", NULL},
    {"invalid.html", gen_invalid, HTML, NULL},
    {"enc/*", gen_leaf, HTML, plan_enc},
    {"malformed.html", gen_malformed, HTML, NULL},
    {"private", NULL, NULL, plan_private},
    {"private/", gen_private, HTML, NULL},
    {"private/index.html", gen_private, HTML, NULL},
    {"private/secret.html", gen_leaf, HTML, plan_secret},
    {"private/allowed.html", gen_allowed, HTML, NULL},
    {"sitemap.xml", gen_urlset, XML, plan_sitemap},
    {"sitemap.xml.gz", gen_urlset, GZ, plan_sitemap},
    {"sitemap-index.xml", gen_index, XML, NULL},
    {"sitemap-index.xml.gz", gen_index, GZ, NULL},
    {"sitemap-#.xml", gen_urlset, XML, plan_part},
    {"sitemap-#.xml.gz", gen_urlset, GZ, plan_part},
};

/* The rest: the traps, robots.txt, and the way into a site. */
static const struct site_route site_top[] = {
    {"robots.txt", gen_robots, "text/plain; charset=utf-8", NULL},
    {"site/#/#", NULL, NULL, plan_slash},
    {"site/traps.html", gen_traps, HTML, NULL},
    {"site/endless/#", gen_endless, HTML, NULL},
    {"site/many/#/same.html", gen_same, HTML, plan_many},
    {"site/many/#/distinct.html", gen_distinct, HTML, plan_many},
    {"site/many/#/#.html", gen_leaf, HTML, plan_many_leaf},
    {"site/forever.html", gen_forever, HTML, NULL},
    {"site/bomb/#.xml.gz", gen_bomb, GZ, plan_bomb},
    {"site/laughs.xml", gen_laughs, XML, NULL},
};

/* Matches path[0..len) against pattern (see struct site_route), storing
 * the numbers in nums (at most SITE_NUMS; 1 to 18 digits, no leading
 * zero) and the rest for '*' in *rest. */
static bool site_match(const char *pat, const char *p, size_t len,
                       uint64_t *nums, const char **rest, size_t *rest_len) {
  const char *end = p + len;
  int k = 0;
  for (; *pat; pat++) {
    if (*pat == '*') {
      *rest = p;
      *rest_len = (size_t)(end - p);
      return true;
    }
    if (*pat != '#') {
      if (p == end || *p != *pat) return false;
      p++;
      continue;
    }
    const char *d = p;
    uint64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9' && p - d < 18)
      v = v * 10 + (uint64_t)(*p++ - '0');
    if (p == d || (*d == '0' && p - d > 1) || k == SITE_NUMS ||
        (p < end && *p >= '0' && *p <= '9'))
      return false;
    nums[k++] = v;
  }
  return p == end;
}

/* Finds the row of table[0..n) that path matches and plans the reply
 * into s. Returns false for none (or a plan that refused). */
static bool site_route(struct sc_site *s, const struct site_route *table,
                       size_t n, const char *path, size_t len) {
  for (size_t i = 0; i < n; i++) {
    uint64_t nums[SITE_NUMS] = {0};
    const char *rest = NULL;
    size_t rest_len = 0;
    if (!site_match(table[i].pattern, path, len, nums, &rest, &rest_len))
      continue;
    s->a = nums[0];
    s->b = nums[1];
    s->gen = table[i].gen;
    s->type = table[i].type ? table[i].type : "text/plain";
    s->gzip = strcmp(s->type, GZ) == 0;
    s->title = "A page that links nowhere";
    if (rest) {
      if (rest_len >= sizeof s->rest) return false;
      memcpy(s->rest, rest, rest_len);
      s->rest[rest_len] = '\0';
    }
    return !table[i].plan || table[i].plan(s);
  }
  return false;
}

struct sc_site *sc_site_open(const char *path, size_t len, const char *scheme,
                             const char *host, unsigned port) {
  struct sc_site *s = sc_xmalloc(sizeof *s);
  uint64_t nums[SITE_NUMS] = {0};
  const char *rest = NULL;
  size_t rest_len = 0;
  bool ok;

  memset(s, 0, offsetof(struct sc_site, plain));
  s->code = 200;
  s->scheme = strcmp(scheme, "https") == 0 ? "https" : "http";
  s->port = port;
  snprintf(s->origin, sizeof s->origin, "%s://%s:%u", s->scheme, host, port);
  /* The site's pages need its size and seed: match them first, then the
   * rest against the site's own table. */
  if (site_match("site/#/#/*", path, len, nums, &rest, &rest_len)) {
    s->n = nums[0];
    s->seed = nums[1];
    snprintf(s->root, sizeof s->root, "/site/%llu/%llu", u(s->n), u(s->seed));
    ok = s->n >= 1 && s->n <= SITE_PAGES_MAX &&
         site_route(s, site_pages, sizeof site_pages / sizeof *site_pages, rest,
                    rest_len);
  } else {
    ok = site_route(s, site_top, sizeof site_top / sizeof *site_top, path, len);
  }
  if (!ok) {
    free(s);
    return NULL;
  }
  if (s->gzip) {
    s->z.zalloc = site_zalloc;
    s->z.zfree = site_zfree;
    /* A 1 KiB window and small tables: ~20 KB per reply; zeros still
     * shrink about 1,000-fold. */
    if (deflateInit2(&s->z, 6, Z_DEFLATED, 16 + 10, 4, Z_DEFAULT_STRATEGY) !=
        Z_OK)
      sc_oom();
  }
  return s;
}

int sc_site_code(const struct sc_site *s) {
  return s->code;
}

const char *sc_site_type(const struct sc_site *s) {
  return s->type;
}

const char *sc_site_location(const struct sc_site *s) {
  return s->location;
}

size_t sc_site_read(struct sc_site *s, const char **data) {
  *data = s->out;
  if (s->code != 200) return 0;
  return s->gzip ? site_deflate(s) : site_fill(s, s->out);
}

void sc_site_free(struct sc_site *s) {
  if (!s) return;
  if (s->gzip) deflateEnd(&s->z);
  free(s);
}
