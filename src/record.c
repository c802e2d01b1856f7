/* record.c - see record.h. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reader.h"
#include "redact.h"

static const char *const class_names[SC_CLASS_COUNT] = {
    "connect",  "dns",     "invalid_url", "missing_file",      "other",
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

/* Decodes the valid UTF-8 sequence at s (at most n bytes): returns its
 * length and stores its code point in *cp, or returns 0 if there is none
 * (a stray byte, an overlong form, a surrogate, beyond U+10FFFF). */
static size_t utf8_dec(const unsigned char *s, size_t n, unsigned *cp) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF)
    len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4, min = 0x10000;
  else
    return 0;
  if (len > n) return 0;
  unsigned v = c & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

/* Code points beyond ASCII that act on how text is shown rather than
 * being shown: the C1 controls (U+009B is CSI to terminals that take 8-bit
 * controls, U+0085 a line break to some readers) and the bidirectional
 * controls, which reorder what a reader sees ("Trojan Source"). A server
 * could use them to disguise a record, so no output writes them raw. */
static int hidden_cp(unsigned cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

size_t sc_utf8_shown_len(const unsigned char *s, size_t n) {
  unsigned cp;
  size_t len = utf8_dec(s, n, &cp);
  return len && !hidden_cp(cp) ? len : 0;
}

void sc_json_str(struct sc_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  sc_buf_reserve(b, n + 2);
  sc_buf_addc(b, '"');
  size_t i = 0;
  while (i < n) {
    /* Copy the longest run that needs no escaping in one go. */
    size_t j = i;
    while (j < n && s[j] >= 0x20 && s[j] < 0x7F && s[j] != '"' && s[j] != '\\')
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
    } else if (c < 0x20 || c == 0x7F) {
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
      unsigned cp;
      size_t l = utf8_dec(s + i, n - i, &cp);
      if (!l) {
        sc_buf_adds(b, "\\ufffd");
        i++;
      } else if (hidden_cp(cp) || cp == 0x2028 || cp == 0x2029) {
        /* U+2028/U+2029 are valid in JSON but end a line for readers
         * that split like Python's splitlines(). */
        sc_buf_printf(b, "\\u%04x", cp);
        i += l;
      } else {
        sc_buf_add(b, s + i, l);
        i += l;
      }
    }
  }
  sc_buf_addc(b, '"');
}

/* How a field is written. Numbers are bare in both formats; the other
 * kinds are JSON strings (or the chain's array) and CSV text fields. The
 * kinds up to K_DATE hold a number; those after it a string. */
enum kind {
  K_INT,   /* a signed integer */
  K_UINT,  /* an unsigned integer */
  K_MS,    /* milliseconds, one decimal */
  K_BOOL,  /* true or false (bare in CSV too) */
  K_DATE,  /* a Unix time, written as an ISO 8601 UTC string */
  K_STR,   /* text as received (from the server, libcurl or us) */
  K_LINE,  /* the input line (not NUL-safe, "" not null), read as one URL,
              password masked */
  K_URL,   /* a URL libcurl reported: password masked */
  K_MSG,   /* a message that may quote URLs: their passwords masked */
  K_CHAIN, /* "STATUS URL\n" lines: an array of {"url", "status"} */
};

/* The record's fields, in output order: X(name, kind, value, shown).
 * value is an expression of r (the result) and a (&r->a) of the kind's
 * type: a number, a C string, or for K_LINE a SPAN; shown is the
 * condition for it not to be null (the string kinds but K_LINE are null
 * when empty, too). JSON Lines, the CSV header and the CSV rows are all
 * made from this list: a new field is one row here. */
#define RECORD_FIELDS(X)                                                       \
  X(url, K_LINE, SPAN(r->url, r->url_len), 1)                                  \
  X(line, K_UINT, r->line, 1)                                                  \
  X(status, K_INT, a->status, a->status != 0)                                  \
  X(error, K_STR, sc_class_name((enum sc_class)a->cls), 1)                     \
  X(detail, K_MSG, a->detail, 1)                                               \
  X(time_ms, K_MS, a->time_ms, 1)                                              \
  X(final_url, K_URL, r->final_url, 1)                                         \
  X(redirects, K_INT, a->redirects, 1)                                         \
  X(ip, K_STR, a->ip, 1)                                                       \
  X(attempts, K_INT, a->attempts, 1)                                           \
  X(method, K_STR, a->method, 1)                                               \
  X(http_version, K_STR, a->http_version, 1)                                   \
  X(content_type, K_STR, a->content_type, 1)                                   \
  X(content_length, K_INT, a->content_length, a->content_length >= 0)          \
  X(server, K_STR, a->server, 1)                                               \
  X(chain, K_CHAIN, r->chain, 1)                                               \
  X(cert_expiry, K_DATE, a->cert_expiry, a->cert_expiry != 0)                  \
  X(cert_days_left, K_INT, a->cert_days_left, a->cert_days_left != SC_NO_DAYS) \
  X(dns_ms, K_MS, a->dns_ms, a->dns_ms >= 0)                                   \
  X(connect_ms, K_MS, a->connect_ms, a->connect_ms >= 0)                       \
  X(tls_ms, K_MS, a->tls_ms, a->tls_ms >= 0)                                   \
  X(ttfb_ms, K_MS, a->ttfb_ms, a->ttfb_ms >= 0)                                \
  X(duplicate_of, K_UINT, r->duplicate_of, r->duplicate_of != 0)               \
  X(input, K_STR, r->input, 1)                                                 \
  X(ok, K_BOOL, r->ok, 1)                                                      \
  X(tried_url, K_URL, r->tried_url, 1)                                         \
  X(location, K_URL, r->location, 1)                                           \
  X(source, K_MSG, r->source, 1)                                               \
  X(referrers, K_UINT, r->referrers, r->linked)                                \
  X(start_ms, K_MS, a->start_ms, a->start_ms >= 0)                             \
  X(worker, K_STR, a->worker, 1)

#define FIELD_ID(name, kind, value, shown) F_##name,
#define FIELD_NAME(name, kind, value, shown) #name,
#define FIELD_KIND(name, kind, value, shown) kind,
enum { RECORD_FIELDS(FIELD_ID) NFIELDS };
static const char *const field_names[NFIELDS] = {RECORD_FIELDS(FIELD_NAME)};
static const enum kind field_kinds[NFIELDS] = {RECORD_FIELDS(FIELD_KIND)};

/* One field's value; which member holds it depends on its kind. */
struct value {
  long long i;          /* K_INT, K_BOOL, K_DATE */
  unsigned long long u; /* K_UINT */
  double d;             /* K_MS */
  const char *s;        /* the string kinds, s[0..n) */
  size_t n;
};

struct span {
  const char *p;
  size_t n;
};
#define SPAN(p, n) ((struct span){(p), (n)})

static void set_str(struct value *v, const char *s) {
  v->s = s ? s : "";
  v->n = strlen(v->s);
}

#define SET_K_INT(v, x) ((v)->i = (long long)(x))
#define SET_K_UINT(v, x) ((v)->u = (unsigned long long)(x))
#define SET_K_MS(v, x) ((v)->d = (x))
#define SET_K_BOOL(v, x) ((v)->i = (x) != 0)
#define SET_K_DATE(v, x) ((v)->i = (long long)(x))
#define SET_K_STR(v, x) set_str(v, x)
#define SET_K_LINE(v, x) ((v)->s = (x).p ? (x).p : "", (v)->n = (x).n)
#define SET_K_URL(v, x) set_str(v, x)
#define SET_K_MSG(v, x) set_str(v, x)
#define SET_K_CHAIN(v, x) set_str(v, x)

/* Reads field i of r into *v; returns 0 when it is null. */
static int field_value(const struct sc_result *r, size_t i, struct value *v) {
  const struct sc_answer *a = &r->a;
  switch (i) {
#define FIELD_GET(name, kind, value, shown) \
  case F_##name:                            \
    if (!(shown)) return 0;                 \
    SET_##kind(v, value);                   \
    break;
    RECORD_FIELDS(FIELD_GET)
#undef FIELD_GET
  }
  enum kind k = field_kinds[i];
  return k <= K_DATE || k == K_LINE || v->n > 0; /* "" is null */
}

/* Scratch space for one record: the text of the field being written and
 * a chain entry's masked URL. */
struct scratch {
  struct sc_buf text, url;
};

/* Appends the chain text ("STATUS URL\n" per response) as a JSON array,
 * each URL's password masked (the last line may have been cut short). */
static void chain_json(struct sc_buf *b, const char *chain,
                       struct sc_buf *url) {
  const char *sep = "";
  sc_buf_addc(b, '[');
  while (*chain) {
    const char *nl = strchr(chain, '\n');
    const char *sp = strchr(chain, ' ');
    if (!nl) nl = chain + strlen(chain);
    if (!sp || sp > nl) break;
    url->len = 0;
    sc_redact_url(sp + 1, (size_t)(nl - sp - 1), SC_REDACT_CUT, url);
    sc_buf_printf(b, "%s{\"url\":", sep);
    sc_json_str(b, url->data, url->len);
    sc_buf_printf(b, ",\"status\":%d}", atoi(chain));
    sep = ",";
    chain = *nl ? nl + 1 : nl;
  }
  sc_buf_addc(b, ']');
}

/* Appends v if kind k is a number; returns 0 (writing nothing) if not. */
static int number(struct sc_buf *b, enum kind k, const struct value *v) {
  switch (k) {
    case K_INT:
      sc_buf_printf(b, "%lld", v->i);
      return 1;
    case K_UINT:
      sc_buf_printf(b, "%llu", v->u);
      return 1;
    case K_MS:
      sc_buf_printf(b, "%.1f", v->d);
      return 1;
    case K_BOOL:
      sc_buf_adds(b, v->i ? "true" : "false");
      return 1;
    default:
      return 0;
  }
}

/* Points *p, *n at the text of v, a value of string kind k other than
 * K_CHAIN: a date formatted, passwords masked where k calls for it (in
 * t->text), else v's own string. */
static void text_of(enum kind k, const struct value *v, struct scratch *t,
                    const char **p, size_t *n) {
  t->text.len = 0;
  if (k == K_DATE) {
    time_t when = (time_t)v->i;
    struct tm tm;
    char iso[32];
    gmtime_r(&when, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sc_buf_adds(&t->text, iso);
  } else if (k == K_LINE) {
    /* The reader cuts a line at SC_LINE_MAX: such a line may end inside
     * a password. */
    sc_redact_url(v->s, v->n, v->n >= SC_LINE_MAX ? SC_REDACT_CUT : 0,
                  &t->text);
  } else if (k == K_URL) {
    /* libcurl's URLs always have a path; one cut short (the process
     * model bounds what it sends) may end inside a password. */
    sc_redact_url(v->s, v->n, SC_REDACT_CUT, &t->text);
  } else if (k == K_MSG) {
    sc_redact_url(v->s, v->n, SC_REDACT_TEXT | SC_REDACT_CUT, &t->text);
  } else {
    *p = v->s, *n = v->n;
    return;
  }
  *p = t->text.data, *n = t->text.len;
}

static void json_value(struct sc_buf *b, enum kind k, const struct value *v,
                       struct scratch *t) {
  const char *p;
  size_t n;
  if (number(b, k, v)) return;
  if (k == K_CHAIN) {
    chain_json(b, v->s, &t->url);
    return;
  }
  text_of(k, v, t, &p, &n);
  sc_json_str(b, p, n);
}

void sc_record_jsonl(struct sc_buf *b, const struct sc_result *r) {
  struct scratch t = {{0}, {0}};
  for (size_t i = 0; i < NFIELDS; i++) {
    struct value v;
    sc_buf_printf(b, "%c\"%s\":", i ? ',' : '{', field_names[i]);
    if (field_value(r, i, &v))
      json_value(b, field_kinds[i], &v, &t);
    else
      sc_buf_adds(b, "null");
  }
  sc_buf_adds(b, "}\n");
  sc_buf_free(&t.text);
  sc_buf_free(&t.url);
}

void sc_csv_header(struct sc_buf *b) {
  for (size_t i = 0; i < NFIELDS; i++)
    sc_buf_printf(b, "%s%s", i ? "," : "", field_names[i]);
  sc_buf_addc(b, '\n');
}

/* Appends a text field to a CSV record, safe to open in a spreadsheet and
 * to print on a terminal:
 * - RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes
 *   doubled;
 * - the other C0 controls, DEL, the C1 and bidi controls (hidden_cp) and
 *   invalid UTF-8 become U+FFFD: a terminal would act on them (a server
 *   could send "\x1b]0;title\x07" or "\x1b[2J" as its Server header), and
 *   CSV, unlike JSON, has no escape to keep them readable;
 * - a field that starts with '=', '+', '-', '@' or CR is quoted with a
 *   single quote put first, as OWASP advises against CSV injection:
 *   spreadsheets take such a cell for a formula and run it (a tab would
 *   too, but tabs are replaced above). Numbers never come here, so a
 *   negative number stays a number. */
static void csv_text(struct sc_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  int formula = n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' ||
                          s[0] == '@' || s[0] == '\r');
  int quote = formula;
  for (size_t i = 0; i < n && !quote; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') quote = 1;
  if (quote) sc_buf_addc(b, '"');
  if (formula) sc_buf_addc(b, '\'');
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && s[j] >= 0x20 && s[j] < 0x7F && s[j] != '"') j++;
    if (j > i) {
      sc_buf_add(b, s + i, j - i);
      i = j;
      continue;
    }
    unsigned cp = s[i];
    size_t l = 1;
    if (cp == '"') {
      sc_buf_adds(b, "\"\"");
    } else if (cp == '\r' || cp == '\n') {
      sc_buf_addc(b, (char)cp);
    } else if (cp < 0x20 || cp == 0x7F) {
      sc_buf_adds(b, "\xEF\xBF\xBD");
    } else if (!(l = utf8_dec(s + i, n - i, &cp)) || hidden_cp(cp)) {
      sc_buf_adds(b, "\xEF\xBF\xBD");
      if (!l) l = 1;
    } else {
      sc_buf_add(b, s + i, l);
    }
    i += l;
  }
  if (quote) sc_buf_addc(b, '"');
}

static void csv_value(struct sc_buf *b, enum kind k, const struct value *v,
                      struct scratch *t) {
  const char *p;
  size_t n;
  if (number(b, k, v)) return;
  if (k == K_CHAIN) {
    t->text.len = 0;
    chain_json(&t->text, v->s, &t->url);
    p = t->text.data, n = t->text.len;
  } else {
    text_of(k, v, t, &p, &n);
  }
  csv_text(b, p, n);
}

void sc_record_csv(struct sc_buf *b, const struct sc_result *r) {
  struct scratch t = {{0}, {0}};
  for (size_t i = 0; i < NFIELDS; i++) {
    struct value v;
    if (i) sc_buf_addc(b, ',');
    if (field_value(r, i, &v)) csv_value(b, field_kinds[i], &v, &t);
  }
  sc_buf_addc(b, '\n');
  sc_buf_free(&t.text);
  sc_buf_free(&t.url);
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
  for (int code = 1; code < 1000; code++) {
    if (!t->status[code]) continue;
    sc_buf_printf(b, "%s\"%d\": %llu", sep, code,
                  (unsigned long long)t->status[code]);
    sep = ", ";
  }
  /* Status 0 without a failure is a local file found on disk: "ok", in
   * its alphabetical place among the classes. */
  int ok_done = !t->status[0];
  for (int c = 0; c <= SC_CLASS_COUNT; c++) {
    if (!ok_done && (c == SC_CLASS_COUNT || strcmp(class_names[c], "ok") > 0)) {
      sc_buf_printf(b, "%s\"ok\": %llu", sep, (unsigned long long)t->status[0]);
      sep = ", ";
      ok_done = 1;
    }
    if (c == SC_CLASS_COUNT || !t->cls[c]) continue;
    sc_buf_printf(b, "%s\"%s\": %llu", sep, class_names[c],
                  (unsigned long long)t->cls[c]);
    sep = ", ";
  }
  sc_buf_addc(b, '}');
}

int sc_result_ok(const unsigned char accept[1000], const struct sc_result *r) {
  return r->a.cls == SC_OK && r->a.status >= 0 && r->a.status < 1000 &&
         accept[r->a.status];
}

int sc_failon_match(const struct sc_failon *f, const struct sc_result *r) {
  if (f->not_ok && !r->ok) return 1;
  if (r->a.cls == SC_OK)
    return r->a.status >= 0 && r->a.status < 1000 && f->codes[r->a.status];
  return (int)((f->classes >> r->a.cls) & 1u);
}

/* A three-digit status code 100..999 at s, or -1. */
static int code_at(const char *s) {
  if (s[0] < '1' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] < '0' ||
      s[2] > '9')
    return -1;
  return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* Sets codes[] for item tmp (n bytes) if it names status codes: a code
 * (404), a class of codes (4xx) or a range (200-299). Returns 1 if it did,
 * 0 if tmp is no such item. */
static int codes_item(unsigned char *codes, const char *tmp, size_t n) {
  if (n == 3 && tmp[0] >= '1' && tmp[0] <= '9' &&
      (tmp[1] == 'x' || tmp[1] == 'X') && (tmp[2] == 'x' || tmp[2] == 'X')) {
    memset(codes + (tmp[0] - '0') * 100, 1, 100);
    return 1;
  }
  int lo = n == 3 || n == 7 ? code_at(tmp) : -1;
  int hi = n == 7 && tmp[3] == '-' ? code_at(tmp + 4) : n == 3 ? lo : -1;
  if (lo < 0 || hi < lo) return 0;
  memset(codes + lo, 1, (size_t)hi - (size_t)lo + 1);
  return 1;
}

/* Applies one item; returns 0 or -1. */
static int failon_item(struct sc_failon *f, const char *it, size_t n) {
  char tmp[32];
  if (n == 0 || n >= sizeof tmp) return -1;
  memcpy(tmp, it, n);
  tmp[n] = '\0';
  if (codes_item(f->codes, tmp, n)) return 0;
  if (strcmp(tmp, "error") == 0) {
    f->classes = (1u << SC_CLASS_COUNT) - 1;
    return 0;
  }
  if (strcmp(tmp, "not-ok") == 0) {
    f->not_ok = 1;
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

int sc_accept_parse(unsigned char accept[1000], const char *list, char **bad) {
  const char *p = list;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (!codes_item(accept, p, n)) {
      *bad = sc_xstrndup(p, n);
      return -1;
    }
    if (!comma) return 0;
    p = comma + 1;
  }
}
