/* fuzz_record.c - libFuzzer target: the JSON Lines and CSV record writers.
 * Builds a result whose strings are the fuzz input, formats it, and checks
 * that the JSON record is one line of valid UTF-8 with no raw control
 * characters, and that every CSV record is valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

/* 1 if s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i], len, cp, min;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
      len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
      len = 4, min = 0x10000;
    else
      return 0;
    if (i + len > n) return 0;
    cp = c & (0xFFu >> (len + 1));
    for (unsigned k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += len;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct sc_result r;
  struct sc_buf b = {0};
  memset(&r, 0, sizeof r);
  r.url = (const char *)data;
  r.url_len = size;
  r.a.status = size % 3 ? 0 : 200;
  r.a.cls = r.a.status ? SC_OK : (enum sc_class)(size % SC_CLASS_COUNT);
  size_t d = size < sizeof r.a.detail ? size : sizeof r.a.detail - 1;
  memcpy(r.a.detail, data, d);
  r.a.detail[d] = '\0';
  sc_record_jsonl(&b, &r);
  if (!b.len || b.data[b.len - 1] != '\n' || b.data[0] != '{') abort();
  for (size_t i = 0; i + 1 < b.len; i++)
    if ((unsigned char)b.data[i] < 0x20) abort();
  if (!valid_utf8((const unsigned char *)b.data, b.len)) abort();
  b.len = 0;
  sc_record_csv(&b, &r);
  if (!valid_utf8((const unsigned char *)b.data, b.len)) abort();
  sc_buf_free(&b);
  return 0;
}
