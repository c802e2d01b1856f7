/* extract_md.c - see extract_md.h. */
#include "extract_md.h"

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <limits.h>
#include <md4c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract_html.h"
#include "util.h"

/* Links whose line is not known yet (see on_text): nested only as deep
 * as images inside link texts go; deeper ones are reported at once. */
#define PENDING_MAX 16

struct pending {
  char *href; /* decoded destination, NULL once reported */
  size_t len;
  const char *element;
};

struct sc_md {
  char *base_url;
  CURLU *base;
  size_t max;
  int cut;      /* more than max bytes were fed */
  int finished; /* sc_md_finish ran */
  struct sc_buf doc;
  sc_link_cb on_link;
  sc_anchor_cb on_anchor;
  void *arg;
  int err;
  /* Where md_parse is: the line at doc offset cur_off, and the line at
   * the end of the last text in the document plus the line breaks md4c
   * reported since (its fallback for a link without text). */
  size_t cur_off;
  uint64_t cur_line, lines; /* lines: how many the document has */
  uint64_t last_line, breaks;
  struct pending pend[PENDING_MAX];
  int depth; /* link and image spans open, may exceed PENDING_MAX */
  /* The raw HTML of the current block: its extractor, the newlines fed
   * to it so far, and which of its lines maps to which document line. */
  struct sc_html *html;
  uint64_t html_newlines;
  uint64_t map_html_line, map_doc_line;
};

/* Line breaks in doc[a..b): LF, CRLF or a lone CR, as md4c counts. */
static uint64_t breaks_in(const struct sc_md *m, size_t a, size_t b) {
  const char *s = m->doc.data;
  uint64_t k = 0;
  for (size_t i = a; i < b; i++)
    if (s[i] == '\n' ||
        (s[i] == '\r' && (i + 1 >= m->doc.len || s[i + 1] != '\n')))
      k++;
  return k;
}

/* The 1-based line of doc offset off. md4c passes text in document
 * order, so the cursor moves forward and the whole parse counts each
 * byte about once. */
static uint64_t line_at(struct sc_md *m, size_t off) {
  if (off >= m->cur_off)
    m->cur_line += breaks_in(m, m->cur_off, off);
  else
    m->cur_line -= breaks_in(m, off, m->cur_off);
  m->cur_off = off;
  return m->cur_line;
}

/* The offset of p in the document, or -1 when md4c passed a string of its
 * own (a line break, a replacement character). */
static long long doc_offset(const struct sc_md *m, const char *p) {
  uintptr_t a = (uintptr_t)m->doc.data, x = (uintptr_t)p;
  if (!m->doc.data || x < a || x >= a + m->doc.len) return -1;
  return (long long)(x - a);
}

/* Appends the character of entity e[0..n) ("&amp;", "&#38;", "&#x26;")
 * as UTF-8: numbers as CommonMark says (0, surrogates and beyond U+10FFFF
 * become U+FFFD), names from libxml2's HTML entity table, an unknown name
 * as written. */
static void add_entity(struct sc_buf *b, const char *e, size_t n) {
  unsigned long cp = 0;
  xmlChar out[8];
  if (n >= 4 && e[1] == '#') {
    int hex = e[2] == 'x' || e[2] == 'X';
    for (size_t i = hex ? 3 : 2; i + 1 < n && cp <= 0x10FFFF; i++) {
      char c = e[i];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : 0;
      cp = cp * (hex ? 16 : 10) + (unsigned long)d;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  } else {
    char name[64];
    const htmlEntityDesc *d = NULL;
    if (n >= 3 && n - 2 < sizeof name) {
      memcpy(name, e + 1, n - 2);
      name[n - 2] = '\0';
      d = htmlEntityLookup((const xmlChar *)name);
    }
    if (!d) {
      sc_buf_add(b, e, n);
      return;
    }
    cp = d->value;
  }
  int k = xmlCopyCharMultiByte(out, (int)cp);
  if (k > 0) sc_buf_add(b, out, (size_t)k);
}

/* An md4c attribute as a string: its escapes are already resolved,
 * entities and NUL characters are left to the application. Returns a
 * NUL-terminated copy the caller frees; *len is its length. */
static char *decode_attr(const MD_ATTRIBUTE *a, size_t *len) {
  struct sc_buf b = {0};
  for (size_t i = 0; a->size && a->substr_offsets[i] < a->size; i++) {
    const char *p = a->text + a->substr_offsets[i];
    size_t n = a->substr_offsets[i + 1] - a->substr_offsets[i];
    if (a->substr_types[i] == MD_TEXT_ENTITY)
      add_entity(&b, p, n);
    else if (a->substr_types[i] == MD_TEXT_NULLCHAR)
      sc_buf_adds(&b, "\xEF\xBF\xBD");
    else
      sc_buf_add(&b, p, n);
  }
  sc_buf_addc(&b, '\0');
  *len = b.len - 1;
  return b.data;
}

static void report(struct sc_md *m, const char *href, size_t len,
                   const char *element, uint64_t line) {
  struct sc_doc_link proto = {0};
  if (m->err) return;
  proto.element = element;
  proto.attr = element[0] == 'a' ? "href" : "src";
  proto.line = line;
  if (sc_link_emit(m->base, href, len, &proto, m->on_link, m->arg) != 0)
    m->err = SC_EXTRACT_STOPPED;
}

/* Reports every pending link with the line just learnt. */
static void flush_pending(struct sc_md *m, uint64_t line) {
  int n = m->depth < PENDING_MAX ? m->depth : PENDING_MAX;
  for (int i = 0; i < n; i++) {
    struct pending *p = &m->pend[i];
    if (!p->href) continue;
    report(m, p->href, p->len, p->element, line);
    free(p->href);
    p->href = NULL;
  }
}

/* Maps a line of the current block's HTML onto the document. A tag
 * still open at the end of a block ends on its last line, but md4c ends
 * every line of raw HTML with a newline of its own, also the document's
 * last: hence the cap. */
static uint64_t html_line(const struct sc_md *m, uint64_t line) {
  if (line < m->map_html_line) return m->map_doc_line;
  uint64_t doc = m->map_doc_line + (line - m->map_html_line);
  return doc < m->lines ? doc : m->lines;
}

static int html_link(const struct sc_doc_link *l, void *arg) {
  struct sc_md *m = arg;
  struct sc_doc_link c = *l;
  c.line = html_line(m, l->line);
  return m->on_link(&c, m->arg);
}

static int html_anchor(const char *id, uint64_t line, void *arg) {
  struct sc_md *m = arg;
  return m->on_anchor ? m->on_anchor(id, html_line(m, line), m->arg) : 0;
}

/* Ends the raw HTML of a block: what is still open in it is reported. */
static void end_html(struct sc_md *m) {
  if (!m->html) return;
  if (!m->err && sc_html_finish(m->html) != 0) m->err = SC_EXTRACT_STOPPED;
  sc_html_free(m->html);
  m->html = NULL;
}

/* Feeds raw HTML text at doc offset off (-1: a newline of md4c's own)
 * to the block's HTML extractor. */
static void feed_html(struct sc_md *m, const char *text, size_t size,
                      long long off) {
  if (!m->html) {
    m->html = sc_html_new(m->base_url, NULL, html_link,
                          m->on_anchor ? html_anchor : NULL, m);
    m->html_newlines = 0;
  }
  if (off >= 0) {
    m->map_html_line = m->html_newlines + 1;
    m->map_doc_line = line_at(m, (size_t)off);
  }
  for (size_t i = 0; i < size; i++)
    if (text[i] == '\n') m->html_newlines++;
  if (sc_html_feed(m->html, text, size) != 0) m->err = SC_EXTRACT_STOPPED;
}

static int on_enter_block(MD_BLOCKTYPE type, void *detail, void *arg) {
  (void)type, (void)detail;
  return ((struct sc_md *)arg)->err != 0;
}

/* Raw HTML never runs from one block into the next. */
static int on_leave_block(MD_BLOCKTYPE type, void *detail, void *arg) {
  struct sc_md *m = arg;
  (void)type, (void)detail;
  end_html(m);
  return m->err != 0;
}

/* A link or image starts. Its line is that of the text that follows (see
 * on_text), so it waits in pend[] until then. */
static int on_enter_span(MD_SPANTYPE type, void *detail, void *arg) {
  struct sc_md *m = arg;
  if (type != MD_SPAN_A && type != MD_SPAN_IMG) return m->err != 0;
  const MD_ATTRIBUTE *a = type == MD_SPAN_A
                              ? &((MD_SPAN_A_DETAIL *)detail)->href
                              : &((MD_SPAN_IMG_DETAIL *)detail)->src;
  const char *element = type == MD_SPAN_A ? "a" : "img";
  size_t len;
  char *href = decode_attr(a, &len);
  if (m->depth < PENDING_MAX) {
    m->pend[m->depth].href = href;
    m->pend[m->depth].len = len;
    m->pend[m->depth].element = element;
  } else {
    report(m, href, len, element, m->last_line + m->breaks);
    free(href);
  }
  m->depth++;
  return m->err != 0;
}

/* A link or image ends: one that had no text is reported with the
 * fallback line. */
static int on_leave_span(MD_SPANTYPE type, void *detail, void *arg) {
  struct sc_md *m = arg;
  (void)detail;
  if ((type != MD_SPAN_A && type != MD_SPAN_IMG) || m->depth == 0)
    return m->err != 0;
  m->depth--;
  if (m->depth < PENDING_MAX && m->pend[m->depth].href) {
    struct pending *p = &m->pend[m->depth];
    report(m, p->href, p->len, p->element, m->last_line + m->breaks);
    free(p->href);
    p->href = NULL;
  }
  return m->err != 0;
}

/* Text: where it lies in the document gives the line of the links
 * waiting for it; raw HTML goes to the HTML extractor. */
static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size,
                   void *arg) {
  struct sc_md *m = arg;
  long long off = doc_offset(m, text);
  if (off >= 0) {
    flush_pending(m, line_at(m, (size_t)off));
  } else if (size == 1 && text[0] == '\n') {
    m->breaks++;
  }
  if (type == MD_TEXT_HTML) feed_html(m, text, size, off);
  if (off >= 0) {
    m->last_line = line_at(m, (size_t)off + size);
    m->breaks = 0;
  }
  return m->err != 0;
}

struct sc_md *sc_md_new(const char *base_url, size_t max_bytes,
                        sc_link_cb on_link, sc_anchor_cb on_anchor, void *arg) {
  struct sc_md *m = sc_xcalloc(1, sizeof *m);
  m->base_url = base_url ? sc_xstrdup(base_url) : NULL;
  m->base = sc_link_base(base_url);
  m->max = max_bytes ? max_bytes : SC_MD_MAX_BYTES;
  if (m->max > UINT_MAX) m->max = UINT_MAX; /* md4c's MD_SIZE */
  m->on_link = on_link;
  m->on_anchor = on_anchor;
  m->arg = arg;
  return m;
}

int sc_md_feed(struct sc_md *m, const void *data, size_t n) {
  if (m->err) return m->err;
  if (n > m->max - m->doc.len) {
    sc_buf_add(&m->doc, data, m->max - m->doc.len);
    m->cut = 1;
    return m->err = SC_EXTRACT_LIMIT;
  }
  sc_buf_add(&m->doc, data, n);
  return 0;
}

int sc_md_finish(struct sc_md *m) {
  static const MD_PARSER parser = {
      .abi_version = 0,
      .flags = MD_DIALECT_GITHUB,
      .enter_block = on_enter_block,
      .leave_block = on_leave_block,
      .enter_span = on_enter_span,
      .leave_span = on_leave_span,
      .text = on_text,
  };
  if (m->finished || (m->err && !m->cut)) return m->err;
  m->finished = 1;
  m->err = 0;
  m->cur_off = 0;
  m->cur_line = m->last_line = 1;
  m->lines = 1 + breaks_in(m, 0, m->doc.len);
  m->breaks = 0;
  m->depth = 0;
  int rc =
      md_parse(m->doc.len ? m->doc.data : "", (MD_SIZE)m->doc.len, &parser, m);
  if (rc == -1 && !m->err) sc_oom();
  end_html(m);
  for (int i = 0; i < PENDING_MAX; i++) {
    free(m->pend[i].href);
    m->pend[i].href = NULL;
  }
  if (!m->err && m->cut) m->err = SC_EXTRACT_LIMIT;
  return m->err;
}

void sc_md_free(struct sc_md *m) {
  if (!m) return;
  end_html(m);
  for (int i = 0; i < PENDING_MAX; i++) free(m->pend[i].href);
  sc_buf_free(&m->doc);
  curl_url_cleanup(m->base);
  free(m->base_url);
  free(m);
}
