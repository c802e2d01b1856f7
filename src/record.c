/* record.c - see record.h. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[SC_CLASS_COUNT] = {
    "connect", "dns",      "invalid_url", "other",
    "protocol", "timeout", "tls",         "too_many_redirects"};

const char *sc_class_name(enum sc_class c) {
  if (c < 0 || c >= SC_CLASS_COUNT) return NULL;
  return class_names[c];
}

enum sc_class sc_class_from_name(const char *name) {
  for (int i = 0; i < SC_CLASS_COUNT; i++)
    if (strcmp(name, class_names[i]) == 0) return (enum sc_class)i;
  return SC_OK;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned cp = c & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void sc_json_str(struct sc_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  sc_buf_reserve(b, n + 2);
  sc_buf_addc(b, '"');
  size_t i = 0;
  while (i < n) {
    /* Copy the longest run that needs no escaping in one go. */
    size_t j = i;
    while (j < n && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\')
      j++;
    if (j > i) {
      sc_buf_add(b, s + i, j - i);
      i = j;
      continue;
    }
    unsigned c = s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      sc_buf_add(b, esc, 2);
      i++;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': sc_buf_adds(b, "\\n"); break;
        case '\r': sc_buf_adds(b, "\\r"); break;
        case '\t': sc_buf_adds(b, "\\t"); break;
        default: sc_buf_printf(b, "\\u%04x", c); break;
      }
      i++;
    } else {
      size_t l = utf8_len(s + i, n - i);
      if (l) {
        sc_buf_add(b, s + i, l);
        i += l;
      } else {
        sc_buf_adds(b, "\\ufffd");
        i++;
      }
    }
  }
  sc_buf_addc(b, '"');
}

static void json_opt_str(struct sc_buf *b, const char *s) {
  if (s && *s) sc_json_str(b, s, strlen(s));
  else sc_buf_adds(b, "null");
}

void sc_record_jsonl(struct sc_buf *b, const struct sc_result *r) {
  sc_buf_adds(b, "{\"url\":");
  sc_json_str(b, r->url, r->url_len);
  sc_buf_printf(b, ",\"line\":%llu,\"status\":", (unsigned long long)r->line);
  if (r->status) sc_buf_printf(b, "%d", r->status);
  else sc_buf_adds(b, "null");
  sc_buf_adds(b, ",\"error\":");
  json_opt_str(b, sc_class_name(r->cls));
  sc_buf_adds(b, ",\"detail\":");
  json_opt_str(b, r->detail);
  sc_buf_printf(b, ",\"time_ms\":%.1f,\"final_url\":", r->time_ms);
  json_opt_str(b, r->final_url);
  sc_buf_printf(b, ",\"redirects\":%ld,\"ip\":", r->redirects);
  json_opt_str(b, r->ip);
  sc_buf_adds(b, "}\n");
}

const char sc_csv_header[] =
    "url,line,status,error,detail,time_ms,final_url,redirects,ip\n";

/* Appends one CSV field (RFC 4180): quoted when it holds a comma, quote,
 * CR or LF; invalid UTF-8 and NUL bytes become U+FFFD. */
static void csv_field(struct sc_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  int quote = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') quote = 1;
  if (quote) sc_buf_addc(b, '"');
  for (size_t i = 0; i < n;) {
    size_t l = s[i] ? utf8_len(s + i, n - i) : 0;
    if (!l) {
      sc_buf_adds(b, "\xEF\xBF\xBD");
      i++;
    } else {
      if (s[i] == '"') sc_buf_addc(b, '"');
      sc_buf_add(b, s + i, l);
      i += l;
    }
  }
  if (quote) sc_buf_addc(b, '"');
}

static void csv_opt(struct sc_buf *b, const char *s) {
  if (s) csv_field(b, s, strlen(s));
}

void sc_record_csv(struct sc_buf *b, const struct sc_result *r) {
  csv_field(b, r->url, r->url_len);
  sc_buf_printf(b, ",%llu,", (unsigned long long)r->line);
  if (r->status) sc_buf_printf(b, "%d", r->status);
  sc_buf_addc(b, ',');
  csv_opt(b, sc_class_name(r->cls));
  sc_buf_addc(b, ',');
  csv_opt(b, r->detail);
  sc_buf_printf(b, ",%.1f,", r->time_ms);
  csv_opt(b, r->final_url);
  sc_buf_printf(b, ",%ld,", r->redirects);
  csv_opt(b, r->ip);
  sc_buf_addc(b, '\n');
}

void sc_tally_add(struct sc_tally *t, const struct sc_result *r) {
  if (r->cls == SC_OK && r->status >= 0 && r->status < 1000)
    t->status[r->status]++;
  else if (r->cls >= 0 && r->cls < SC_CLASS_COUNT)
    t->cls[r->cls]++;
  else
    t->cls[SC_OTHER]++;
  t->total++;
}

void sc_tally_json(struct sc_buf *b, const struct sc_tally *t) {
  const char *sep = "";
  sc_buf_addc(b, '{');
  for (int code = 0; code < 1000; code++) {
    if (!t->status[code]) continue;
    sc_buf_printf(b, "%s\"%d\": %llu", sep, code,
                  (unsigned long long)t->status[code]);
    sep = ", ";
  }
  for (int c = 0; c < SC_CLASS_COUNT; c++) {
    if (!t->cls[c]) continue;
    sc_buf_printf(b, "%s\"%s\": %llu", sep, class_names[c],
                  (unsigned long long)t->cls[c]);
    sep = ", ";
  }
  sc_buf_addc(b, '}');
}

int sc_failon_match(const struct sc_failon *f, const struct sc_result *r) {
  if (r->cls == SC_OK)
    return r->status >= 0 && r->status < 1000 && f->codes[r->status];
  return (f->classes >> r->cls) & 1u;
}

/* Applies one item; returns 0 or -1. */
static int failon_item(struct sc_failon *f, const char *it, size_t n) {
  char tmp[32];
  if (n == 0 || n >= sizeof tmp) return -1;
  memcpy(tmp, it, n);
  tmp[n] = '\0';
  if (n == 3 && tmp[0] >= '1' && tmp[0] <= '9' &&
      (tmp[1] == 'x' || tmp[1] == 'X') && (tmp[2] == 'x' || tmp[2] == 'X')) {
    int base = (tmp[0] - '0') * 100;
    memset(f->codes + base, 1, 100);
    return 0;
  }
  if (n == 3 && tmp[0] >= '1' && tmp[0] <= '9' && tmp[1] >= '0' &&
      tmp[1] <= '9' && tmp[2] >= '0' && tmp[2] <= '9') {
    f->codes[atoi(tmp)] = 1;
    return 0;
  }
  if (strcmp(tmp, "error") == 0) {
    f->classes = (1u << SC_CLASS_COUNT) - 1;
    return 0;
  }
  enum sc_class c = sc_class_from_name(tmp);
  if (c == SC_OK) return -1;
  f->classes |= 1u << c;
  return 0;
}

int sc_failon_parse(struct sc_failon *f, const char *list, char **bad) {
  const char *p = list;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (failon_item(f, p, n) != 0) {
      *bad = sc_xstrndup(p, n);
      return -1;
    }
    f->any = 1;
    if (!comma) return 0;
    p = comma + 1;
  }
}
