/* where.h - where a result's URL was found, in the one wording every output
 * uses for it: the failure list on a terminal (faillist.c) and the HTML
 * report (report.c) say it alike.
 *
 *     urls.txt:3               a line of a URL list (stdin:3 for -)
 *     (argument)               a URL given on the command line
 *     on https://x/docs/       a link: the first place that links to it
 *     on https://x/docs/ and 3 more
 *     on https://x/docs/, https://x/a/, notes.md:4 and 2 more
 *                              the first few places, and how many more
 *
 * The phrase is handed over in pieces, through a function the caller
 * passes: sitecheck's own words (ASCII, no markup), and the strings from
 * outside (a place's URL or FILE:LINE, a list's name), which the caller
 * makes safe for where it writes them (a terminal, HTML). This module
 * only chooses the words: it writes nothing, escapes nothing and knows
 * none of its callers. */
#ifndef SC_WHERE_H
#define SC_WHERE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

/* What one piece of the phrase is. */
enum sc_where_piece {
  SC_WHERE_WORDS, /* sitecheck's own words: printable ASCII, no markup */
  SC_WHERE_PLACE, /* a place that links to the URL: a page's URL, or a
                     local document's FILE:LINE; from outside */
  SC_WHERE_INPUT  /* a list's name, as given on the command line */
};

/* Takes the next piece, s[0..n) (not NUL-terminated). */
typedef void sc_where_fn(void *arg, enum sc_where_piece piece, const char *s,
                         size_t n);

/* Where one result was found. The strings are borrowed for the call. */
struct sc_where {
  int linked;         /* the result of a link; else of a list's line */
  const char *input;  /* list: the list's name; NULL or "-": stdin */
  uint64_t line;      /* list: the line */
  const char *source; /* link: the first place that linked to it (a page's
                         URL, FILE:LINE); NULL: a URL given as an argument */
  const struct sc_refs *refs; /* link: its places as the run knows them, for
                                 the places after the first; or NULL */
  uint64_t places; /* link: how many places link to it; 0 when not known
                      (then no "and N more") */
};

/* Name every place the run keeps (sc_refs_get). */
#define SC_WHERE_ALL UINT_MAX

/* Emits the phrase for w through fn: "FILE:LINE" for a list's line; for a
 * link "on SOURCE", then ", PLACE" for each further place of w->refs while
 * fewer than max are named, then " and N more" for the w->places not
 * named; "(argument)", then " and N more" when N places link to it too. */
void sc_where_say(const struct sc_where *w, unsigned max, sc_where_fn *fn,
                  void *arg);

#endif
