/* record.c - see record.h. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const class_names[SC_CLASS_COUNT] = {
    "connect",  "dns",     "invalid_url", "other",
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
  if (c >= 0xC2 && c <= 0xDF)
    len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4, min = 0x10000;
  else
    return 0;
  if (len > n) return 0;
  unsigned cp = c & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

size_t sc_utf8_len(const unsigned char *s, size_t n) {
  return utf8_len(s, n);
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
        case '\n':
          sc_buf_adds(b, "\\n");
          break;
        case '\r':
          sc_buf_adds(b, "\\r");
          break;
        case '\t':
          sc_buf_adds(b, "\\t");
          break;
        default:
          sc_buf_printf(b, "\\u%04x", c);
          break;
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

/* The record's fields, in order. Each renders to null, a raw JSON value
 * (numbers, the chain array) or a string; JSON Lines and CSV both walk
 * this one table, so the two formats cannot drift apart. */
enum { V_NULL, V_RAW, V_STR };

static const char *const field_names[] = {
    "url",          "line",           "status",      "error",
    "detail",       "time_ms",        "final_url",   "redirects",
    "ip",           "attempts",       "method",      "http_version",
    "content_type", "content_length", "server",      "chain",
    "cert_expiry",  "cert_days_left", "dns_ms",      "connect_ms",
    "tls_ms",       "ttfb_ms",        "duplicate_of"};
#define NFIELDS (sizeof field_names / sizeof field_names[0])

/* Appends the chain text ("STATUS URL\n" per response) as a JSON array. */
static void chain_json(struct sc_buf *b, const char *chain) {
  const char *sep = "";
  sc_buf_addc(b, '[');
  while (*chain) {
    const char *nl = strchr(chain, '\n');
    const char *sp = strchr(chain, ' ');
    if (!nl) nl = chain + strlen(chain);
    if (!sp || sp > nl) break;
    sc_buf_printf(b, "%s{\"url\":", sep);
    sc_json_str(b, sp + 1, (size_t)(nl - sp - 1));
    sc_buf_printf(b, ",\"status\":%d}", atoi(chain));
    sep = ",";
    chain = *nl ? nl + 1 : nl;
  }
  sc_buf_addc(b, ']');
}

/* Renders field i of r: returns its kind and points *p and *n at it,
 * using tmp (cleared first) for what must be formatted. */
static int field(const struct sc_result *r, size_t i, struct sc_buf *tmp,
                 const char **p, size_t *n) {
  const struct sc_answer *a = &r->a;
  const char *str = NULL;
  int kind = V_RAW;
  tmp->len = 0;
  switch (i) {
    case 0:
      *p = r->url, *n = r->url_len;
      return V_STR;
    case 1:
      sc_buf_printf(tmp, "%llu", (unsigned long long)r->line);
      break;
    case 2:
      if (!a->status) return V_NULL;
      sc_buf_printf(tmp, "%d", (int)a->status);
      break;
    case 3:
      str = sc_class_name((enum sc_class)a->cls), kind = V_STR;
      break;
    case 4:
      str = a->detail, kind = V_STR;
      break;
    case 5:
      sc_buf_printf(tmp, "%.1f", a->time_ms);
      break;
    case 6:
      str = r->final_url, kind = V_STR;
      break;
    case 7:
      sc_buf_printf(tmp, "%lld", (long long)a->redirects);
      break;
    case 8:
      str = a->ip, kind = V_STR;
      break;
    case 9:
      sc_buf_printf(tmp, "%d", (int)a->attempts);
      break;
    case 10:
      str = a->method, kind = V_STR;
      break;
    case 11:
      str = a->http_version, kind = V_STR;
      break;
    case 12:
      str = a->content_type, kind = V_STR;
      break;
    case 13:
      if (a->content_length < 0) return V_NULL;
      sc_buf_printf(tmp, "%lld", (long long)a->content_length);
      break;
    case 14:
      str = a->server, kind = V_STR;
      break;
    case 15:
      if (!r->chain) return V_NULL;
      chain_json(tmp, r->chain);
      break;
    case 16: {
      if (!a->cert_expiry) return V_NULL;
      time_t t = (time_t)a->cert_expiry;
      struct tm tm;
      char iso[32];
      gmtime_r(&t, &tm);
      strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
      sc_buf_adds(tmp, iso);
      *p = tmp->data, *n = tmp->len;
      return V_STR;
    }
    case 17:
      if (a->cert_days_left == SC_NO_DAYS) return V_NULL;
      sc_buf_printf(tmp, "%d", (int)a->cert_days_left);
      break;
    case 22:
      if (!r->duplicate_of) return V_NULL;
      sc_buf_printf(tmp, "%llu", (unsigned long long)r->duplicate_of);
      break;
    default: {
      double v = i == 18   ? a->dns_ms
                 : i == 19 ? a->connect_ms
                 : i == 20 ? a->tls_ms
                           : a->ttfb_ms;
      if (v < 0) return V_NULL;
      sc_buf_printf(tmp, "%.1f", v);
    }
  }
  if (kind == V_STR) {
    if (!str || !*str) return V_NULL;
    *p = str, *n = strlen(str);
    return V_STR;
  }
  *p = tmp->data, *n = tmp->len;
  return V_RAW;
}

void sc_record_jsonl(struct sc_buf *b, const struct sc_result *r) {
  struct sc_buf tmp = {0};
  for (size_t i = 0; i < NFIELDS; i++) {
    const char *p;
    size_t n;
    int k = field(r, i, &tmp, &p, &n);
    sc_buf_printf(b, "%c\"%s\":", i ? ',' : '{', field_names[i]);
    if (k == V_NULL)
      sc_buf_adds(b, "null");
    else if (k == V_RAW)
      sc_buf_add(b, p, n);
    else
      sc_json_str(b, p, n);
  }
  sc_buf_adds(b, "}\n");
  sc_buf_free(&tmp);
}

void sc_csv_header(struct sc_buf *b) {
  for (size_t i = 0; i < NFIELDS; i++)
    sc_buf_printf(b, "%s%s", i ? "," : "", field_names[i]);
  sc_buf_addc(b, '\n');
}

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

void sc_record_csv(struct sc_buf *b, const struct sc_result *r) {
  struct sc_buf tmp = {0};
  for (size_t i = 0; i < NFIELDS; i++) {
    const char *p;
    size_t n;
    if (i) sc_buf_addc(b, ',');
    if (field(r, i, &tmp, &p, &n) != V_NULL) csv_field(b, p, n);
  }
  sc_buf_addc(b, '\n');
  sc_buf_free(&tmp);
}

void sc_tally_add(struct sc_tally *t, const struct sc_result *r) {
  if (r->a.cls == SC_OK && r->a.status >= 0 && r->a.status < 1000)
    t->status[r->a.status]++;
  else if (r->a.cls >= 0 && r->a.cls < SC_CLASS_COUNT)
    t->cls[r->a.cls]++;
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
  if (r->a.cls == SC_OK)
    return r->a.status >= 0 && r->a.status < 1000 && f->codes[r->a.status];
  return (f->classes >> r->a.cls) & 1u;
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
