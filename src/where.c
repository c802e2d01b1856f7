/* where.c - see where.h. */
#include "where.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static void words(sc_where_fn *fn, void *arg, const char *s) {
  fn(arg, SC_WHERE_WORDS, s, strlen(s));
}

/* Emits place i of refs (i >= 1: the first is the source) as a page's
 * URL or a local document's FILE:LINE; returns 0 when the run knows
 * fewer places. */
static int say_ref(const struct sc_refs *refs, unsigned i, sc_where_fn *fn,
                   void *arg) {
  const char *where;
  uint64_t line;
  int is_file;
  if (!sc_refs_get(refs, i, &where, &line, &is_file)) return 0;
  words(fn, arg, ", ");
  if (!is_file) {
    fn(arg, SC_WHERE_PLACE, where, strlen(where));
    return 1;
  }
  struct sc_buf b = {0};
  sc_buf_printf(&b, "%s:%llu", where, (unsigned long long)line);
  fn(arg, SC_WHERE_PLACE, b.data, b.len);
  sc_buf_free(&b);
  return 1;
}

void sc_where_say(const struct sc_where *w, unsigned max, sc_where_fn *fn,
                  void *arg) {
  char num[32];
  if (!w->linked) {
    if (!w->input || strcmp(w->input, "-") == 0)
      words(fn, arg, "stdin");
    else
      fn(arg, SC_WHERE_INPUT, w->input, strlen(w->input));
    snprintf(num, sizeof num, ":%llu", (unsigned long long)w->line);
    words(fn, arg, num);
    return;
  }
  uint64_t named = 0;
  if (w->source) {
    words(fn, arg, "on ");
    fn(arg, SC_WHERE_PLACE, w->source, strlen(w->source));
    named = 1;
    while (named < max && w->refs && say_ref(w->refs, (unsigned)named, fn, arg))
      named++;
  } else {
    words(fn, arg, "(argument)");
  }
  if (w->places > named) {
    snprintf(num, sizeof num, " and %llu more",
             (unsigned long long)(w->places - named));
    words(fn, arg, num);
  }
}
