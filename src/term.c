/* term.c - see term.h. */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

void sc_term_text(struct sc_buf *b, const char *str, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  sc_buf_reserve(b, n);
  for (size_t i = 0; i < n;) {
    /* Copy the longest run of plain ASCII in one go. */
    size_t j = i;
    while (j < n && s[j] >= 0x20 && s[j] < 0x7F && s[j] != '\\') j++;
    if (j > i) {
      sc_buf_add(b, s + i, j - i);
      i = j;
      continue;
    }
    unsigned c = s[i];
    size_t l = c >= 0x80 ? sc_utf8_shown_len(s + i, n - i) : 0;
    /* U+2028 and U+2029 end a line for some readers. */
    if (l == 3 && c == 0xE2 && s[i + 1] == 0x80 &&
        (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
      l = 0;
    if (l) {
      sc_buf_add(b, s + i, l);
      i += l;
      continue;
    }
    if (c == '\\') {
      sc_buf_adds(b, "\\\\");
    } else if (c == '\t') {
      sc_buf_adds(b, "\\t");
    } else if (c == '\n') {
      sc_buf_adds(b, "\\n");
    } else if (c == '\r') {
      sc_buf_adds(b, "\\r");
    } else {
      char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      sc_buf_add(b, esc, 4);
    }
    i++;
  }
}

int sc_term_color(enum sc_color mode, int fd) {
  if (mode != SC_COLOR_AUTO) return mode == SC_COLOR_ALWAYS;
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no && *no) return 0;
  if (term && strcmp(term, "dumb") == 0) return 0;
  return isatty(fd);
}
