/* input_kind.c - see input_kind.h. */
#include "input_kind.h"

#include <errno.h>
#include <iconv.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "extract.h"
#include "util.h"

/* How much of a gzip start is inflated to look at, and how much XML is
 * read looking for its root element. */
#define GZIP_PEEK 1024
#define ROOT_PEEK 65536

const char *sc_input_kind_name(enum sc_input_kind k) {
  switch (k) {
    case SC_INPUT_HTML:
      return "html";
    case SC_INPUT_MARKDOWN:
      return "markdown";
    case SC_INPUT_SITEMAP:
      return "sitemap";
    case SC_INPUT_LIST:
      break;
  }
  return "list";
}

enum sc_utf16_bom sc_utf16_bom(const unsigned char *head, size_t n) {
  if (n >= 2 && head[0] == 0xFF && head[1] == 0xFE) return SC_UTF16_LE;
  if (n >= 2 && head[0] == 0xFE && head[1] == 0xFF) return SC_UTF16_BE;
  return SC_UTF16_NONE;
}

/* --- UTF-16 to UTF-8 ---------------------------------------------------- */

struct sc_utf16 {
  iconv_t cd;
  unsigned char bom[2]; /* the BOM in this byte order */
  int at_start;         /* a BOM may still come */
  unsigned char carry[4];
  size_t carry_len; /* bytes of an unfinished character */
};

struct sc_utf16 *sc_utf16_new(enum sc_utf16_bom bom) {
  if (bom != SC_UTF16_LE && bom != SC_UTF16_BE) return NULL;
  iconv_t cd =
      iconv_open("UTF-8", bom == SC_UTF16_LE ? "UTF-16LE" : "UTF-16BE");
  if (cd == (iconv_t)-1) return NULL;
  struct sc_utf16 *c = sc_xcalloc(1, sizeof *c);
  c->cd = cd;
  c->bom[0] = bom == SC_UTF16_LE ? 0xFF : 0xFE;
  c->bom[1] = bom == SC_UTF16_LE ? 0xFE : 0xFF;
  c->at_start = 1;
  return c;
}

/* Converts the whole characters at the start of p[0..n) into out; an
 * unpaired surrogate becomes U+FFFD. Returns the bytes used: all but an
 * unfinished character at the end (at most 3 bytes). */
static size_t run(struct sc_utf16 *c, const unsigned char *p, size_t n,
                  struct sc_buf *out) {
  char *ip = (char *)p;
  size_t il = n;
  while (il > 0) {
    /* A 2-byte unit gives at most 3 bytes of UTF-8. */
    sc_buf_reserve(out, il / 2 * 3 + 8);
    char *op = out->data + out->len;
    size_t ol = out->cap - out->len - 1;
    size_t r = iconv(c->cd, &ip, &il, &op, &ol);
    int e = errno;
    out->len = (size_t)(op - out->data);
    out->data[out->len] = '\0';
    if (r != (size_t)-1 || e == EINVAL) break;
    if (e == E2BIG) continue;
    /* EILSEQ: an unpaired surrogate. Replace its unit and go on. */
    sc_buf_adds(out, "\xEF\xBF\xBD");
    size_t skip = il < 2 ? il : 2;
    ip += skip;
    il -= skip;
  }
  return n - il;
}

void sc_utf16_convert(struct sc_utf16 *c, const void *in, size_t n,
                      struct sc_buf *out) {
  const unsigned char *p = in;
  if (c->at_start) {
    while (n > 0 && c->carry_len < 2) c->carry[c->carry_len++] = *p++, n--;
    if (c->carry_len < 2) return;
    c->at_start = 0;
    if (memcmp(c->carry, c->bom, 2) == 0) c->carry_len = 0;
  }
  if (c->carry_len > 0) {
    /* Finish the character split across calls from the new bytes. */
    size_t old = c->carry_len, take = sizeof c->carry - old;
    if (take > n) take = n;
    memcpy(c->carry + old, p, take);
    c->carry_len += take;
    size_t used = run(c, c->carry, c->carry_len, out);
    if (used < old) { /* still unfinished: all of it waits */
      memmove(c->carry, c->carry + used, c->carry_len - used);
      c->carry_len -= used;
      return;
    }
    p += used - old;
    n -= used - old;
    c->carry_len = 0;
  }
  size_t used = run(c, p, n, out);
  memcpy(c->carry, p + used, n - used);
  c->carry_len = n - used;
}

void sc_utf16_finish(struct sc_utf16 *c, struct sc_buf *out) {
  if (c->carry_len > 0) {
    size_t used = run(c, c->carry, c->carry_len, out);
    if (used < c->carry_len) sc_buf_adds(out, "\xEF\xBF\xBD");
    c->carry_len = 0;
  }
  iconv(c->cd, NULL, NULL, NULL, NULL);
}

void sc_utf16_free(struct sc_utf16 *c) {
  if (!c) return;
  iconv_close(c->cd);
  free(c);
}

/* --- sniffing ----------------------------------------------------------- */

static int is_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* p[0..n) starts with tag (case-insensitively) followed by whitespace or
 * '>' (WHATWG MIME sniffing's tag-terminating byte, whitespace widened). */
static int starts_tag(const unsigned char *p, size_t n, const char *tag) {
  size_t k = strlen(tag);
  return n > k && strncasecmp((const char *)p, tag, k) == 0 &&
         (is_ws(p[k]) || p[k] == '>');
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* The kind a name's extension says, or -1. */
static int name_kind(const char *name) {
  static const struct {
    const char *ext;
    enum sc_input_kind kind;
  } exts[] = {
      {".md", SC_INPUT_MARKDOWN},    {".markdown", SC_INPUT_MARKDOWN},
      {".mdown", SC_INPUT_MARKDOWN}, {".mkd", SC_INPUT_MARKDOWN},
      {".mkdn", SC_INPUT_MARKDOWN},  {".html", SC_INPUT_HTML},
      {".htm", SC_INPUT_HTML},       {".xhtml", SC_INPUT_HTML},
      {".xml", SC_INPUT_SITEMAP},    {".xml.gz", SC_INPUT_SITEMAP},
  };
  if (!name) return -1;
  /* A URL's query or fragment is not part of its name. */
  char buf[1024];
  size_t n = strcspn(name, "?#");
  if (n >= sizeof buf) return -1;
  memcpy(buf, name, n);
  buf[n] = '\0';
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
    if (ends_with(buf, exts[i].ext)) return (int)exts[i].kind;
  return -1;
}

struct root {
  char name[32];
  int done;
};

static void root_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
                       const xmlChar *uri, int nb_ns, const xmlChar **nss,
                       int nb_attrs, int nb_defaulted, const xmlChar **attrs) {
  xmlParserCtxtPtr ctxt = ctx;
  struct root *r = ctxt->_private;
  (void)prefix, (void)uri, (void)nb_ns, (void)nss, (void)nb_attrs,
      (void)nb_defaulted, (void)attrs;
  sc_strcpy_cut(r->name, sizeof r->name, (const char *)local);
  r->done = 1;
  xmlStopParser(ctxt);
}

/* A DOCTYPE names the root element: enough, and its internal subset is
 * never read. */
static void root_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
                         const xmlChar *sys) {
  xmlParserCtxtPtr ctxt = ctx;
  struct root *r = ctxt->_private;
  (void)ext, (void)sys;
  const char *colon = strchr((const char *)name, ':');
  sc_strcpy_cut(r->name, sizeof r->name,
                colon ? colon + 1 : (const char *)name);
  r->done = 1;
  xmlStopParser(ctxt);
}

static void quiet(void *ctx, xmlErrorPtr e) {
  (void)ctx, (void)e;
}

/* The local name of the root element of the XML at p[0..n), read by
 * libxml2 (no network, no entities), into r; r->done is 0 when the bytes
 * end before it or are not XML. */
static void xml_root(const unsigned char *p, size_t n, struct root *r) {
  xmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  memset(r, 0, sizeof *r);
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = root_start;
  sax.internalSubset = root_doctype;
  sax.serror = quiet;
  sc_extract_thread_init();
  xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
  if (!ctxt) sc_oom();
  /* With no user data, callbacks get the context; _private carries r. */
  ctxt->_private = r;
  xmlCtxtUseOptions(ctxt,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (n > ROOT_PEEK) n = ROOT_PEEK;
  xmlParseChunk(ctxt, (const char *)p, (int)n, 0);
  if (ctxt->myDoc) xmlFreeDoc(ctxt->myDoc);
  xmlFreeParserCtxt(ctxt);
}

/* The kind the content alone decides, or -1. */
static int strong_kind(const unsigned char *p, size_t n) {
  if (starts_tag(p, n, "<!doctype html") || starts_tag(p, n, "<html") ||
      starts_tag(p, n, "<head") || starts_tag(p, n, "<body"))
    return SC_INPUT_HTML;
  if (n > 0 && p[0] == '<') {
    struct root r;
    xml_root(p, n, &r);
    if (r.done &&
        (strcmp(r.name, "urlset") == 0 || strcmp(r.name, "sitemapindex") == 0))
      return SC_INPUT_SITEMAP;
    if (r.done && strcasecmp(r.name, "html") == 0) return SC_INPUT_HTML;
  }
  return -1;
}

static int weak_html(const unsigned char *p, size_t n) {
  static const char *const tags[] = {
      "<script", "<iframe", "<h1", "<div", "<font", "<table", "<a",
      "<style",  "<title",  "<b",  "<br",  "<p",    "<!--"};
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
    if (starts_tag(p, n, tags[i])) return 1;
  return 0;
}

/* The first bytes of a gzip stream, inflated into out. */
static void gunzip_head(const unsigned char *p, size_t n, struct sc_buf *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) sc_oom();
  sc_buf_reserve(out, GZIP_PEEK);
  z.next_in = (Bytef *)p;
  z.avail_in = n > 0x40000000 ? 0x40000000 : (uInt)n;
  z.next_out = (Bytef *)out->data;
  z.avail_out = GZIP_PEEK;
  inflate(&z, Z_SYNC_FLUSH);
  out->len = GZIP_PEEK - z.avail_out;
  out->data[out->len] = '\0';
  inflateEnd(&z);
}

static const unsigned char *skip_start(const unsigned char *p, size_t *n) {
  if (*n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) p += 3, *n -= 3;
  while (*n > 0 && is_ws(*p)) p++, (*n)--;
  return p;
}

static enum sc_input_kind sniff(const char *name, const unsigned char *p,
                                size_t n) {
  int by_name = name_kind(name);
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    struct sc_buf in = {0};
    gunzip_head(p, n, &in);
    size_t m = in.len;
    const unsigned char *q = skip_start((const unsigned char *)in.data, &m);
    int k = strong_kind(q, m);
    sc_buf_free(&in);
    if (k == SC_INPUT_SITEMAP || (name && ends_with(name, ".xml.gz")))
      return SC_INPUT_SITEMAP;
    return SC_INPUT_LIST;
  }
  p = skip_start(p, &n);
  int k = strong_kind(p, n);
  if (k >= 0) return (enum sc_input_kind)k;
  if (by_name == SC_INPUT_SITEMAP && n > 0 && p[0] != '<') return SC_INPUT_LIST;
  if (by_name >= 0) return (enum sc_input_kind)by_name;
  if (weak_html(p, n)) return SC_INPUT_HTML;
  return SC_INPUT_LIST;
}

enum sc_input_kind sc_input_kind(const char *name, const unsigned char *head,
                                 size_t n) {
  enum sc_utf16_bom bom = sc_utf16_bom(head, n);
  if (bom == SC_UTF16_NONE) return sniff(name, head, n);
  struct sc_buf u8 = {0};
  struct sc_utf16 *c = sc_utf16_new(bom);
  if (c) {
    sc_utf16_convert(c, head, n, &u8);
    sc_utf16_free(c);
  }
  enum sc_input_kind k =
      sniff(name, (const unsigned char *)(u8.data ? u8.data : ""), u8.len);
  sc_buf_free(&u8);
  return k;
}
