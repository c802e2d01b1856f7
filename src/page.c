/* page.c - see page.h. */
#include "page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_html.h"
#include "extract_md.h"
#include "extract_sitemap.h"
#include "htab.h"
#include "util.h"

/* Bytes looked at before the kind of a document is decided. */
#define SNIFF_BYTES 1024

struct sc_page {
  int mode;
  int kind; /* enum sc_input_kind, or -1 while undecided */
  char *url;
  char *charset; /* from the Content-Type, or NULL */
  char *ctype;   /* the Content-Type's media type, lower-cased, or NULL */
  size_t max_bytes, fed;
  int cut;     /* the cap was reached */
  int stopped; /* an extractor stopped (error or limit) */
  const struct sc_page_out *out;
  void *arg;
  struct sc_utf16 *u16;   /* UTF-16 input: converted first */
  int at_start;           /* the first two bytes are not in yet */
  unsigned char first[2]; /* ... kept here until they are */
  int nfirst;
  struct sc_buf head; /* bytes kept until the kind is decided */
  struct sc_buf conv; /* UTF-16 converted, for one feed */
  struct sc_html *html;
  struct sc_md *md;
  struct sc_sitemap *sitemap;
  CURLU *base;        /* lists: links resolve against url */
  struct sc_buf line; /* lists: the line being read */
  uint64_t lineno;
  int line_long;      /* lists: the current line passed SC_LINK_MAX */
  struct sc_buf text; /* robots.txt */
  uint64_t *seen;     /* hashes of links reported, open addressing */
  size_t seen_mask, seen_n;
  char err[160];
};

/* The media type of a Content-Type value, lower-cased (caller frees), and
 * its charset parameter into *charset (or NULL). */
static char *media_type(const char *ct, char **charset) {
  *charset = NULL;
  if (!ct) return NULL;
  size_t n = strcspn(ct, ";");
  char *t = sc_xstrndup(ct, n);
  for (char *q = t; *q; q++)
    if (*q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
  while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) t[--n] = '\0';
  const char *cs = strcasestr(ct + strcspn(ct, ";"), "charset=");
  if (cs) {
    cs += 8;
    if (*cs == '"') cs++;
    size_t m = strcspn(cs, "\"; \t");
    if (m) *charset = sc_xstrndup(cs, m);
  }
  return t;
}

static int is_html_type(const char *t) {
  return t && (strcmp(t, "text/html") == 0 ||
               strcmp(t, "application/xhtml+xml") == 0);
}

int sc_page_wanted(int mode, const char *content_type) {
  if (mode == SC_READ_NONE) return 0;
  if (mode != SC_READ_PAGE) return 1;
  char *cs, *t = media_type(content_type, &cs);
  int ok = is_html_type(t);
  free(t);
  free(cs);
  return ok;
}

/* --- one report per distinct link ---------------------------------- */

/* Adds hash h to the page's set; returns 1 if it was not there yet. */
static int first_time(struct sc_page *p, uint64_t h) {
  h |= 1;
  if (2 * (p->seen_n + 1) > p->seen_mask + 1) {
    size_t cap = p->seen_mask ? 2 * (p->seen_mask + 1) : 1024;
    uint64_t *t = sc_xcalloc(cap, sizeof *t);
    for (size_t i = 0; p->seen && i <= p->seen_mask; i++) {
      if (!p->seen[i]) continue;
      size_t k = p->seen[i] & (cap - 1);
      while (t[k]) k = (k + 1) & (cap - 1);
      t[k] = p->seen[i];
    }
    free(p->seen);
    p->seen = t;
    p->seen_mask = cap - 1;
  }
  size_t k = h & p->seen_mask;
  for (; p->seen[k]; k = (k + 1) & p->seen_mask)
    if (p->seen[k] == h) return 0;
  p->seen[k] = h;
  p->seen_n++;
  return 1;
}

static int on_link(const struct sc_doc_link *l, void *arg) {
  struct sc_page *p = arg;
  if (first_time(p, sc_hash_str((uint64_t)l->skip, l->url))) {
    p->out->link(p->arg, l);
  } else if (l->fragment && p->out->anchor &&
             first_time(p, sc_hash_str(sc_hash_str(7, l->url), l->fragment))) {
    struct sc_doc_link again = *l;
    again.flags |= SC_LINK_FRAGMENT_ONLY;
    p->out->link(p->arg, &again);
  }
  return 0;
}

static int on_anchor(const char *id, uint64_t line, void *arg) {
  struct sc_page *p = arg;
  (void)line;
  p->out->anchor(p->arg, id);
  return 0;
}

/* --- plain lists ------------------------------------------------------ */

/* One line of a list: trimmed; blank lines and # comments skipped. */
static void list_line(struct sc_page *p, const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t' || *s == '\r')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
  if (n >= 3 && p->lineno == 1 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
    s += 3, n -= 3;
  if (!n || *s == '#') return;
  struct sc_doc_link proto = {
      .element = "url", .attr = "line", .line = p->lineno, .flags = 0};
  sc_link_emit(p->base, s, n, &proto, on_link, p);
}

static void list_feed(struct sc_page *p, const char *d, size_t n) {
  while (n) {
    const char *nl = memchr(d, '\n', n);
    size_t k = nl ? (size_t)(nl - d) : n;
    if (!p->line_long) {
      size_t room = SC_LINK_MAX + 1 - p->line.len;
      sc_buf_add(&p->line, d, k < room ? k : room);
      if (p->line.len > SC_LINK_MAX) p->line_long = 1;
    }
    if (!nl) return;
    p->lineno++;
    list_line(p, p->line.data ? p->line.data : "", p->line.len);
    p->line.len = 0;
    p->line_long = 0;
    d += k + 1;
    n -= k + 1;
  }
}

/* --- the extractors --------------------------------------------------- */

/* Picks the kind (from the bytes kept so far) and starts its extractor. */
static void start(struct sc_page *p) {
  if (p->kind < 0) {
    if (is_html_type(p->ctype))
      p->kind = SC_INPUT_HTML;
    else if (p->ctype && (strcmp(p->ctype, "text/markdown") == 0 ||
                          strcmp(p->ctype, "text/x-markdown") == 0))
      p->kind = SC_INPUT_MARKDOWN;
    else
      p->kind = (int)sc_input_kind(p->url, (const unsigned char *)p->head.data,
                                   p->head.len);
  }
  int anchors = p->out->anchor != NULL;
  switch (p->kind) {
    case SC_INPUT_HTML:
      p->html = sc_html_new(p->url, p->u16 ? "UTF-8" : p->charset, on_link,
                            anchors ? on_anchor : NULL, p);
      break;
    case SC_INPUT_MARKDOWN:
      p->md = sc_md_new(p->url, p->max_bytes, on_link,
                        anchors ? on_anchor : NULL, p);
      break;
    case SC_INPUT_SITEMAP:
      p->sitemap = sc_sitemap_new(p->url, 0, 0, on_link, p);
      break;
    default:
      p->kind = SC_INPUT_LIST;
      p->base = sc_link_base(p->url);
      break;
  }
}

/* Hands n bytes (UTF-8, or what the document is in) to the extractor.
 * Returns 0, or -1 once it wants no more. */
static int extract(struct sc_page *p, const char *d, size_t n) {
  int rc = 0;
  if (p->html)
    rc = sc_html_feed(p->html, d, n);
  else if (p->md)
    rc = sc_md_feed(p->md, d, n);
  else if (p->sitemap)
    rc = sc_sitemap_feed(p->sitemap, d, n);
  else
    list_feed(p, d, n);
  if (rc != 0) p->stopped = 1;
  return rc != 0 ? -1 : 0;
}

struct sc_page *sc_page_open(int mode, int kind, const char *url,
                             const char *content_type, size_t max_bytes,
                             const struct sc_page_out *out, void *arg) {
  if (!sc_page_wanted(mode, content_type)) return NULL;
  struct sc_page *p = sc_xcalloc(1, sizeof *p);
  p->mode = mode;
  p->kind = mode == SC_READ_PAGE ? SC_INPUT_HTML : kind;
  p->url = url ? sc_xstrdup(url) : NULL;
  p->ctype = media_type(content_type, &p->charset);
  p->max_bytes = mode == SC_READ_ROBOTS ? SC_ROBOTS_MAX_BYTES : max_bytes;
  p->out = out;
  p->arg = arg;
  p->at_start = 1;
  return p;
}

/* Bytes past the UTF-16 conversion: kept until the kind is decided,
 * then extracted. Returns 0 or -1 as extract. */
static int feed_decoded(struct sc_page *p, const char *d, size_t n) {
  int rc = 0;
  if (!p->html && !p->md && !p->sitemap && !p->base) {
    if (p->kind < 0 && p->head.len + n < SNIFF_BYTES) {
      sc_buf_add(&p->head, d, n);
      return 0;
    }
    start(p);
    if (p->head.len) rc = extract(p, p->head.data, p->head.len);
    p->head.len = 0;
  }
  if (rc == 0 && n) rc = extract(p, d, n);
  return rc;
}

static int feed_converted(struct sc_page *p, const char *d, size_t n);

int sc_page_feed(struct sc_page *p, const void *data, size_t n) {
  const char *d = data;
  if (p->cut || p->stopped) return -1;
  /* The cap counts the bytes received (a sitemap's inflated bytes meet
   * the protocol's limits too). */
  if (p->fed + n > p->max_bytes) {
    n = p->max_bytes - p->fed;
    p->cut = 1;
  }
  p->fed += n;
  if (p->mode == SC_READ_ROBOTS) {
    sc_buf_add(&p->text, d, n);
    return p->cut ? -1 : 0;
  }
  if (p->at_start) {
    /* The first two bytes decide whether the document is UTF-16: keep
     * them until both are in, however the bytes are cut. */
    while (n && p->nfirst < 2) p->first[p->nfirst++] = *d++, n--;
    if (p->nfirst < 2) return p->cut ? -1 : 0;
    p->at_start = 0;
    enum sc_utf16_bom bom = sc_utf16_bom(p->first, 2);
    if (bom != SC_UTF16_NONE) p->u16 = sc_utf16_new(bom);
    int rc = feed_converted(p, (const char *)p->first, 2);
    if (rc == 0 && n) rc = feed_converted(p, d, n);
    return rc != 0 || p->cut ? -1 : 0;
  }
  int rc = feed_converted(p, d, n);
  return rc != 0 || p->cut ? -1 : 0;
}

/* Bytes of the document, through the UTF-16 converter if it is one.
 * Returns 0 or -1 as extract. */
static int feed_converted(struct sc_page *p, const char *d, size_t n) {
  if (p->u16) {
    p->conv.len = 0;
    sc_utf16_convert(p->u16, d, n, &p->conv);
    d = p->conv.data ? p->conv.data : "";
    n = p->conv.len;
  }
  return feed_decoded(p, d, n);
}

void sc_page_close(struct sc_page *p, int complete, char *why, size_t cap) {
  if (!p) return;
  if (cap) why[0] = '\0';
  if (p->mode == SC_READ_ROBOTS) {
    if (p->out->text)
      p->out->text(p->arg, p->text.data ? p->text.data : "", p->text.len);
  } else {
    if (p->at_start && p->nfirst) {
      p->at_start = 0;
      feed_converted(p, (const char *)p->first, (size_t)p->nfirst);
    }
    if (p->u16) {
      p->conv.len = 0;
      sc_utf16_finish(p->u16, &p->conv);
      if (p->conv.len && !p->stopped)
        feed_decoded(p, p->conv.data, p->conv.len);
    }
    if (!p->html && !p->md && !p->sitemap && !p->base) {
      start(p);
      if (p->head.len) extract(p, p->head.data, p->head.len);
    }
    int rc = 0;
    if (p->html && complete && !p->cut) rc = sc_html_finish(p->html);
    if (p->md) rc = sc_md_finish(p->md);
    if (p->sitemap && !p->stopped) rc = sc_sitemap_finish(p->sitemap);
    if (p->sitemap && (rc || p->stopped))
      snprintf(p->err, sizeof p->err, "sitemap: %s",
               sc_sitemap_error(p->sitemap));
    if (p->base && p->line.len) {
      p->lineno++;
      list_line(p, p->line.data, p->line.len);
    }
    if (!p->err[0] && (p->cut || rc == SC_EXTRACT_LIMIT))
      snprintf(p->err, sizeof p->err, "read only its first %zu bytes",
               p->max_bytes);
  }
  if (cap && p->err[0]) sc_strcpy_cut(why, cap, p->err);
  sc_html_free(p->html);
  sc_md_free(p->md);
  sc_sitemap_free(p->sitemap);
  if (p->base) curl_url_cleanup(p->base);
  sc_utf16_free(p->u16);
  sc_buf_free(&p->head);
  sc_buf_free(&p->conv);
  sc_buf_free(&p->line);
  sc_buf_free(&p->text);
  free(p->seen);
  free(p->url);
  free(p->charset);
  free(p->ctype);
  free(p);
}

const char *sc_page_kind_name(const struct sc_page *p) {
  return p->kind < 0 ? "" : sc_input_kind_name((enum sc_input_kind)p->kind);
}
