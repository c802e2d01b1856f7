/* fuzz_sitemap.c - libFuzzer target: the sitemap extractor (XML or gzip)
 * and the input kind sniffer. The first byte picks a chunk size; the rest
 * is a sitemap, fed once whole and once in chunks. Checks: both runs
 * report the same locs, both succeed or both fail (which error comes
 * first may differ: the XML push parser waits for more bytes before it
 * calls some input wrong, so gzip corruption can be found first), the
 * limits hold (at most max_urls locs), an "ok" loc is an absolute http(s)
 * URL, a failure has a message, and the sniffer and the UTF-16 converter
 * take any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract_sitemap.h"
#include "input_kind.h"
#include "util.h"

#define MAX_URLS 200
#define MAX_BYTES (1 << 20)

struct run {
  struct sc_buf out;
  long n;
};

static int on_link(const struct sc_doc_link *l, void *arg) {
  struct run *r = arg;
  if (!l->url || l->line < 1 || strcmp(l->attr, "loc") != 0) abort();
  if (l->skip == SC_LINK_OK && strncmp(l->url, "http://", 7) != 0 &&
      strncmp(l->url, "https://", 8) != 0)
    abort();
  if (++r->n > MAX_URLS) abort();
  sc_buf_printf(&r->out, "%llu %s %d %u %s#%s\n", (unsigned long long)l->line,
                l->element, l->skip, l->flags, l->url,
                l->fragment ? l->fragment : "-");
  return 0;
}

static int run(struct run *r, const uint8_t *data, size_t size, size_t chunk) {
  struct sc_sitemap *s = sc_sitemap_new("https://example.com/sitemap.xml",
                                        MAX_BYTES, MAX_URLS, on_link, r);
  int rc = 0;
  for (size_t i = 0; i < size && rc == 0; i += chunk)
    rc = sc_sitemap_feed(s, data + i, size - i < chunk ? size - i : chunk);
  if (rc == 0) rc = sc_sitemap_finish(s);
  if (rc != 0 && !sc_sitemap_error(s)[0]) abort();
  if (rc == 0 && sc_sitemap_error(s)[0]) abort();
  sc_sitemap_free(s);
  return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  sc_extract_global_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = (size_t)(data[0] & 0x7f) + 1;
  data++, size--;

  enum sc_input_kind k = sc_input_kind("x.xml", data, size);
  if (k > SC_INPUT_SITEMAP) abort();
  struct sc_utf16 *c = sc_utf16_new(SC_UTF16_LE);
  struct sc_buf u8 = {0};
  sc_utf16_convert(c, data, size, &u8);
  sc_utf16_finish(c, &u8);
  sc_utf16_free(c);
  sc_buf_free(&u8);

  struct run whole = {0}, parts = {0};
  int rw = run(&whole, data, size, size ? size : 1);
  int rp = run(&parts, data, size, chunk);
  const char *a = whole.out.data ? whole.out.data : "";
  const char *b = parts.out.data ? parts.out.data : "";
  if ((rw == 0) != (rp == 0) || strcmp(a, b) != 0) abort();
  sc_buf_free(&whole.out);
  sc_buf_free(&parts.out);
  return 0;
}
