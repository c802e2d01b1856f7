/* page.h - reading one document for its links: an HTML page, a Markdown
 * document, a sitemap or a plain URL list, whether its bytes come from a
 * response body as it arrives (check.h's body mode) or from a local file.
 *
 * A page picks its extractor (extract_*.h) from what it is told and what
 * it sees: the read mode, a kind forced by the caller, the Content-Type,
 * the name and the first bytes (input_kind.h). UTF-16 with a BOM is turned
 * into UTF-8 first. It reports each distinct link of the document once, at
 * its first occurrence and in document order (and each further fragment
 * of it once, flagged SC_LINK_FRAGMENT_ONLY), through the caller's
 * struct sc_page_out: a document that repeats one link a million times
 * costs one report, and the caller counts places, not occurrences. That
 * per-page set holds a 64-bit keyed hash per distinct link (collisions are
 * harmless: a link counted once too few), so its size is bounded by the
 * document's, which max_bytes caps.
 *
 * Pure: no I/O, no locks, no global state; one instance per document, any
 * number in parallel on different threads. The engines' worker processes
 * run pages too (engine_process.c sends what they report to the parent).
 * Call sc_extract_global_init() once first. */
#ifndef SC_PAGE_H
#define SC_PAGE_H

#include <stddef.h>

#include "extract.h"
#include "input_kind.h"

/* What a job's body is read for (struct sc_job.read). */
enum sc_read_mode {
  SC_READ_NONE = 0, /* nothing: the check stops at the final head */
  SC_READ_PAGE,     /* a crawled page: read only when it is HTML */
  SC_READ_ANY,      /* --links: HTML, Markdown, a sitemap or a URL list */
  SC_READ_ROBOTS    /* robots.txt: its text, whole, at the end */
};

/* Set in sc_link.flags for a link whose URL this document already
 * reported, with a fragment not reported yet (--check-fragments): not
 * another place that links to the URL. */
#define SC_LINK_FRAGMENT_ONLY 0x100u

/* The most of a robots.txt read: RFC 9309 asks crawlers to parse at least
 * 500 KiB. */
#define SC_ROBOTS_MAX_BYTES (512u * 1024)

/* Where a page's findings go; arg is the caller's. anchor may be NULL
 * (no ids wanted); text is called only in SC_READ_ROBOTS. */
struct sc_page_out {
  void (*link)(void *arg, const struct sc_doc_link *l);
  void (*anchor)(void *arg, const char *id);
  void (*text)(void *arg, const char *p, size_t n);
};

struct sc_page;

/* Whether a body with this Content-Type is read in mode mode at all
 * (SC_READ_PAGE: HTML only). content_type may be NULL. */
int sc_page_wanted(int mode, const char *content_type);

/* A reader for one document: url is its URL (the final one after
 * redirects, or a local file's file:// URL; relative links resolve
 * against it, NULL: they are reported as SC_LINK_RELATIVE); kind is the
 * kind when the caller knows it, else -1 (decided from content_type, the
 * name in url and the first bytes). max_bytes caps the bytes read, as
 * received (a sitemap's inflated bytes also meet the protocol's limits;
 * robots.txt has its own cap). Returns NULL when sc_page_wanted says
 * no. */
struct sc_page *sc_page_open(int mode, int kind, const char *url,
                             const char *content_type, size_t max_bytes,
                             const struct sc_page_out *out, void *arg);

/* The next n bytes. Returns 0, or -1 once no more are wanted (the cap, or
 * an extractor that stopped): the caller stops reading. */
int sc_page_feed(struct sc_page *p, const void *data, size_t n);

/* Ends the document (complete: all of it arrived), reports what the
 * extractor still holds, and frees p. Returns a static or p-owned reason
 * the document was cut or unreadable, copied into why (cap bytes), or
 * leaves why "" when it was read whole. NULL p is a no-op. */
void sc_page_close(struct sc_page *p, int complete, char *why, size_t cap);

/* The kind being read ("html", ...), or "" before it is decided. */
const char *sc_page_kind_name(const struct sc_page *p);

#endif
