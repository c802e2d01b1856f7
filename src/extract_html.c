/* extract_html.c - see extract_html.h. */
#include "extract_html.h"

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/encoding.h>
#include <libxml/parserInternals.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* htmlParseChunk takes an int size: larger feeds go in pieces. */
#define CHUNK_MAX (1 << 30)
/* The longest tail held back from the parser (see hold_len). */
#define HOLD_MAX 8
/* Tags this long are rescanned freely (see unstick). */
#define RESCAN_FREE (256 * 1024)

struct sc_html {
  htmlParserCtxtPtr ctxt;
  CURLU *page; /* the page's URL, NULL if none */
  CURLU *base; /* the first <base href>, NULL until one is seen */
  int base_seen;
  sc_link_cb on_link;
  sc_anchor_cb on_anchor;
  void *arg;
  int err; /* sticky: SC_EXTRACT_STOPPED once a callback said stop */
  char hold[HOLD_MAX];
  size_t hold_len;        /* the end of the input so far, not yet parsed */
  unsigned long stuck_at; /* see unstick */
  size_t stuck_len;
};

/* How an attribute holds its URLs. */
enum kind { PLAIN, SRCSET, REFRESH };

/* Which attributes of which elements are links. */
static const struct rule {
  const char *element, *attr;
  enum kind kind;
} rules[] = {
    {"a", "href", PLAIN},         {"area", "href", PLAIN},
    {"link", "href", PLAIN},      {"img", "src", PLAIN},
    {"img", "srcset", SRCSET},    {"script", "src", PLAIN},
    {"iframe", "src", PLAIN},     {"source", "src", PLAIN},
    {"source", "srcset", SRCSET}, {"form", "action", PLAIN},
    {"meta", "content", REFRESH}, {"object", "data", PLAIN},
};

/* HTML's ASCII whitespace: TAB, LF, FF, CR, SPACE. */
static int is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* The value of attribute name in atts (libxml2 lower-cases names), "" for
 * an attribute without a value, NULL if absent. */
static const char *attr_of(const xmlChar **atts, const char *name) {
  for (size_t i = 0; atts && atts[i]; i += 2)
    if (strcmp((const char *)atts[i], name) == 0)
      return atts[i + 1] ? (const char *)atts[i + 1] : "";
  return NULL;
}

static CURLU *current_base(const struct sc_html *h) {
  return h->base ? h->base : h->page;
}

/* Reports one link value; records a stop. */
static void emit(struct sc_html *h, const char *v, size_t n,
                 const struct sc_doc_link *proto) {
  if (h->err) return;
  if (sc_link_emit(current_base(h), v, n, proto, h->on_link, h->arg) != 0) {
    h->err = SC_EXTRACT_STOPPED;
    xmlStopParser(h->ctxt);
  }
}

/* The URLs of a srcset attribute, by HTML's "parse a srcset attribute":
 * candidates are split at commas, a URL is a run of non-whitespace (so
 * the commas of a data: URL stay in it) from which trailing commas are
 * removed, and its descriptors run to the next comma outside
 * parentheses. Descriptors are not validated: a candidate a browser
 * would drop for a bad descriptor is still reported. */
static void emit_srcset(struct sc_html *h, const char *s,
                        const struct sc_doc_link *proto) {
  size_t i = 0, n = strlen(s);
  while (!h->err) {
    while (i < n && (is_ws(s[i]) || s[i] == ',')) i++;
    if (i >= n) return;
    size_t start = i;
    while (i < n && !is_ws(s[i])) i++;
    size_t end = i;
    if (s[end - 1] == ',') {
      while (end > start && s[end - 1] == ',') end--;
    } else {
      int paren = 0;
      for (; i < n; i++) {
        if (paren) {
          if (s[i] == ')') paren = 0;
        } else if (s[i] == '(') {
          paren = 1;
        } else if (s[i] == ',') {
          i++;
          break;
        }
      }
    }
    emit(h, s + start, end - start, proto);
  }
}

static int lower_is(char c, char want) {
  return c == want || c == want - 'a' + 'A';
}

/* The URL of a refresh value, by HTML's "shared declarative refresh
 * steps": a time (digits and dots), then ';' or ',' or whitespace, then
 * an optional "url=" with an optional quote that ends the URL. Sets
 * *url and *len and returns 1, or returns 0 when the value has no URL (a
 * plain reload) or is not a refresh value at all. */
static int refresh_url(const char *s, const char **url, size_t *len) {
  size_t i = 0, n = strlen(s);
  while (i < n && is_ws(s[i])) i++;
  size_t t = i;
  while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  if (i == t && (i >= n || s[i] != '.')) return 0;
  while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) i++;
  if (i >= n) return 0;
  if (s[i] != ';' && s[i] != ',' && !is_ws(s[i])) return 0;
  while (i < n && is_ws(s[i])) i++;
  if (i < n && (s[i] == ';' || s[i] == ',')) i++;
  while (i < n && is_ws(s[i])) i++;
  if (i >= n) return 0;
  size_t rest = i; /* the URL when "url=" is incomplete */
  char quote = 0;
  if (lower_is(s[i], 'u')) {
    i++;
    if (!(i < n && lower_is(s[i], 'r'))) goto parse;
    i++;
    if (!(i < n && lower_is(s[i], 'l'))) goto parse;
    i++;
    while (i < n && is_ws(s[i])) i++;
    if (!(i < n && s[i] == '=')) goto parse;
    i++;
    while (i < n && is_ws(s[i])) i++;
  }
  if (i < n && (s[i] == '\'' || s[i] == '"')) quote = s[i++];
  *url = s + i;
  *len = n - i;
  if (quote) {
    const char *q = memchr(*url, quote, *len);
    if (q) *len = (size_t)(q - *url);
  }
  return 1;
parse:
  *url = s + rest;
  *len = n - rest;
  return 1;
}

/* Keeps the resolved <base href> (see set_base). */
static int take_base(const struct sc_doc_link *l, void *arg) {
  if (l->skip == SC_LINK_OK || l->skip == SC_LINK_SCHEME)
    *(CURLU **)arg = sc_link_base(l->url);
  return 0;
}

/* The first <base> with an href sets the base for the links after it;
 * its href is resolved against the page's URL like a link, and one that
 * does not resolve leaves the page's URL in effect (HTML "set the frozen
 * base URL"). */
static void set_base(struct sc_html *h, const char *href) {
  struct sc_doc_link proto = {0};
  h->base_seen = 1;
  sc_link_emit(h->page, href, strlen(href), &proto, take_base, &h->base);
}

static void report_anchor(struct sc_html *h, const char *id, uint64_t line) {
  if (h->err || !h->on_anchor || !id[0]) return;
  if (h->on_anchor(id, line, h->arg) != 0) {
    h->err = SC_EXTRACT_STOPPED;
    xmlStopParser(h->ctxt);
  }
}

/* SAX start of an element: its fragment targets, then its links. */
static void on_start(void *ctx, const xmlChar *xname, const xmlChar **atts) {
  struct sc_html *h = ctx;
  const char *name = (const char *)xname;
  if (h->err || !name) return;
  int ln = xmlSAX2GetLineNumber(h->ctxt);
  uint64_t line = ln > 0 ? (uint64_t)ln : 1;

  const char *id = attr_of(atts, "id");
  if (id) report_anchor(h, id, line);
  if (strcmp(name, "a") == 0) {
    const char *anchor = attr_of(atts, "name");
    if (anchor) report_anchor(h, anchor, line);
  }
  if (strcmp(name, "base") == 0) {
    const char *href = attr_of(atts, "href");
    if (href && !h->base_seen) set_base(h, href);
    return;
  }

  for (size_t r = 0; r < sizeof rules / sizeof rules[0] && !h->err; r++) {
    if (strcmp(rules[r].element, name) != 0) continue;
    const char *v = attr_of(atts, rules[r].attr);
    if (!v) continue;
    struct sc_doc_link proto = {0};
    proto.element = rules[r].element;
    proto.attr = rules[r].attr;
    proto.line = line;
    if (strcmp(name, "a") == 0 || strcmp(name, "area") == 0 ||
        strcmp(name, "link") == 0)
      proto.rel = attr_of(atts, "rel");
    if (rules[r].kind == PLAIN) {
      emit(h, v, strlen(v), &proto);
    } else if (rules[r].kind == SRCSET) {
      emit_srcset(h, v, &proto);
    } else {
      const char *equiv = attr_of(atts, "http-equiv"), *url;
      size_t len;
      if (equiv && strcasecmp(equiv, "refresh") == 0 &&
          refresh_url(v, &url, &len))
        emit(h, url, len, &proto);
    }
  }
}

struct sc_html *sc_html_new(const char *base_url, const char *charset,
                            sc_link_cb on_link, sc_anchor_cb on_anchor,
                            void *arg) {
  struct sc_html *h = sc_xcalloc(1, sizeof *h);
  htmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  sax.startElement = on_start;
  h->page = sc_link_base(base_url);
  h->on_link = on_link;
  h->on_anchor = on_anchor;
  h->arg = arg;
  sc_extract_thread_init();
  h->ctxt =
      htmlCreatePushParserCtxt(&sax, h, NULL, 0, NULL, XML_CHAR_ENCODING_NONE);
  if (!h->ctxt) sc_oom();
  htmlCtxtUseOptions(h->ctxt, HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                  HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER);
  /* Without a charset libxml2's push parser would take any non-ASCII
   * byte as Latin-1; UTF-8 is the web's default and what a <meta charset>
   * can still override. Invalid UTF-8 makes libxml2 fall back to Latin-1
   * for the rest of the page, so no bytes stop the parse. */
  xmlCharEncodingHandlerPtr enc =
      charset ? xmlFindCharEncodingHandler(charset) : NULL;
  if (enc)
    xmlSwitchToEncoding(h->ctxt, enc);
  else
    xmlSwitchEncoding(h->ctxt, XML_CHAR_ENCODING_UTF8);
  return h;
}

/* libxml2 2.9's lookahead for the '>' that ends a tag forgets which
 * quote opened an attribute value when the bytes it has end inside that
 * value (it keeps "inside a value" in bit 0 of hasPErefs, but not the
 * quote), and then finds no '>' until the page ends: the rest of the page
 * would wait in its buffer and its links come only from sc_html_finish.
 * So when that bit is set and the next bytes hold a quote (else the value
 * cannot end in them), the lookahead is restarted from the tag's start
 * (checkIndex 0), where it reads the quotes right. Tags up to RESCAN_FREE
 * bytes are rescanned as often as that happens; a longer one (a hostile
 * tag with quotes everywhere) only when its bytes have doubled since the
 * last rescan, which keeps the work linear. */
static void unstick(struct sc_html *h, const char *p, size_t n) {
  xmlParserCtxtPtr c = h->ctxt;
  if (!(c->hasPErefs & 1) || !c->input || !c->input->cur) return;
  if (!memchr(p, '"', n) && !memchr(p, '\'', n)) return;
  unsigned long at =
      c->input->consumed + (unsigned long)(c->input->cur - c->input->base);
  size_t waiting = (size_t)(c->input->end - c->input->cur);
  if (at != h->stuck_at) {
    h->stuck_at = at;
    h->stuck_len = 0;
  }
  if (waiting > RESCAN_FREE && waiting < 2 * h->stuck_len) return;
  h->stuck_len = waiting;
  c->checkIndex = 0;
  c->hasPErefs &= ~1;
}

/* Hands p[0..n) to libxml2. */
static void push(struct sc_html *h, const char *p, size_t n, int terminate) {
  do {
    unstick(h, p, n);
    int k = n > CHUNK_MAX ? CHUNK_MAX : (int)n;
    htmlParseChunk(h->ctxt, p, k, terminate && (size_t)k == n);
    p += k;
    n -= (size_t)k;
  } while (n > 0 && !h->err);
}

/* s[0..n) is a proper prefix of name, ignoring case. */
static int proper_prefix(const char *s, size_t n, const char *name) {
  return n < strlen(name) && strncasecmp(s, name, n) == 0;
}

/* How many bytes at the end of p[0..n) must wait for the next feed.
 * libxml2 2.9's push parser decides some things on the bytes it has
 * rather than waiting for more: it reads script and style content up to
 * the end of its bytes, so a chunk that ends inside "</script" loses the
 * end tag (the rest of the page becomes script); it takes "<!DOC" at the
 * end of its bytes for text, not a DOCTYPE; and a chunk that ends inside
 * a UTF-8 sequence makes it switch the whole page to Latin-1. So the tail
 * held back is a '<', or "</" plus a proper prefix of "script" or
 * "style", or "<!" plus a proper prefix of "doctype", or an incomplete
 * UTF-8 sequence: at most HOLD_MAX bytes. Only the last '<' can start
 * such a tail (the next '<' would end the name), so this is a look at the
 * end only, and the links found do not depend on where chunks end. */
static size_t risky_tail(const char *p, size_t n) {
  size_t tail = 0;
  for (size_t k = 1; k <= HOLD_MAX && k <= n; k++) {
    const char *t = p + n - k;
    if (t[0] != '<') continue;
    if (k == 1 ||
        (t[1] == '/' && (proper_prefix(t + 2, k - 2, "script") ||
                         proper_prefix(t + 2, k - 2, "style"))) ||
        (t[1] == '!' && proper_prefix(t + 2, k - 2, "doctype")))
      tail = k;
    break;
  }
  for (size_t k = 1; k <= 3 && k <= n; k++) {
    unsigned char c = (unsigned char)p[n - k];
    if ((c & 0xC0) == 0x80) continue; /* a continuation byte */
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len > k && k > tail) tail = k;
    break;
  }
  return tail;
}

int sc_html_feed(struct sc_html *h, const void *data, size_t n) {
  const char *p = data;
  while (n > 0 && !h->err) {
    if (h->hold_len == 0) {
      size_t r = risky_tail(p, n);
      if (n > r) push(h, p, n - r, 0);
      memcpy(h->hold, p + n - r, r);
      h->hold_len = r;
      break;
    }
    /* The held bytes go first, with enough new ones to decide again. */
    char tmp[2 * HOLD_MAX];
    size_t m = n < HOLD_MAX ? n : HOLD_MAX, t = h->hold_len + m;
    memcpy(tmp, h->hold, h->hold_len);
    memcpy(tmp + h->hold_len, p, m);
    p += m;
    n -= m;
    size_t r = risky_tail(tmp, t);
    if (t > r) push(h, tmp, t - r, 0);
    memcpy(h->hold, tmp + t - r, r);
    h->hold_len = r;
  }
  return h->err;
}

int sc_html_finish(struct sc_html *h) {
  if (!h->err) push(h, h->hold, h->hold_len, 1);
  h->hold_len = 0;
  return h->err;
}

void sc_html_free(struct sc_html *h) {
  if (!h) return;
  htmlFreeParserCtxt(h->ctxt);
  curl_url_cleanup(h->page);
  curl_url_cleanup(h->base);
  free(h);
}
