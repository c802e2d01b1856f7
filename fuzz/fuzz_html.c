/* fuzz_html.c - libFuzzer target: the HTML link extractor.
 * The first byte picks a chunk size and whether to stop early; the rest is
 * a page, fed in chunks of that size. Checks the extractor's promises:
 * every link with a line >= 1 and lines never decreasing, an "ok" link an
 * absolute http(s) URL without fragment, whitespace or control bytes, a
 * fragment never empty, and no callback after one asked to stop.
 * Whether the links are the same whatever the chunking is not checked
 * here: libxml2 2.9's push parser decides some malformed markup (a stray
 * quote in a tag) on the bytes it has, and that is beyond this module;
 * tests/unit/test_extract.c checks it on real-page constructs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract_html.h"
#include "util.h"

struct run {
  struct sc_buf out;
  uint64_t last_line;
  long n, stop_at;
  int stopped;
};

static void check_link(const struct sc_doc_link *l) {
  if (!l->url || !l->element || !l->attr || l->line < 1) abort();
  if (l->skip >= SC_LINK_SKIP_COUNT) abort();
  if (l->fragment && !l->fragment[0]) abort();
  if (l->skip == SC_LINK_OK) {
    if (strncmp(l->url, "http://", 7) != 0 &&
        strncmp(l->url, "https://", 8) != 0)
      abort();
    for (const unsigned char *p = (const unsigned char *)l->url; *p; p++)
      if (*p <= 0x20 || *p == '#' || *p == 0x7f) abort();
  }
}

static int on_link(const struct sc_doc_link *l, void *arg) {
  struct run *r = arg;
  if (r->stopped) abort();
  check_link(l);
  if (l->line < r->last_line) abort();
  r->last_line = l->line;
  sc_buf_printf(&r->out, "L %llu %s %s %d %s#%s|%s\n",
                (unsigned long long)l->line, l->element, l->attr, l->skip,
                l->url, l->fragment ? l->fragment : "-", l->rel ? l->rel : "-");
  if (r->stop_at && ++r->n >= r->stop_at) r->stopped = 1;
  return r->stopped;
}

static int on_anchor(const char *id, uint64_t line, void *arg) {
  struct run *r = arg;
  if (r->stopped || !id[0] || line < 1) abort();
  sc_buf_printf(&r->out, "A %llu %s\n", (unsigned long long)line, id);
  return 0;
}

static void run(struct run *r, const uint8_t *data, size_t size, size_t chunk) {
  struct sc_html *h = sc_html_new("https://example.com/a/b.html?q", NULL,
                                  on_link, on_anchor, r);
  int rc = 0;
  for (size_t i = 0; i < size && rc == 0; i += chunk)
    rc = sc_html_feed(h, data + i, size - i < chunk ? size - i : chunk);
  if (rc == 0) rc = sc_html_finish(h);
  if ((rc == SC_EXTRACT_STOPPED) != r->stopped ||
      (rc && rc != SC_EXTRACT_STOPPED))
    abort();
  sc_html_free(h);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  sc_extract_global_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = (size_t)(data[0] & 0x3f) + 1;
  struct run r = {0};
  r.stop_at = data[0] & 0x40 ? 3 : 0;
  if (data[0] & 0x80) chunk = size;
  run(&r, data + 1, size - 1, chunk);
  sc_buf_free(&r.out);
  return 0;
}
