/* term.h - text for a person at a terminal: the one function every human
 * line sitecheck writes passes outside text through, and whether to
 * colour.
 *
 * Text from the list or the network (a URL line, a detail quoting a
 * server's words, an input file's name) must never reach a terminal raw:
 * an escape sequence in it could recolour the screen, set the window
 * title, move the cursor or hide what follows, and a bidi control could
 * reorder what a person reads. sc_term_text writes such text so that the
 * terminal shows every byte and acts on none. Colour is ours only, added
 * around our own words (a status, a class). Pure functions, thread-safe. */
#ifndef SC_TERM_H
#define SC_TERM_H

#include <stddef.h>

#include "opts.h"
#include "util.h"

/* SGR sequences sitecheck colours with, and the reset. */
#define SC_TERM_GREEN "\033[32m"
#define SC_TERM_YELLOW "\033[33m"
#define SC_TERM_RED "\033[31m"
#define SC_TERM_RESET "\033[0m"

/* Appends s[0..n) (any bytes, NUL included) as text a terminal shows and
 * acts on nothing of, on one line: printable ASCII and UTF-8 characters
 * that are shown (sc_utf8_shown_len) are copied; a backslash becomes
 * "\\", tab, LF and CR "\t", "\n" and "\r"; every other byte (the C0
 * controls with ESC, DEL, invalid UTF-8, and each byte of a C1 or bidi
 * control or of U+2028/U+2029) becomes "\xNN". So every byte of s can be
 * read back from the output. */
void sc_term_text(struct sc_buf *b, const char *s, size_t n);

/* Whether output to fd gets colour: always, never, or (auto) when fd is a
 * terminal, NO_COLOR is unset or empty (no-color.org) and TERM is not
 * "dumb". */
int sc_term_color(enum sc_color mode, int fd);

#endif
