/* msg.c - see msg.h. */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int quiet;

void sc_msg_set_quiet(int q) {
  quiet = q;
}

/* Formats prefix + fmt + "\n" into one allocation and writes it with one
 * fwrite: stderr is unbuffered, so piecewise writes of two threads (or of
 * the process model's workers) could interleave mid-line. */
static void emit(const char *prefix, const char *fmt, va_list ap) {
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  if (n >= 0) {
    size_t pl = strlen(prefix), len = pl + (size_t)n + 1;
    char *line = sc_xmalloc(len + 1);
    memcpy(line, prefix, pl);
    vsnprintf(line + pl, (size_t)n + 1, fmt, again);
    line[len - 1] = '\n';
    fwrite(line, 1, len, stderr);
    free(line);
  }
  va_end(again);
}

void sc_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("sitecheck: ", fmt, ap);
  va_end(ap);
}

void sc_warn(const char *fmt, ...) {
  va_list ap;
  if (quiet) return;
  va_start(ap, fmt);
  emit("sitecheck: warning: ", fmt, ap);
  va_end(ap);
}
