/* extract_html.h - the links and fragment targets of an HTML page, read as
 * the body arrives.
 *
 * libxml2's HTML push parser in SAX mode (recovering, silent, no network):
 * the caller feeds the body in chunks of any size and the extractor
 * reports each link as soon as its start tag is complete. It builds no
 * tree and keeps no page: memory is the parser's own state, its element
 * stack, and the bytes of a tag not yet complete (the caller's byte cap
 * bounds both), whatever the number of links. Where libxml2 2.9's push
 * parser would decide on a cut chunk (see extract_html.c), the extractor
 * holds back a few bytes or restarts its lookahead, so the links do not
 * depend on where chunks end (scripts, comments, DOCTYPEs, UTF-8, long
 * attribute values); on markup broken enough (a stray quote inside a
 * tag) they still may. libxml2 before 2.14 compares each attribute of a
 * tag with every other: a hostile tag with tens of thousands of
 * attributes costs seconds, which only the caller's byte cap bounds.
 *
 * Links reported (element attribute): a href, area href, link href,
 * img src, img srcset, script src, iframe src, source src, source srcset,
 * object data, form action, and meta content when http-equiv is
 * "refresh" (the URL of "N; url=..." as a browser parses it; a refresh
 * without a URL, which reloads the page, is not reported). An object's
 * data is resolved like any link (against the base), as browsers do; its
 * codebase attribute, obsolete in HTML, is not read. Each URL of a srcset
 * is reported, its descriptors ("2x", "640w") dropped. A present but
 * empty attribute names the page itself and is reported as such. a, area
 * and link carry their rel attribute.
 *
 * Base URL: links are resolved against the page's URL (the final URL
 * after redirects) until the first <base> with an href attribute; from
 * that element on they are resolved against its href (itself resolved
 * against the page's URL). Later <base> elements are ignored, as in
 * browsers. A browser applies the base to every link of the document,
 * also those before it; a stream cannot, but HTML requires <base> to come
 * before any element with a URL, so conforming pages read the same.
 *
 * Fragment targets (sc_anchor_cb): the id attribute of every element and
 * the name attribute of every a element, the two things a browser scrolls
 * to (HTML "find a potential indicated element").
 *
 * Line: the line on which the element's start tag ends (libxml2 reports
 * an element once its '>' is read), exact for a tag written on one line. */
#ifndef SC_EXTRACT_HTML_H
#define SC_EXTRACT_HTML_H

#include <stddef.h>

#include "extract.h"

struct sc_html;

/* A new extractor for one page. base_url: the page's final URL (NULL:
 * relative links are reported as SC_LINK_RELATIVE). charset: the charset
 * of the Content-Type header, or NULL to let the page's <meta charset>
 * decide (as browsers do: the header wins); bytes that are not valid in
 * the charset do not stop the parse. on_link is required; on_anchor may
 * be NULL. Both get arg. */
struct sc_html *sc_html_new(const char *base_url, const char *charset,
                            sc_link_cb on_link, sc_anchor_cb on_anchor,
                            void *arg);

/* Parses the next n bytes of the page, calling back for what they
 * complete. Returns 0, or SC_EXTRACT_STOPPED once a callback returned
 * non-zero. Malformed HTML is never an error. */
int sc_html_feed(struct sc_html *h, const void *data, size_t n);

/* Tells the parser the page has ended, so a tag left open at the end is
 * reported if complete. Returns as sc_html_feed. Optional: a caller that
 * stops early (a byte cap, a stop request) just frees. */
int sc_html_finish(struct sc_html *h);

/* Frees the extractor, at any point. NULL is a no-op. */
void sc_html_free(struct sc_html *h);

#endif
