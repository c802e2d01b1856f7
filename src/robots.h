/* robots.h - robots.txt as RFC 9309 defines it, for the crawl: which
 * paths of an origin a crawler named agent may fetch.
 *
 * The grammar kept is the RFC's: lines "key: value" with # comments;
 * groups of one or more user-agent lines followed by allow and disallow
 * rules (a user-agent line after a rule starts a new group; other keys,
 * sitemap and crawl-delay among them, are ignored). The groups whose
 * user-agent names agent (case-insensitively) apply, all of them merged;
 * without one, the "*" groups; without those, everything is allowed. A
 * path's rule is the longest pattern that matches it (in bytes); between
 * an allow and a disallow of that length, allow. In a pattern '*' matches
 * any run of bytes and a final '$' the end of the path; every pattern
 * starts at the path's start. An empty disallow allows. /robots.txt
 * itself is always allowed. There is no library for this in Debian, and
 * the grammar is small.
 *
 * Memory: the rules that apply, copied; nothing else. Work: a match costs
 * at most the pattern's length times the path's. Read-only once parsed,
 * so threads may share it. */
#ifndef SC_ROBOTS_H
#define SC_ROBOTS_H

#include <stddef.h>

struct sc_robots;

/* Parses text[0..n) for the crawler whose product token is agent
 * ("sitecheck"). Never fails: anything unreadable is ignored. */
struct sc_robots *sc_robots_parse(const char *text, size_t n,
                                  const char *agent);

/* A rule set that allows everything (allow 1) or nothing (allow 0): what
 * RFC 9309 prescribes for a robots.txt that is missing (4xx) or
 * unreachable (5xx, no answer). */
struct sc_robots *sc_robots_all(int allow);

/* Whether path (the URL's path and query, starting with '/') may be
 * fetched. */
int sc_robots_allowed(const struct sc_robots *r, const char *path);

/* NULL is a no-op. */
void sc_robots_free(struct sc_robots *r);

#endif
