/* faillist.c - see faillist.h. */
#include "faillist.h"

#include <stdlib.h>
#include <string.h>

#include "firstn.h"
#include "reader.h"
#include "record.h"
#include "redact.h"
#include "term.h"
#include "where.h"

/* The narrowest label of a streamed line: a status code. */
#define LABEL_MIN 3

struct sc_faillist {
  const struct sc_opts *o;
  int color;
  uint64_t ok;
  struct sc_tally bad; /* the results that are not OK, by status or class */
  struct sc_firstn keep;
};

/* One kept line: its label, where it was found (said at the summary, when
 * a link's places are counted) and the rest of the line, already safe. */
struct kept {
  int32_t status, cls;
  struct sc_where where; /* its strings point into text */
  size_t url_end;        /* text's length up to the end of the URL */
  char text[];           /* "URL" "  REASON" NUL, then where's source and
                            input, each NUL-terminated */
};

/* RFC 9110's reason phrases (with 429, 431, 451 and 511 from RFC 6585
 * and 7725). */
static const struct {
  int status;
  const char *text;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {511, "Network Authentication Required"},
};

/* The reason phrase of status, or NULL. */
static const char *reason_phrase(int status) {
  for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
    if (reasons[i].status == status) return reasons[i].text;
  return NULL;
}

/* Appends text that may hold a password and anything a terminal acts on:
 * masked (flags: SC_REDACT_*), then escaped. */
static void add_safe(struct sc_buf *b, const char *s, size_t n,
                     unsigned flags) {
  struct sc_buf m = {0};
  sc_redact_url(s, n, flags, &m);
  sc_term_text(b, m.data ? m.data : "", m.len);
  sc_buf_free(&m);
}

/* Takes a piece of the where phrase (where.h) for the terminal: a place
 * is masked and escaped, a list's name escaped. */
static void where_piece(void *arg, enum sc_where_piece piece, const char *s,
                        size_t n) {
  struct sc_buf *b = arg;
  if (piece == SC_WHERE_PLACE)
    add_safe(b, s, n, 0);
  else if (piece == SC_WHERE_INPUT)
    sc_term_text(b, s, n);
  else
    sc_buf_add(b, s, n);
}

/* Appends where w was found: the first place only, and how many more. */
static void add_where(struct sc_buf *b, const struct sc_where *w) {
  sc_where_say(w, 1, where_piece, b);
}

/* Where r was found, as it is known now (its strings are r's). */
static struct sc_where where_of(const struct sc_result *r) {
  return (struct sc_where){.linked = r->linked,
                           .input = r->input,
                           .line = r->line,
                           .source = r->source,
                           .refs = r->refs};
}

/* Appends the URL of r as read. */
static void add_url(struct sc_buf *b, const struct sc_result *r) {
  /* The reader cuts a line at SC_LINE_MAX: it may end inside a password. */
  add_safe(b, r->url ? r->url : "", r->url_len,
           r->url_len >= SC_LINE_MAX ? SC_REDACT_CUT : 0);
}

/* Appends the reason on r's line, with the two spaces before it: its
 * detail, else the status's reason phrase, and where a redirect that was
 * not followed pointed. */
static void add_reason(struct sc_buf *b, const struct sc_result *r) {
  const char *why = r->a.detail[0] ? r->a.detail : NULL;
  if (why) {
    sc_buf_adds(b, "  ");
    add_safe(b, why, strlen(why), SC_REDACT_TEXT | SC_REDACT_CUT);
  } else if (r->a.cls == SC_OK && reason_phrase(r->a.status)) {
    sc_buf_printf(b, "  %s", reason_phrase(r->a.status));
  }
  if (r->location && *r->location) {
    sc_buf_adds(b, why || reason_phrase(r->a.status) ? ", to " : "  to ");
    add_safe(b, r->location, strlen(r->location), SC_REDACT_CUT);
  }
}

/* Writes the label of a status or a class into label[32] (ASCII);
 * returns its length and whether it names a class. */
static size_t label_of(char *label, int32_t status, int32_t cls,
                       int *is_class) {
  const char *name = sc_class_name((enum sc_class)cls);
  *is_class = name != NULL;
  if (name) {
    sc_strcpy_cut(label, 32, name);
    return strlen(label);
  }
  int n = snprintf(label, 32, "%d", (int)status);
  return n > 0 ? (size_t)n : 0;
}

/* Appends the label of a status or class, coloured if color as its kind
 * is (green OK, yellow a status below 500 that is not, red the rest),
 * then spaces up to width and two more. */
static void add_label(struct sc_buf *b, int32_t status, int32_t cls, int ok,
                      int color, size_t width) {
  char label[32];
  int is_class;
  size_t n = label_of(label, status, cls, &is_class);
  if (color)
    sc_buf_adds(b, ok                          ? SC_TERM_GREEN
                   : !is_class && status < 500 ? SC_TERM_YELLOW
                                               : SC_TERM_RED);
  sc_buf_adds(b, label);
  if (color) sc_buf_adds(b, SC_TERM_RESET);
  sc_buf_printf(b, "%*s", (int)(n < width ? width - n + 2 : 2), "");
}

struct sc_faillist *sc_faillist_new(const struct sc_opts *o, int color) {
  struct sc_faillist *f = sc_xcalloc(1, sizeof *f);
  f->o = o;
  f->color = color;
  sc_firstn_init(&f->keep, (size_t)o->show_max);
  return f;
}

void sc_faillist_add(struct sc_faillist *f, const struct sc_result *r) {
  if (r->ok) {
    f->ok++;
    return;
  }
  sc_tally_add(&f->bad, r);
  if (!sc_firstn_fits(&f->keep, r->input_no, r->line)) {
    sc_firstn_pass(&f->keep);
    return;
  }
  struct sc_buf text = {0};
  add_url(&text, r);
  size_t url_end = text.len;
  add_reason(&text, r);
  size_t reason_end = text.len;
  const char *src = r->linked ? r->source : NULL;
  const char *input = r->linked ? NULL : r->input;
  size_t src_len = src ? strlen(src) : 0, input_len = input ? strlen(input) : 0;
  struct kept *k = sc_xmalloc(sizeof *k + reason_end + src_len + input_len + 3);
  char *p = k->text;
  if (reason_end) memcpy(p, text.data, reason_end);
  p[reason_end] = '\0';
  p += reason_end + 1;
  k->where = where_of(r);
  k->where.source = k->where.input = NULL; /* r's: copied below */
  if (src) {
    memcpy(p, src, src_len + 1);
    k->where.source = p;
    p += src_len + 1;
  }
  if (input) {
    memcpy(p, input, input_len + 1);
    k->where.input = p;
  }
  k->status = r->a.status;
  k->cls = r->a.cls;
  k->url_end = url_end;
  sc_buf_free(&text);
  free(sc_firstn_add(&f->keep, r->input_no, r->line, k));
}

void sc_faillist_line(struct sc_buf *b, const struct sc_result *r, int color) {
  struct sc_where w = where_of(r);
  add_label(b, r->a.status, r->a.cls, r->ok, color, LABEL_MIN);
  add_url(b, r);
  sc_buf_adds(b, "  ");
  add_where(b, &w); /* places not yet counted: no "and N more" */
  add_reason(b, r);
  sc_buf_addc(b, '\n');
}

/* Appends "... and M more" with where all of them are. */
static void add_more(struct sc_buf *b, const struct sc_opts *o, uint64_t more) {
  sc_buf_printf(b, "\xE2\x80\xA6 and %llu more", (unsigned long long)more);
  if (!o->output) {
    sc_buf_adds(b, ": use -o FILE to keep them all\n");
  } else if (strcmp(o->output, "-") == 0) {
    sc_buf_adds(b, ": all of them are in the records on stdout\n");
  } else {
    sc_buf_adds(b, ": all of them are in ");
    sc_term_text(b, o->output, strlen(o->output));
    sc_buf_addc(b, '\n');
  }
}

void sc_faillist_summary(struct sc_faillist *f, struct sc_buf *b, int counts,
                         int list) {
  uint64_t bad = f->bad.total;
  if (counts) {
    sc_buf_printf(b, "%llu OK, %llu not OK", (unsigned long long)f->ok,
                  (unsigned long long)bad);
    if (bad) {
      sc_buf_adds(b, " (");
      /* The same keys and order as the tally; "{...}" becomes "(...)". */
      struct sc_buf t = {0};
      sc_tally_json(&t, &f->bad);
      for (size_t i = 1; i + 1 < t.len; i++)
        if (t.data[i] != '"') sc_buf_addc(b, t.data[i]);
      sc_buf_free(&t);
      sc_buf_addc(b, ')');
    }
    sc_buf_addc(b, '\n');
  }
  if (!list) return;
  size_t n;
  const struct sc_firstn_item *it = sc_firstn_sorted(&f->keep, &n);
  size_t width = 0;
  for (size_t i = 0; i < n; i++) {
    const struct kept *k = it[i].data;
    char label[32];
    int is_class;
    size_t w = label_of(label, k->status, k->cls, &is_class);
    if (w > width) width = w;
  }
  for (size_t i = 0; i < n; i++) {
    const struct kept *k = it[i].data;
    add_label(b, k->status, k->cls, 0, f->color, width);
    /* A link's places are counted by now (the engines have returned). */
    struct sc_where w = k->where;
    w.places = sc_refs_count(w.refs);
    sc_buf_add(b, k->text, k->url_end);
    sc_buf_adds(b, "  ");
    add_where(b, &w);
    sc_buf_adds(b, k->text + k->url_end);
    sc_buf_addc(b, '\n');
  }
  uint64_t more = sc_firstn_dropped(&f->keep);
  if (more) add_more(b, f->o, more);
}

void sc_faillist_free(struct sc_faillist *f) {
  if (!f) return;
  for (size_t i = 0; i < f->keep.n; i++) free(f->keep.heap[i].data);
  sc_firstn_free(&f->keep);
  free(f);
}
