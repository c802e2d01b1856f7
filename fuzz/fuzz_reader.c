/* fuzz_reader.c - libFuzzer target: the line reader and URL validation.
 * Feeds arbitrary bytes as an input file, validates every line it yields
 * and checks the reader's promises: lines are trimmed, never blank or
 * comments, at most SC_LINE_MAX bytes, line numbers increase. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz", 0);
  if (fd < 0) return 0;
  if (size && write(fd, data, size) != (ssize_t)size) abort();
  lseek(fd, 0, SEEK_SET);
  struct sc_reader *r = sc_reader_new(fd);
  const char *line;
  size_t len;
  uint64_t no, last = 0;
  int over;
  while (sc_reader_next(r, &line, &len, &no, &over) == 1) {
    if (len == 0 || len > SC_LINE_MAX || line[0] == '#' || no <= last) abort();
    if (line[len] != '\0') abort();
    if (!over && (line[len - 1] == ' ' || line[len - 1] == '\r')) abort();
    last = no;
    struct sc_url u;
    const char *why = NULL;
    enum sc_class c = sc_url_normalize(line, len, over, &u, &why);
    if (c == SC_OK && (!u.url || strncmp(u.url, "http", 4) != 0 || !u.host ||
                       u.port <= 0 || u.port > 65535))
      abort();
    if (c != SC_OK && (!why || u.url)) abort();
    /* The canonical fast path must agree with the full parse. */
    struct sc_url f;
    if (!over && sc_url_fast(line, len, &f)) {
      struct sc_url p;
      const char *pw = NULL;
      if (sc_url_parse(line, len, 0, &p, &pw) != SC_OK ||
          strcmp(f.url, p.url) != 0 || strcmp(f.host, p.host) != 0 ||
          f.port != p.port || f.ip_literal != p.ip_literal)
        abort();
      free(f.url), free(f.host), free(p.url), free(p.host);
    }
    free(u.url);
    free(u.host);
  }
  sc_reader_free(r);
  close(fd);
  return 0;
}
