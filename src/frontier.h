/* frontier.h - the links source: every URL that is not a list's line (a
 * URL argument, the links of local documents, of pages and sitemaps read
 * with --links, and of a crawl), each distinct URL checked once.
 *
 * The frontier is a job source (source.h). It wraps the line-file feed
 * (the lists, one result per line as ever) and hands out its jobs first;
 * then its own: one per distinct URL, in the order found (breadth first
 * for a crawl). A URL is keyed by curl_url's canonical form without its
 * fragment; the seen-set holds every one found, up to --max-urls, so a URL
 * linked from a thousand pages is checked once and its record says where
 * it was first found (source) and how many places link to it
 * (referrers).
 *
 * Pages: a job whose body is to be read carries job.read (page.h). The
 * engine's check reads it (check.h's body mode) and the run hands what it
 * finds back here, from whatever thread the check ran on:
 * sc_frontier_opened at its final head, sc_frontier_link per distinct
 * link, sc_frontier_robots for robots.txt; sc_frontier_done when its
 * check is complete. While any page is being read, next returns -1
 * ("nothing ready yet"), never 0: more links may come. So the blocking
 * models never wait on a source that cannot move, and the run ends when
 * nothing is queued and no page is in flight.
 *
 * The crawl (--crawl URL): the start page is read; its final URL (after
 * redirects) sets the scope: the scheme, host, port and directory. A URL
 * in scope is read when it turns out to be HTML, within --depth and
 * --max-pages, and when robots.txt allows it (fetched once, through the
 * same checks, before any page after the start page; a URL in scope that
 * it disallows is skipped, not requested). URLs out of scope are checked
 * and not read.
 *
 * Skipped, with no record and no tally entry, and counted by reason for
 * the summary: mailto:, tel:, javascript:, data: and other schemes,
 * --exclude (unless --include matches), --exclude-private,
 * --exclude-loopback, robots.txt, and URLs past --max-urls.
 *
 * --check-fragments (with --crawl): each distinct link target#fragment
 * whose target is a page read (so in scope and HTML) is looked up among
 * the ids and <a name>s of that page; those not found are listed after
 * the summary line. They are not results: a URL's result is its status,
 * fragment dropped.
 *
 * Local documents (a FILE argument that is not a list, --links FILE) are
 * read when the run opens. Without --base, their relative links name
 * files: each is looked up on disk instead of on the network, and a
 * missing one is `missing_file` (a present one has no status).
 *
 * Memory: one entry per distinct URL (the URL, its first three referring
 * places and counts; see sc_frontier_entry_size), the names of local
 * documents, and the queue's links inside the entries: nothing per link
 * found. Thread-safe: one lock, taken inside the scheduler's in next and
 * alone everywhere else; nothing is called under it. */
#ifndef SC_FRONTIER_H
#define SC_FRONTIER_H

#include <stddef.h>
#include <stdint.h>

#include "extract.h"
#include "job.h"
#include "opts.h"
#include "result.h"
#include "source.h"

struct sc_frontier;

/* A new frontier; inner (the feed of the lists, or NULL) is handed out
 * first and closed with it. */
struct sc_frontier *sc_frontier_new(const struct sc_opts *o,
                                    struct sc_source *inner);

/* The frontier as a source. Its close stops it (returns the inner
 * source's read error) but keeps the entries, which results still point
 * to, until sc_frontier_free. */
struct sc_source *sc_frontier_source(struct sc_frontier *f);

/* Seeds, before the run: a URL argument (mode SC_READ_NONE: one result,
 * its status), a document to read (SC_READ_ANY: --links URL), or the
 * crawl's start page (SC_READ_PAGE). */
void sc_frontier_seed(struct sc_frontier *f, const char *url, int mode);

/* Reads the local document path of kind kind (enum sc_input_kind) now,
 * adding its links. Returns 0, or -1 after printing why it could not be
 * read. */
int sc_frontier_read_file(struct sc_frontier *f, const char *path, int kind);

/* A page's final head is in (final_url: where it ended up) and its body is
 * being read: the crawl's start page sets the scope. */
void sc_frontier_opened(struct sc_frontier *f, const struct sc_job *page,
                        const char *final_url);

/* A distinct link found on page (a job this frontier handed out). */
void sc_frontier_link(struct sc_frontier *f, const struct sc_job *page,
                      const struct sc_doc_link *l);

/* An id (a fragment target) on page, for --check-fragments. */
void sc_frontier_anchor(struct sc_frontier *f, const struct sc_job *page,
                        const char *id);

/* The text of the robots.txt job job. */
void sc_frontier_robots(struct sc_frontier *f, const struct sc_job *job,
                        const char *text, size_t n);

/* Job, one of this frontier's (job->entry set), is complete with *r:
 * fills r's source and referrers (source text into buf), and, for a page,
 * counts it done. Returns 1 if r is a result to record, 0 for the
 * frontier's own robots.txt job. */
int sc_frontier_done(struct sc_frontier *f, const struct sc_job *job,
                     struct sc_result *r, char *buf, size_t cap);

/* The summary lines after the contract's: pages read, links skipped by
 * reason, limits reached. Nothing when there is nothing to say. */
void sc_frontier_summary(struct sc_frontier *f);

/* Frees the entries (after the sink, whose failure list reads them). */
void sc_frontier_free(struct sc_frontier *f);

/* The bytes one seen URL costs beyond its text (the entry and its table
 * slot), for the documentation and the memory test. */
size_t sc_frontier_entry_size(void);

/* sc_refs_count and sc_refs_get (result.h) are implemented here. */

#endif
