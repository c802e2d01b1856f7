/* reader.c - see reader.h. */
#include "reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define READ_BLOCK 65536

struct sc_reader {
  int fd;
  int (*wait)(void *arg, int fd);
  void *wait_arg;
  long (*rd)(void *arg, int fd, void *buf, size_t cap);
  void *rd_arg;
  int eof;
  int at_start; /* nothing read yet: a BOM may follow */
  uint64_t lineno;
  size_t pos, end; /* unread bytes are buf[pos..end) */
  char buf[READ_BLOCK];
  size_t llen;  /* bytes stored in line */
  int overlong; /* current line exceeded SC_LINE_MAX */
  char line[SC_LINE_MAX + 1];
};

struct sc_reader *sc_reader_new(int fd) {
  struct sc_reader *r = sc_xmalloc(sizeof *r);
  sc_reader_reset(r, fd);
  return r;
}

void sc_reader_reset(struct sc_reader *r, int fd) {
  r->fd = fd;
  r->wait = NULL;
  r->wait_arg = NULL;
  r->rd = NULL;
  r->rd_arg = NULL;
  r->eof = 0;
  r->at_start = 1;
  r->lineno = 0;
  r->pos = r->end = 0;
  r->llen = 0;
  r->overlong = 0;
}

void sc_reader_free(struct sc_reader *r) {
  free(r);
}

void sc_reader_set_wait(struct sc_reader *r, int (*wait)(void *arg, int fd),
                        void *arg) {
  r->wait = wait;
  r->wait_arg = arg;
}

void sc_reader_set_read(struct sc_reader *r,
                        long (*rd)(void *arg, int fd, void *buf, size_t cap),
                        void *arg) {
  r->rd = rd;
  r->rd_arg = arg;
}

static int is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

/* Refills buf; returns bytes available, 0 at EOF, -1 on error. */
static int fill(struct sc_reader *r) {
  ssize_t n;
  if (r->eof) return 0;
  if (r->wait && r->wait(r->wait_arg, r->fd) != 0) {
    errno = ECANCELED;
    return -1;
  }
  do {
    n = r->rd ? r->rd(r->rd_arg, r->fd, r->buf, sizeof r->buf)
              : read(r->fd, r->buf, sizeof r->buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  if (n == 0) {
    r->eof = 1;
    return 0;
  }
  r->pos = 0;
  r->end = (size_t)n;
  if (r->at_start) {
    /* A BOM split across reads is not worth handling: blocks are 64 KiB. */
    if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
    r->at_start = 0;
  }
  return 1;
}

/* Appends bytes to the current line, keeping at most SC_LINE_MAX. */
static void append(struct sc_reader *r, const char *p, size_t n) {
  size_t room = SC_LINE_MAX - r->llen;
  if (n > room) {
    /* Trailing whitespace past the limit does not make a line overlong. */
    for (size_t i = room; i < n; i++)
      if (!is_space((unsigned char)p[i])) r->overlong = 1;
    n = room;
  }
  memcpy(r->line + r->llen, p, n);
  r->llen += n;
}

/* Trims the stored line and decides whether to return it. */
static int finish(struct sc_reader *r, const char **line, size_t *len,
                  uint64_t *lineno, int *overlong) {
  size_t s = 0, e = r->llen;
  r->lineno++;
  while (s < e && is_space((unsigned char)r->line[s])) s++;
  if (!r->overlong)
    while (e > s && is_space((unsigned char)r->line[e - 1])) e--;
  int keep = e > s && r->line[s] != '#';
  r->llen = 0;
  if (!keep) {
    r->overlong = 0;
    return 0;
  }
  r->line[e] = '\0';
  *line = r->line + s;
  *len = e - s;
  *lineno = r->lineno;
  *overlong = r->overlong;
  r->overlong = 0;
  return 1;
}

int sc_reader_next(struct sc_reader *r, const char **line, size_t *len,
                   uint64_t *lineno, int *overlong) {
  for (;;) {
    if (r->pos == r->end) {
      int f = fill(r);
      if (f < 0) return -1;
      if (f == 0) {
        /* A last line without a newline. */
        if (r->llen == 0 && !r->overlong) return 0;
        if (finish(r, line, len, lineno, overlong)) return 1;
        return 0;
      }
    }
    char *start = r->buf + r->pos;
    char *nl = memchr(start, '\n', r->end - r->pos);
    if (!nl) {
      append(r, start, r->end - r->pos);
      r->pos = r->end;
      continue;
    }
    append(r, start, (size_t)(nl - start));
    r->pos += (size_t)(nl - start) + 1;
    if (finish(r, line, len, lineno, overlong)) return 1;
  }
}
