/* fuzz_markdown.c - libFuzzer target: the Markdown link extractor (and
 * through it the HTML extractor, for raw HTML). Feeds arbitrary bytes as
 * a document and checks: every link and anchor has a line within the
 * document, an "ok" link is an absolute http(s) URL without fragment or
 * whitespace, and a stop request is honoured. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract_md.h"
#include "util.h"

struct run {
  uint64_t lines;
  long n, stop_at;
  int stopped;
};

static int on_link(const struct sc_doc_link *l, void *arg) {
  struct run *r = arg;
  if (r->stopped || !l->url || !l->element || !l->attr) abort();
  if (l->line < 1 || l->line > r->lines) abort();
  if (l->fragment && !l->fragment[0]) abort();
  if (l->skip == SC_LINK_OK) {
    if (strncmp(l->url, "http://", 7) != 0 &&
        strncmp(l->url, "https://", 8) != 0)
      abort();
    for (const unsigned char *p = (const unsigned char *)l->url; *p; p++)
      if (*p <= 0x20 || *p == '#') abort();
  }
  if (r->stop_at && ++r->n >= r->stop_at) r->stopped = 1;
  return r->stopped;
}

static int on_anchor(const char *id, uint64_t line, void *arg) {
  struct run *r = arg;
  if (r->stopped || !id[0] || line < 1 || line > r->lines) abort();
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  sc_extract_global_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct run r = {0};
  r.lines = 1;
  for (size_t i = 0; i < size; i++)
    if (data[i] == '\n' ||
        (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n')))
      r.lines++;
  r.stop_at = size && data[0] == '!' ? 2 : 0;
  struct sc_md *m = sc_md_new("https://example.com/docs/README.md", 1 << 20,
                              on_link, on_anchor, &r);
  int rc = sc_md_feed(m, data, size);
  int rf = sc_md_finish(m);
  if (rc != 0 && rc != SC_EXTRACT_LIMIT) abort();
  if (rf != 0 && rf != SC_EXTRACT_STOPPED && rf != SC_EXTRACT_LIMIT) abort();
  if ((rf == SC_EXTRACT_STOPPED) != r.stopped) abort();
  sc_md_free(m);
  return 0;
}
