/* extract_sitemap.h - the URLs of an XML sitemap or sitemap index, read as
 * the body arrives, gzip or not.
 *
 * libxml2's XML push parser with SAX2 callbacks only: no tree, no network
 * (XML_PARSE_NONET), no entity substitution (no XML_PARSE_NOENT), no DTD
 * loading, no XML_PARSE_HUGE. A sitemap has no use for a DTD, so a
 * document with a DOCTYPE is refused at the DOCTYPE, before its internal
 * subset is read: entity expansion ("billion laughs") and external
 * entities (file:///etc/passwd) never get a chance to do anything. Only
 * the five predefined entities (&amp; ...) and character references are
 * decoded. The XML must be well-formed (sitemaps are machine-made, and the
 * protocol requires escaping) and UTF-8 as the protocol requires (an
 * encoding declaration is ignored; UTF-16 with a BOM is read too); at the
 * first error the extractor stops with SC_EXTRACT_SYNTAX, having reported
 * the URLs before it.
 *
 * Reported: the <loc> of each <url> of a <urlset> (element "url", attr
 * "loc"), and the <loc> of each <sitemap> of a <sitemapindex> (element
 * "sitemap", flagged SC_LINK_CHILD_SITEMAP). Elements are matched by
 * local name within the root's namespace (whatever it is, or none), and
 * only at their places (root, entry, loc), so the <image:loc> of an
 * image sitemap is not a page. Surrounding whitespace is trimmed; a
 * relative loc is resolved against the sitemap's URL; an empty one is
 * reported as SC_LINK_UNPARSABLE. Another root element (rss, feed, html)
 * is SC_EXTRACT_SYNTAX. A plain-text sitemap is a URL list: not this.
 *
 * Limits (the sitemaps protocol's, by default): at most max_urls locs
 * (50,000) and max_bytes of XML (50 MiB, uncompressed). At the first loc
 * beyond the one, or the first byte beyond the other, the extractor stops
 * with SC_EXTRACT_LIMIT. So it does after SC_SITEMAP_MAX_RUN bytes without
 * a '>': no tag or text of a sitemap is that long, and libxml2 2.9 checks
 * a tag's attributes for duplicates pairwise, so a huge hostile tag would
 * cost time quadratic in its size.
 *
 * gzip: input that starts with the gzip magic bytes (1f 8b) is inflated
 * with zlib as it streams, whatever its name says (a server may already
 * have decoded a .xml.gz), and the inflated bytes count against max_bytes,
 * so a gzip bomb stops at the cap. Concatenated gzip members are read;
 * bytes after a complete member that do not start a valid one are ignored,
 * as gzip(1) does. Corrupt or truncated gzip is SC_EXTRACT_GZIP.
 *
 * Line: the line of the <loc> start tag's end. Memory: the parser's state
 * and the bytes of an unfinished tag or text (at most SC_SITEMAP_MAX_RUN),
 * for gzip zlib's state with its 32 KiB window and a 16 KiB output
 * buffer, and one loc; nothing per URL reported. */
#ifndef SC_EXTRACT_SITEMAP_H
#define SC_EXTRACT_SITEMAP_H

#include <stddef.h>

#include "extract.h"

#define SC_SITEMAP_MAX_URLS 50000
#define SC_SITEMAP_MAX_BYTES ((size_t)50 * 1024 * 1024)
/* The most bytes between two '>' (a tag, a text): see the limits above. */
#define SC_SITEMAP_MAX_RUN 65536

struct sc_sitemap;

/* A new extractor for one sitemap. base_url: the sitemap's URL (may be
 * NULL). max_bytes, max_urls: the limits, 0 for the protocol's. on_link
 * gets every loc with arg. */
struct sc_sitemap *sc_sitemap_new(const char *base_url, size_t max_bytes,
                                  size_t max_urls, sc_link_cb on_link,
                                  void *arg);

/* Parses the next n bytes (gzip or XML). Returns 0 or an SC_EXTRACT_*
 * code; sc_sitemap_error says more. */
int sc_sitemap_feed(struct sc_sitemap *s, const void *data, size_t n);

/* The end of the input: a document or gzip stream left unfinished is an
 * error. Returns as sc_sitemap_feed. */
int sc_sitemap_finish(struct sc_sitemap *s);

/* What went wrong, for a message: "line 3: Entity 'xxe' not defined",
 * "more than 50000 URLs", ...; "" while nothing has. Valid until the next
 * call on s. */
const char *sc_sitemap_error(const struct sc_sitemap *s);

/* Frees the extractor, at any point. NULL is a no-op. */
void sc_sitemap_free(struct sc_sitemap *s);

#endif
