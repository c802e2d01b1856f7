/* record.h - formatting of results: the per-URL record (JSON Lines or CSV)
 * and the tally object, appended to caller-owned buffers. Pure functions,
 * no I/O, so they can be unit-tested and fuzzed.
 *
 * The record's fields are one table in record.c (RECORD_FIELDS): name,
 * kind and value of each, in output order; JSON Lines, the CSV header and
 * the CSV rows are all made from it. Whatever a server or a list holds,
 * records are safe to print on a terminal and to open in a spreadsheet
 * (see sc_json_str and csv_text in record.c), and passwords in URLs are
 * masked (redact.h) in url, final_url, chain and detail. */
#ifndef SC_RECORD_H
#define SC_RECORD_H

#include <stdint.h>

#include "opts.h"
#include "result.h"
#include "util.h"

/* Length of the valid UTF-8 sequence that starts at s (n >= 1 bytes
 * available) when it encodes a character that is shown, or 0 when none
 * does: overlong forms and surrogates are invalid, and C1 and bidi
 * controls act on the display instead of being shown (writers put U+FFFD
 * or an escape in their place). */
size_t sc_utf8_shown_len(const unsigned char *s, size_t n);

/* Appends s[0..n) as a JSON string literal (with quotes). Control
 * characters, NUL and DEL, the C1 controls (U+0080..U+009F), the bidi
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and
 * U+2028/U+2029 are written as \uXXXX escapes; bytes that are not valid
 * UTF-8 become U+FFFD. So the output is valid JSON on one line, even for
 * readers that split at U+2028, with nothing a terminal acts on. */
void sc_json_str(struct sc_buf *b, const char *s, size_t n);

/* Appends one record for r, ending in "\n". */
void sc_record_jsonl(struct sc_buf *b, const struct sc_result *r);
void sc_record_csv(struct sc_buf *b, const struct sc_result *r);

/* Appends the CSV header line, with "\n". */
void sc_csv_header(struct sc_buf *b);

/* Counts of results by final status code (100..999) and failure class. */
struct sc_tally {
  uint64_t status[1000];
  uint64_t cls[SC_CLASS_COUNT];
  uint64_t total;
};

void sc_tally_add(struct sc_tally *t, const struct sc_result *r);

/* Appends the tally as the talk prints it: {"200": 29, "timeout": 1}
 * (codes ascending, then classes alphabetically), without a newline. */
void sc_tally_json(struct sc_buf *b, const struct sc_tally *t);

/* Whether r is OK as --accept says: a final status whose accept[] entry
 * is set. A failure class is never OK. */
int sc_result_ok(const unsigned char accept[1000], const struct sc_result *r);

/* True when r matches one of the --fail-on items (not-ok reads r->ok). */
int sc_failon_match(const struct sc_failon *f, const struct sc_result *r);

/* Parses a --fail-on list ("4xx,5xx,timeout,404,500-599,error,not-ok")
 * into f (adding to what it holds). Returns 0, or -1 with *bad pointing at
 * the bad item (which the caller must then free). */
int sc_failon_parse(struct sc_failon *f, const char *list, char **bad);

/* Parses an --accept list of codes (403), ranges (200-299) and classes of
 * codes (2xx), setting accept[code] for each (adding to what it holds).
 * Returns 0, or -1 with *bad as sc_failon_parse. */
int sc_accept_parse(unsigned char accept[1000], const char *list, char **bad);

#endif
