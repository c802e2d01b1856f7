/* libfloor: the libraries a crawl cannot do without, loaded, initialised
 * and used once, as a yardstick of peak memory for bench/run's crawl.
 *
 * Not a tool and not a peer. Most of a small program's peak RSS is the
 * pages of the shared libraries it maps: their relocations, their
 * constructors, what their initialisation touches. This program links
 * only what a crawler built on the project's required libraries must
 * have: libcurl (with what Debian builds it against: OpenSSL, nghttp2,
 * LDAP and GnuTLS, ...), libxml2 (with ICU), libuv and c-ares. It
 * initialises each as sitecheck does, fetches one page with libcurl,
 * parses it with libxml2's HTML push parser as it arrives, and exits.
 * Its peak RSS is what any program on those libraries pays before any
 * work of its own.
 *
 *   libfloor URL    prints a tally of the one fetch: {"200": 1} */
#include <ares.h>
#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <uv.h>

static size_t feed(char *p, size_t size, size_t n, void *arg) {
  htmlParseChunk(arg, p, (int)(size * n), 0);
  return size * n;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: libfloor URL\n");
    return 2;
  }
  xmlInitParser();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
      ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
    return 2;
  ares_channel channel;
  uv_loop_t loop;
  if (ares_init(&channel) != ARES_SUCCESS || uv_loop_init(&loop) != 0) return 2;
  uv_run(&loop, UV_RUN_NOWAIT);

  /* No handlers: the page is tokenised and nothing is kept, as a SAX
   * reader of links keeps nothing either. */
  static htmlSAXHandler sax;
  htmlParserCtxtPtr html = htmlCreatePushParserCtxt(
      &sax, NULL, NULL, 0, argv[1], XML_CHAR_ENCODING_NONE);
  CURL *e = curl_easy_init();
  if (!html || !e) return 2;
  htmlCtxtUseOptions(html, HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                               HTML_PARSE_NOWARNING | HTML_PARSE_NOBLANKS);
  curl_easy_setopt(e, CURLOPT_URL, argv[1]);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, feed);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, html);
  long code = 0;
  if (curl_easy_perform(e) == CURLE_OK)
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  htmlParseChunk(html, "", 0, 1);
  if (code > 0)
    printf("{\"%ld\": 1}\n", code);
  else
    printf("{\"error\": 1}\n");

  curl_easy_cleanup(e);
  htmlFreeParserCtxt(html);
  uv_loop_close(&loop);
  ares_destroy(channel);
  ares_library_cleanup();
  curl_global_cleanup();
  xmlCleanupParser();
  return 0;
}
