/* extract_sitemap.c - see extract_sitemap.h. */
#include "extract_sitemap.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util.h"

/* xmlParseChunk takes an int size: larger feeds go in pieces. */
#define CHUNK_MAX (1 << 30)
#define INFLATE_OUT 16384

enum mode { SNIFF, PLAIN, GZIP };
enum root { NO_ROOT, URLSET, INDEX };

struct sc_sitemap {
  xmlParserCtxtPtr ctxt;
  CURLU *base;
  sc_link_cb on_link;
  void *arg;
  size_t max_bytes, max_urls;
  size_t bytes, urls; /* XML bytes parsed, locs reported */
  size_t run;         /* bytes since the last '>' */
  int err;
  char detail[256];
  /* gzip or not, decided by the first two bytes */
  enum mode mode;
  unsigned char head[2];
  size_t head_len;
  z_stream z;
  int z_ready;   /* inflateInit2 done */
  int z_ended;   /* a gzip member ended: more input starts another */
  int z_members; /* members read to their end */
  int z_rest;    /* ignoring bytes after the last member */
  unsigned char out[INFLATE_OUT];
  /* where the parser is in the document */
  int depth;
  enum root root;
  char *ns; /* the root's namespace, NULL for none */
  int in_entry, in_loc, loc_long;
  uint64_t loc_line;
  size_t loc_len;
  char loc[SC_LINK_MAX + 1];
};

/* Records the first error (code and detail) and stops the parser. */
static void fail(struct sc_sitemap *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct sc_sitemap *s, int code, const char *fmt, ...) {
  if (s->err) return;
  s->err = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->detail, sizeof s->detail, fmt, ap);
  va_end(ap);
  xmlStopParser(s->ctxt);
}

/* The document is not well-formed: the detail is libxml2's first fatal
 * error, which on_error kept. */
static void fail_xml(struct sc_sitemap *s) {
  if (s->err) return;
  if (!s->detail[0])
    snprintf(s->detail, sizeof s->detail, "not well-formed XML");
  s->err = SC_EXTRACT_SYNTAX;
  xmlStopParser(s->ctxt);
}

/* Whether the extractor has stopped. libxml2 2.9 can still call back
 * after a fatal error within the same chunk (it reads on in Latin-1 after
 * bytes that are not UTF-8), so a callback first checks the document is
 * still well-formed: what is reported then does not depend on where the
 * chunks end. */
static int stopped(struct sc_sitemap *s) {
  if (!s->err && !s->ctxt->wellFormed) fail_xml(s);
  return s->err != 0;
}

/* libxml2's structured error handler: keeps the text of the first fatal
 * error (the one that ends a parse without XML_PARSE_RECOVER) and prints
 * nothing. Lesser errors (an undeclared namespace prefix) do not stop the
 * parse and are not kept. */
static void on_error(void *ctx, xmlErrorPtr e) {
  struct sc_sitemap *s = ctx;
  if (s->err || s->detail[0] || !e || !e->message || e->level != XML_ERR_FATAL)
    return;
  size_t n = strlen(e->message);
  while (n && (e->message[n - 1] == '\n' || e->message[n - 1] == ' ')) n--;
  snprintf(s->detail, sizeof s->detail, "line %d: %.*s", e->line, (int)n,
           e->message);
  for (char *c = s->detail; *c; c++)
    if (*c == '\n') *c = ' ';
}

/* A DOCTYPE is refused before its internal subset is read: a sitemap has
 * no use for one, and so entity declarations are never even stored. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
                       const xmlChar *sys) {
  struct sc_sitemap *s = ctx;
  (void)name, (void)ext, (void)sys;
  fail(s, SC_EXTRACT_SYNTAX, "line %d: a sitemap has no DOCTYPE",
       xmlSAX2GetLineNumber(s->ctxt));
}

static int same_ns(const struct sc_sitemap *s, const xmlChar *uri) {
  if (!s->ns || !uri) return !s->ns && !uri;
  return strcmp(s->ns, (const char *)uri) == 0;
}

static int is(const xmlChar *name, const char *want) {
  return strcmp((const char *)name, want) == 0;
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
                     const xmlChar *uri, int nb_ns, const xmlChar **nss,
                     int nb_attrs, int nb_defaulted, const xmlChar **attrs) {
  struct sc_sitemap *s = ctx;
  (void)prefix, (void)nb_ns, (void)nss, (void)nb_attrs, (void)nb_defaulted,
      (void)attrs;
  if (stopped(s)) return;
  s->depth++;
  if (s->depth == 1) {
    if (is(local, "urlset")) {
      s->root = URLSET;
    } else if (is(local, "sitemapindex")) {
      s->root = INDEX;
    } else {
      fail(s, SC_EXTRACT_SYNTAX,
           "not a sitemap: the root element is <%.64s>, not <urlset> or "
           "<sitemapindex>",
           (const char *)local);
      return;
    }
    s->ns = uri ? sc_xstrdup((const char *)uri) : NULL;
  } else if (s->depth == 2) {
    s->in_entry =
        same_ns(s, uri) && is(local, s->root == URLSET ? "url" : "sitemap");
  } else if (s->depth == 3 && s->in_entry && same_ns(s, uri) &&
             is(local, "loc")) {
    s->in_loc = 1;
    s->loc_len = 0;
    s->loc_long = 0;
    int ln = xmlSAX2GetLineNumber(s->ctxt);
    s->loc_line = ln > 0 ? (uint64_t)ln : 1;
  }
}

/* Text of a <loc>, leading whitespace dropped, kept up to one byte more
 * than a link may have so that an overlong one is known as such. */
static void on_chars(void *ctx, const xmlChar *ch, int len) {
  struct sc_sitemap *s = ctx;
  if (!s->in_loc || stopped(s)) return;
  for (int i = 0; i < len; i++) {
    char c = (char)ch[i];
    int space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (s->loc_len == 0 && space) continue;
    if (s->loc_len < sizeof s->loc - 1)
      s->loc[s->loc_len++] = c;
    else if (!space)
      s->loc_long = 1;
  }
}

/* A complete <loc>: counted against max_urls, then reported. */
static void report_loc(struct sc_sitemap *s) {
  struct sc_doc_link l = {0};
  if (s->urls == s->max_urls) {
    fail(s, SC_EXTRACT_LIMIT, "more than %zu URLs in one sitemap", s->max_urls);
    return;
  }
  s->urls++;
  s->loc[s->loc_len] = '\0';
  l.element = s->root == URLSET ? "url" : "sitemap";
  l.attr = "loc";
  l.line = s->loc_line;
  l.flags = s->root == INDEX ? SC_LINK_CHILD_SITEMAP : 0;
  l.url = s->loc;
  int rc;
  if (s->loc_long || s->loc_len > SC_LINK_MAX) {
    s->loc[SC_LINK_MAX] = '\0';
    l.skip = SC_LINK_TOO_LONG;
    rc = s->on_link(&l, s->arg);
  } else if (s->loc_len == 0) {
    l.skip = SC_LINK_UNPARSABLE;
    rc = s->on_link(&l, s->arg);
  } else {
    rc = sc_link_emit(s->base, s->loc, s->loc_len, &l, s->on_link, s->arg);
  }
  if (rc != 0) fail(s, SC_EXTRACT_STOPPED, "stopped by the caller");
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
                   const xmlChar *uri) {
  struct sc_sitemap *s = ctx;
  (void)local, (void)prefix, (void)uri;
  if (stopped(s)) return;
  if (s->depth == 3 && s->in_loc) {
    s->in_loc = 0;
    report_loc(s);
  } else if (s->depth == 2) {
    s->in_entry = 0;
  }
  s->depth--;
}

/* libxml2 gave up on the document: a fatal error, or bytes that are not
 * in the document's encoding (which halts it without an error of its
 * own). */
static int halted(const struct sc_sitemap *s) {
  return !s->ctxt->wellFormed || s->ctxt->instate == XML_PARSER_EOF;
}

/* Counts the bytes since the last '>' through p[0..n). No tag or text of
 * a sitemap comes near SC_SITEMAP_MAX_RUN bytes, and libxml2 2.9 checks
 * a tag's attributes for duplicates pairwise, so one huge tag would cost
 * time quadratic in its size: a longer run is refused. Returns 0 or -1. */
static int check_run(struct sc_sitemap *s, const unsigned char *p, size_t n) {
  const unsigned char *gt = memrchr(p, '>', n);
  if (gt)
    s->run = n - (size_t)(gt - p) - 1;
  else
    s->run += n;
  if (s->run <= SC_SITEMAP_MAX_RUN) return 0;
  fail(s, SC_EXTRACT_LIMIT, "more than %d bytes without a '>'",
       SC_SITEMAP_MAX_RUN);
  return -1;
}

/* Parses n bytes of XML, up to max_bytes in all. */
static void parse_xml(struct sc_sitemap *s, const unsigned char *p, size_t n) {
  int over = 0;
  if (n > s->max_bytes - s->bytes) {
    n = s->max_bytes - s->bytes;
    over = 1;
  }
  if (check_run(s, p, n) != 0) return;
  while (n > 0 && !s->err) {
    int k = n > CHUNK_MAX ? CHUNK_MAX : (int)n;
    xmlParseChunk(s->ctxt, (const char *)p, k, 0);
    s->bytes += (size_t)k;
    p += k;
    n -= (size_t)k;
    if (halted(s)) fail_xml(s);
  }
  if (over)
    fail(s, SC_EXTRACT_LIMIT, "larger than %zu bytes uncompressed",
         s->max_bytes);
}

/* zlib allocates through the one out-of-memory policy too. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  return sc_xcalloc(items, size);
}

static void z_free(voidpf opaque, voidpf p) {
  (void)opaque;
  free(p);
}

/* Inflates n bytes of gzip and parses what comes out, a window at a time:
 * the output is never held beyond INFLATE_OUT bytes. */
static void parse_gzip(struct sc_sitemap *s, const unsigned char *p, size_t n) {
  if (!s->z_ready) {
    s->z.zalloc = z_alloc;
    s->z.zfree = z_free;
    if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) sc_oom();
    s->z_ready = 1;
  }
  while (n > 0 && !s->err && !s->z_rest) {
    uInt k = n > 0x40000000 ? 0x40000000 : (uInt)n;
    s->z.next_in = (Bytef *)p;
    s->z.avail_in = k;
    p += k;
    n -= k;
    for (;;) {
      if (s->z_ended) {
        if (s->z.avail_in == 0) break;
        inflateReset(&s->z);
        s->z_ended = 0;
      }
      s->z.next_out = s->out;
      s->z.avail_out = sizeof s->out;
      int rc = inflate(&s->z, Z_NO_FLUSH);
      /* What came out before any error is parsed first, so the outcome
       * does not depend on how the input was cut. */
      parse_xml(s, s->out, sizeof s->out - s->z.avail_out);
      if (s->err) return;
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        if (s->z_members > 0) { /* trailing bytes, as gzip(1) ignores */
          s->z_rest = 1;
          return;
        }
        fail(s, SC_EXTRACT_GZIP, "corrupt gzip data: %s",
             s->z.msg ? s->z.msg : "inflate failed");
        return;
      }
      if (rc == Z_STREAM_END) {
        s->z_ended = 1;
        s->z_members++;
        continue;
      }
      if (s->z.avail_out != 0) break; /* all input taken */
    }
  }
}

static void parse_bytes(struct sc_sitemap *s, const unsigned char *p,
                        size_t n) {
  if (s->mode == GZIP)
    parse_gzip(s, p, n);
  else
    parse_xml(s, p, n);
}

struct sc_sitemap *sc_sitemap_new(const char *base_url, size_t max_bytes,
                                  size_t max_urls, sc_link_cb on_link,
                                  void *arg) {
  struct sc_sitemap *s = sc_xcalloc(1, sizeof *s);
  xmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = on_start;
  sax.endElementNs = on_end;
  sax.characters = on_chars;
  sax.internalSubset = on_doctype;
  sax.serror = on_error;
  s->base = sc_link_base(base_url);
  s->on_link = on_link;
  s->arg = arg;
  s->max_bytes = max_bytes ? max_bytes : SC_SITEMAP_MAX_BYTES;
  s->max_urls = max_urls ? max_urls : SC_SITEMAP_MAX_URLS;
  sc_extract_thread_init();
  s->ctxt = xmlCreatePushParserCtxt(&sax, s, NULL, 0, NULL);
  if (!s->ctxt) sc_oom();
  /* The protocol wants UTF-8, and the encoding declaration is ignored:
   * libxml2 2.9 handles bytes that are not in a declared encoding
   * differently depending on how much it had buffered when it switched
   * (it may drop them and read on), so the URLs found would depend on the
   * chunks. A UTF-16 BOM is still honoured. */
  xmlCtxtUseOptions(s->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                 XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
  return s;
}

int sc_sitemap_feed(struct sc_sitemap *s, const void *data, size_t n) {
  const unsigned char *p = data;
  if (s->err) return s->err;
  if (s->mode == SNIFF) {
    while (n > 0 && s->head_len < 2) s->head[s->head_len++] = *p++, n--;
    if (s->head_len < 2) return 0;
    s->mode = s->head[0] == 0x1f && s->head[1] == 0x8b ? GZIP : PLAIN;
    parse_bytes(s, s->head, 2);
  }
  if (n > 0 && !s->err) parse_bytes(s, p, n);
  return s->err;
}

int sc_sitemap_finish(struct sc_sitemap *s) {
  if (s->err) return s->err;
  if (s->mode == SNIFF) {
    s->mode = PLAIN;
    parse_bytes(s, s->head, s->head_len);
  }
  if (s->mode == GZIP && !s->err && !s->z_ended && !s->z_rest)
    fail(s, SC_EXTRACT_GZIP, "truncated gzip data");
  if (!s->err && halted(s)) fail_xml(s);
  if (!s->err) {
    xmlParseChunk(s->ctxt, NULL, 0, 1);
    /* Whatever libxml2's flags say (a failed conversion in the last bytes
     * halts it quietly), a sitemap was read only if its root element was
     * opened and closed. */
    if (!s->ctxt->wellFormed || s->root == NO_ROOT || s->depth != 0)
      fail_xml(s);
  }
  return s->err;
}

const char *sc_sitemap_error(const struct sc_sitemap *s) {
  return s->err ? s->detail : "";
}

void sc_sitemap_free(struct sc_sitemap *s) {
  if (!s) return;
  if (s->ctxt) {
    if (s->ctxt->myDoc) xmlFreeDoc(s->ctxt->myDoc);
    xmlFreeParserCtxt(s->ctxt);
  }
  if (s->z_ready) inflateEnd(&s->z);
  curl_url_cleanup(s->base);
  free(s->ns);
  free(s);
}
