/* extract_md.h - the links of a Markdown document.
 *
 * md4c parses the GitHub dialect (CommonMark plus tables, strikethrough,
 * task lists and permissive autolinks). md4c needs the whole document in
 * memory, so the extractor keeps what is fed, up to a cap (the caller's
 * --max-page-size; SC_MD_MAX_BYTES by default), and parses on
 * sc_md_finish. Memory: the document plus md4c's working state, which
 * grows with the document; nothing per link is kept once reported.
 *
 * Links reported: inline links and images ([t](u), ![a](u)), reference
 * links and images (md4c resolves [t][ref] to its definition; a
 * definition nothing uses is not reported), autolinks (<https://...>,
 * <a@b.c>) and permissive autolinks (bare https://..., www.... and e-mail
 * addresses; md4c turns www.x into http://www.x and a@b.c into
 * mailto:a@b.c). A link is element "a" attribute "href", an image "img"
 * "src". Entities in a destination are decoded (named ones from libxml2's
 * HTML table). Nothing inside code spans or code blocks is a link.
 *
 * Raw HTML (HTML blocks and inline tags) goes to the HTML extractor
 * (extract_html.h), one instance per Markdown block, so <a href>, <img
 * src> and the rest are reported with their HTML element and attribute,
 * and ids and <a name> anchors reach sc_anchor_cb; a tag left open in one
 * block (an unclosed <script>) cannot swallow the HTML of the next.
 * Markdown headings get no anchors: their ids are a renderer's choice
 * (GitHub's "user-content-" slugs), not the document's.
 *
 * Line: md4c reports a link when it enters the link, before its text, and
 * passes text as pointers into the document, so a link takes the line of
 * the first text inside it: exact whenever the link has text on the line
 * of its '[' or '<' (nearly always). A link with no text of its own
 * ([](u)) takes the line of the text before it plus the line breaks md4c
 * reported since: exact inside a paragraph, possibly a line of an
 * earlier block when it opens its block. Links from raw HTML take the
 * HTML extractor's line mapped back onto the document. */
#ifndef SC_EXTRACT_MD_H
#define SC_EXTRACT_MD_H

#include <stddef.h>

#include "extract.h"

/* The default cap on a Markdown document (bytes kept for md4c). */
#define SC_MD_MAX_BYTES (10u * 1024 * 1024)

struct sc_md;

/* A new extractor for one document. base_url: the document's URL (for a
 * local file a file:// URL; NULL: relative links are reported as
 * SC_LINK_RELATIVE). max_bytes: the cap, 0 for SC_MD_MAX_BYTES. on_link
 * is required, on_anchor may be NULL; both get arg. */
struct sc_md *sc_md_new(const char *base_url, size_t max_bytes,
                        sc_link_cb on_link, sc_anchor_cb on_anchor, void *arg);

/* Keeps the next n bytes of the document. Returns 0, or
 * SC_EXTRACT_LIMIT once the document passes the cap: the bytes up to the
 * cap are kept and the rest (of this and later feeds) dropped. */
int sc_md_feed(struct sc_md *m, const void *data, size_t n);

/* Parses what was kept and reports its links. Returns 0,
 * SC_EXTRACT_STOPPED if a callback stopped it, or SC_EXTRACT_LIMIT if the
 * document was cut at the cap (the links of its first max_bytes are still
 * reported). Markdown has no syntax errors. Call it once. */
int sc_md_finish(struct sc_md *m);

/* Frees the extractor. NULL is a no-op. */
void sc_md_free(struct sc_md *m);

#endif
