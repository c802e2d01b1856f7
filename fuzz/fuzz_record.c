/* fuzz_record.c - libFuzzer target: the JSON Lines and CSV record writers,
 * the password masking (redact.c) and terminal-safe text (term.c).
 *
 * Builds a result whose text fields (url, detail, final_url, chain,
 * server, content_type, input, tried_url, location) are the fuzz input,
 * formats it, and checks:
 * - JSON: one line of valid UTF-8 with no raw control byte, DEL, C1 or
 *   bidi control, U+2028 or U+2029;
 * - CSV: valid UTF-8, as many fields as the header; no raw control byte
 *   but a CR or LF inside quotes, no DEL, C1 or bidi control; no field
 *   starts with a formula character (= + - @ tab CR) unless it is a
 *   number in a numeric column;
 * - masking: against libcurl's own URL parser (a differential check), a
 *   URL curl finds a password in has only the mask as its password once
 *   masked; masking is idempotent, in every mode;
 * - terminal text: valid UTF-8 with no control byte, DEL, C1 or bidi
 *   control, U+2028 or U+2029. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "redact.h"
#include "term.h"

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

/* 1 if valid UTF-8 s[0..n) holds DEL, a C1 control (U+0080..U+009F), a
 * bidi control (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069),
 * or, with seps, U+2028 or U+2029. */
static int has_hidden(const unsigned char *s, size_t n, int seps) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == 0x7F) return 1;
    if (s[i] == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
      return 1;
    if (s[i] == 0xD8 && i + 1 < n && s[i + 1] == 0x9C) return 1;
    if (s[i] == 0xE2 && i + 2 < n) {
      unsigned b1 = s[i + 1], b2 = s[i + 2];
      if (b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F)) return 1;
      if (b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) return 1;
      if (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9) return 1;
      if (seps && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9)) return 1;
    }
  }
  return 0;
}

/* Columns that hold numbers, which may start with '-'. */
static int numeric_column(const char *name, size_t n) {
  static const char *const cols[] = {
      "line",       "status",         "time_ms",        "redirects",
      "attempts",   "content_length", "cert_days_left", "dns_ms",
      "connect_ms", "tls_ms",         "ttfb_ms",        "duplicate_of"};
  for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
    if (strlen(cols[i]) == n && memcmp(cols[i], name, n) == 0) return 1;
  return 0;
}

/* 1 if s[0..n) is -?[0-9]+(.[0-9]+)? */
static int is_number(const char *s, size_t n) {
  size_t i = s[0] == '-', digits = 0, dot = 0;
  for (; i < n; i++) {
    if (s[i] >= '0' && s[i] <= '9')
      digits++;
    else if (s[i] == '.' && digits && !dot)
      dot = 1, digits = 0;
    else
      return 0;
  }
  return digits > 0;
}

/* Checks one CSV record line (ending in '\n') against the header line. */
static void check_csv(const char *hdr, const char *rec, size_t n) {
  size_t i = 0, col = 0;
  const char *name = hdr;
  for (;;) {
    size_t name_len = strcspn(name, ",\n");
    char first = 0;
    size_t start = i;
    if (i < n && rec[i] == '"') {
      i++;
      if (i < n && rec[i] != '"') first = rec[i];
      for (;;) {
        if (i >= n) abort(); /* unterminated quote */
        if (rec[i] == '"') {
          if (i + 1 < n && rec[i + 1] == '"') {
            if (i == start + 1) first = '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
    } else {
      if (i < n) first = rec[i];
      while (i < n && rec[i] != ',' && rec[i] != '\n') {
        if (rec[i] == '"' || rec[i] == '\r') abort(); /* must be quoted */
        i++;
      }
    }
    if (first == '=' || first == '+' || first == '-' || first == '@' ||
        first == '\t' || first == '\r') {
      if (!numeric_column(name, name_len) || rec[start] == '"' ||
          !is_number(rec + start, i - start))
        abort();
    }
    col++;
    if (i >= n) abort();
    if (rec[i] == '\n') break;
    if (rec[i] != ',') abort(); /* text after a closing quote */
    i++;
    name += name_len;
    if (*name != ',') abort(); /* more fields than the header */
    name++;
  }
  if (name[strcspn(name, ",\n")] != '\n') abort(); /* fewer fields */
  if (i + 1 != n) abort();
  (void)col;
  /* Control bytes: only CR and LF, and those only inside quotes (which
   * the walk above already required of CR; LF outside ends the record). */
  for (size_t k = 0; k + 1 < n; k++) {
    unsigned char c = (unsigned char)rec[k];
    if (c < 0x20 && c != '\r' && c != '\n') abort();
  }
}

/* The password libcurl finds in the URL s (read as url.c reads a line),
 * or NULL; the caller frees it with curl_free. */
static char *curl_password(const char *s) {
  CURLU *u = curl_url();
  char *pw = NULL;
  if (u && curl_url_set(u, CURLUPART_URL, s,
                        CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
               CURLUE_OK)
    curl_url_get(u, CURLUPART_PASSWORD, &pw, 0);
  curl_url_cleanup(u);
  return pw;
}

/* Masking is idempotent, and a password curl finds is masked. */
static void check_redact(const char *z, size_t n) {
  static const unsigned modes[] = {0, SC_REDACT_CUT, SC_REDACT_TEXT,
                                   SC_REDACT_TEXT | SC_REDACT_CUT};
  struct sc_buf once = {0}, twice = {0};
  for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
    once.len = twice.len = 0;
    int count = sc_redact_url(z, n, modes[m], &once);
    sc_redact_url(once.data, once.len, modes[m], &twice);
    if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
      abort();
    if (count &&
        !memmem(once.data, once.len, SC_REDACT_MASK, sizeof SC_REDACT_MASK - 1))
      abort();
  }
  char *pw = strlen(z) == n ? curl_password(z) : NULL;
  if (pw) {
    once.len = 0;
    sc_redact_url(z, n, 0, &once);
    char *after = curl_password(once.data);
    if (!after || strcmp(after, SC_REDACT_MASK) != 0) abort();
    curl_free(after);
    curl_free(pw);
  }
  sc_buf_free(&once);
  sc_buf_free(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct sc_result r;
  struct sc_buf b = {0}, hdr = {0}, chain = {0};
  char *z = malloc(size + 1);
  memcpy(z, data, size);
  z[size] = '\0';
  memset(&r, 0, sizeof r);
  r.url = (const char *)data;
  r.url_len = size;
  r.a.status = size % 3 ? 0 : 200;
  r.a.cls = r.a.status ? SC_OK : (enum sc_class)(size % SC_CLASS_COUNT);
  r.a.content_length = size % 2 ? -1 : (int64_t)size;
  r.a.cert_days_left = size % 5 ? SC_NO_DAYS : -(int32_t)size;
  r.a.time_ms = size % 7 ? 1.5 : -2.25;
  r.a.dns_ms = r.a.connect_ms = r.a.tls_ms = r.a.ttfb_ms = -1;
  size_t d = size < sizeof r.a.detail ? size : sizeof r.a.detail - 1;
  memcpy(r.a.detail, data, d);
  r.a.detail[d] = '\0';
  d = size < sizeof r.a.server ? size : sizeof r.a.server - 1;
  memcpy(r.a.server, data, d);
  r.a.server[d] = '\0';
  memcpy(r.a.content_type, data + size - d, d);
  r.a.content_type[d] = '\0';
  r.final_url = z;
  sc_buf_adds(&chain, "302 ");
  sc_buf_adds(&chain, z);
  sc_buf_adds(&chain, "\n200 ");
  sc_buf_adds(&chain, z);
  r.chain = chain.data;
  r.input = r.tried_url = r.location = z;
  r.ok = (size & 1) != 0;

  sc_record_jsonl(&b, &r);
  if (!b.len || b.data[b.len - 1] != '\n' || b.data[0] != '{') abort();
  for (size_t i = 0; i + 1 < b.len; i++)
    if ((unsigned char)b.data[i] < 0x20) abort();
  if (!valid_utf8((const unsigned char *)b.data, b.len)) abort();
  if (has_hidden((const unsigned char *)b.data, b.len, 1)) abort();

  b.len = 0;
  sc_record_csv(&b, &r);
  if (!valid_utf8((const unsigned char *)b.data, b.len)) abort();
  if (has_hidden((const unsigned char *)b.data, b.len, 0)) abort();
  sc_csv_header(&hdr);
  check_csv(hdr.data, b.data, b.len);

  check_redact(z, size);

  b.len = 0;
  sc_term_text(&b, (const char *)data, size);
  for (size_t i = 0; i < b.len; i++)
    if ((unsigned char)b.data[i] < 0x20) abort();
  if (b.len && !valid_utf8((const unsigned char *)b.data, b.len)) abort();
  if (b.len && has_hidden((const unsigned char *)b.data, b.len, 1)) abort();
  sc_buf_free(&b);
  sc_buf_free(&hdr);
  sc_buf_free(&chain);
  free(z);
  return 0;
}
