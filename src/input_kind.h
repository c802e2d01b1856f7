/* input_kind.h - what an input is (a URL list, an HTML page, a Markdown
 * document, a sitemap), and UTF-16 input turned into UTF-8.
 *
 * sc_input_kind decides from the first bytes and the name. The content
 * wins where it is decisive; the name decides where the content is not
 * (Markdown has no signature, and HTML fragments have none); a list is
 * what is left. In order:
 *   1. A UTF-16 BOM: the bytes are converted to UTF-8 first. A UTF-8 BOM
 *      and leading whitespace are skipped.
 *   2. gzip magic (1f 8b): a sitemap if the inflated start shows one, or
 *      if the name ends in .xml.gz; otherwise a list (only sitemaps are
 *      read compressed).
 *   3. A decisive signature: "<!doctype html", "<html", "<head" or "<body"
 *      is HTML; XML whose root element (as libxml2 reads it, prolog,
 *      comments and DOCTYPE allowed) is urlset or sitemapindex is a
 *      sitemap, html is HTML. So page.md holding a whole HTML page is
 *      HTML, and feed.xml holding a sitemap index a sitemap.
 *   4. The name: .md .markdown .mdown .mkd .mkdn Markdown; .html .htm
 *      .xhtml HTML; .xml .xml.gz a sitemap, unless its first byte is not
 *      '<' (then it is a plain-text sitemap: a list).
 *   5. A weaker HTML start (the WHATWG MIME sniffing tags: <script,
 *      <iframe, <h1, <div, <font, <table, <a, <style, <title, <b, <br, <p,
 *      <!--): HTML. Weaker because a README.md may well open with
 *      <p align="center">: the name came first.
 *   6. Anything else is a URL list, as every input was before.
 *
 * The UTF-16 converter is for the line reader: a streaming iconv (glibc)
 * from UTF-16LE or BE to UTF-8, fed blocks of any size. */
#ifndef SC_INPUT_KIND_H
#define SC_INPUT_KIND_H

#include <stddef.h>

#include "util.h"

enum sc_input_kind {
  SC_INPUT_LIST,
  SC_INPUT_HTML,
  SC_INPUT_MARKDOWN,
  SC_INPUT_SITEMAP
};

/* The kind of an input named name (a path or URL; NULL for stdin) whose
 * first n bytes are head (pass what is at hand; 1 KiB is plenty). */
enum sc_input_kind sc_input_kind(const char *name, const unsigned char *head,
                                 size_t n);

/* "list", "html", "markdown", "sitemap". */
const char *sc_input_kind_name(enum sc_input_kind k);

/* The byte order a UTF-16 byte order mark at head[0..n) announces. */
enum sc_utf16_bom { SC_UTF16_NONE, SC_UTF16_LE, SC_UTF16_BE };
enum sc_utf16_bom sc_utf16_bom(const unsigned char *head, size_t n);

struct sc_utf16;

/* A converter from UTF-16 in byte order bom (SC_UTF16_LE or BE) to UTF-8.
 * Returns NULL if iconv has no such conversion. */
struct sc_utf16 *sc_utf16_new(enum sc_utf16_bom bom);

/* Converts the next n bytes, appending UTF-8 to out. A BOM at the very
 * start is dropped; a code unit or surrogate pair split across calls is
 * kept for the next; an unpaired surrogate becomes U+FFFD. Never fails. */
void sc_utf16_convert(struct sc_utf16 *c, const void *in, size_t n,
                      struct sc_buf *out);

/* The end of the input: a dangling odd byte or lone high surrogate
 * becomes U+FFFD. */
void sc_utf16_finish(struct sc_utf16 *c, struct sc_buf *out);

/* NULL is a no-op. */
void sc_utf16_free(struct sc_utf16 *c);

#endif
