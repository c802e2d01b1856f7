/* msg.c - see msg.h. */
#include "msg.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int quiet;

/* The writer, its argument and the process that set it, published as one
 * pointer (release on set, acquire on use), so that a thread never sees
 * the function of one setting with the argument of another. */
struct writer {
  void (*write)(void *arg, const char *text);
  void *arg;
  pid_t pid;
};
static struct writer the_writer;
static _Atomic(const struct writer *) writer;

void sc_msg_set_quiet(int q) {
  quiet = q;
}

void sc_msg_set_writer(void (*write)(void *arg, const char *text), void *arg) {
  if (!write) {
    atomic_store_explicit(&writer, NULL, memory_order_release);
    return;
  }
  the_writer = (struct writer){write, arg, getpid()};
  atomic_store_explicit(&writer, &the_writer, memory_order_release);
}

/* Formats prefix + fmt + "\n" into one allocation and hands it to the
 * writer of this process, or writes it with one fwrite: stderr is
 * unbuffered, so piecewise writes of two threads (or of the process
 * model's workers) could interleave mid-line. */
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
    line[len] = '\0';
    const struct writer *w =
        atomic_load_explicit(&writer, memory_order_acquire);
    if (w && w->pid == getpid())
      w->write(w->arg, line);
    else
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
