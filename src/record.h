/* record.h - formatting of results: the per-URL record (JSON Lines or CSV)
 * and the tally object, appended to caller-owned buffers. Pure functions,
 * no I/O, so they can be unit-tested and fuzzed. */
#ifndef SC_RECORD_H
#define SC_RECORD_H

#include <stdint.h>

#include "opts.h"
#include "result.h"
#include "util.h"

/* Length of the valid UTF-8 sequence that starts at s (n >= 1 bytes
 * available), or 0 when none does (overlong forms and surrogates are
 * invalid). */
size_t sc_utf8_len(const unsigned char *s, size_t n);

/* Appends s[0..n) as a JSON string literal (with quotes). Control
 * characters and NUL are escaped; bytes that are not valid UTF-8 become
 * U+FFFD, so the output is always valid JSON. */
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

/* True when r matches one of the --fail-on items. */
int sc_failon_match(const struct sc_failon *f, const struct sc_result *r);

/* Parses a --fail-on list ("4xx,5xx,timeout,404,error") into f (adding to
 * what it holds). Returns 0, or -1 with *bad pointing at the bad item
 * (which the caller must then free). */
int sc_failon_parse(struct sc_failon *f, const char *list, char **bad);

#endif
