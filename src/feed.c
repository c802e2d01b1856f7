/* feed.c - see feed.h. */
#include "feed.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"
#include "url.h"
#include "util.h"

struct sc_feed {
  pthread_mutex_t lock;
  int nfiles, cur;
  int *fds;
  const char **names;
  struct sc_reader *rd; /* reader of files[cur], NULL before/after */
  int read_error;
  int dedup;
  atomic_uint_fast64_t taken;
  atomic_int eof;
};

struct sc_feed *sc_feed_open(const struct sc_opts *o) {
  struct sc_feed *f = sc_xcalloc(1, sizeof *f);
  pthread_mutex_init(&f->lock, NULL);
  f->nfiles = o->nfiles;
  f->dedup = o->dedup;
  f->fds = sc_xcalloc((size_t)o->nfiles, sizeof *f->fds);
  f->names = sc_xcalloc((size_t)o->nfiles, sizeof *f->names);
  for (int i = 0; i < o->nfiles; i++) {
    const char *name = o->files[i];
    if (strcmp(name, "-") == 0) {
      f->fds[i] = STDIN_FILENO;
      f->names[i] = "stdin";
      continue;
    }
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      close(fd);
      fd = -1;
      errno = EISDIR;
    }
    if (fd < 0) {
      fprintf(stderr, "sitecheck: cannot read %s: %s\n", name, strerror(errno));
      for (int k = 0; k < i; k++)
        if (f->fds[k] != STDIN_FILENO) close(f->fds[k]);
      free(f->fds);
      free(f->names);
      pthread_mutex_destroy(&f->lock);
      free(f);
      return NULL;
    }
    f->fds[i] = fd;
    f->names[i] = name;
  }
  return f;
}

/* Reads the next non-blank, non-comment line from the current file or the
 * ones after it, copying it into *job. Returns 1, or 0 at the end of the
 * last file. Called with the lock held. */
static int next_line(struct sc_feed *f, struct sc_job *job, int *overlong) {
  while (f->cur < f->nfiles) {
    if (!f->rd) f->rd = sc_reader_new(f->fds[f->cur]);
    const char *line;
    size_t len;
    uint64_t lineno;
    int r = sc_reader_next(f->rd, &line, &len, &lineno, overlong);
    if (r == 1) {
      job->line = sc_xstrndup(line, len);
      job->len = len;
      job->lineno = lineno;
      return 1;
    }
    if (r < 0) {
      fprintf(stderr, "sitecheck: error reading %s: %s\n", f->names[f->cur],
              strerror(errno));
      f->read_error = 1;
    }
    sc_reader_free(f->rd);
    f->rd = NULL;
    f->cur++;
  }
  return 0;
}

int sc_feed_next(struct sc_feed *f, struct sc_sink *s, struct sc_job *job) {
  memset(job, 0, sizeof *job);
  for (;;) {
    int overlong = 0;
    if (atomic_load(&sc_stop)) return 0;
    pthread_mutex_lock(&f->lock);
    int got = next_line(f, job, &overlong);
    if (got)
      atomic_fetch_add(&f->taken, 1);
    else
      atomic_store(&f->eof, 1);
    pthread_mutex_unlock(&f->lock);
    if (!got) return 0;

    const char *why;
    struct sc_url u;
    enum sc_class cls =
        sc_url_normalize(job->line, job->len, overlong, &u, &why);
    if (cls == SC_OK) {
      job->url = u.url;
      job->host = u.host;
      job->port = u.port;
      job->ip_literal = u.ip_literal;
      if (!f->dedup || !sc_sink_duplicate(s, job)) return 1;
      sc_job_clear(job); /* a repeat: the sink answers it */
      continue;
    }

    /* Decided without the network: report it here and read on. */
    struct sc_result r;
    sc_result_for_job(&r, job);
    r.a.cls = cls;
    r.a.attempts = 0;
    sc_strcpy_cut(r.a.detail, sizeof r.a.detail, why);
    sc_sink_add(s, &r);
    sc_job_clear(job);
  }
}

uint64_t sc_feed_taken(struct sc_feed *f) {
  return atomic_load(&f->taken);
}

int sc_feed_eof(struct sc_feed *f) {
  return atomic_load(&f->eof);
}

int sc_feed_close(struct sc_feed *f) {
  int err = f->read_error;
  sc_reader_free(f->rd);
  for (int i = 0; i < f->nfiles; i++)
    if (f->fds[i] != STDIN_FILENO) close(f->fds[i]);
  free(f->fds);
  free(f->names);
  pthread_mutex_destroy(&f->lock);
  free(f);
  return err;
}
