/* sink.c - see sink.h. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "run.h"
#include "util.h"

#define FLUSH_AT 65536     /* bytes of records buffered at most */
#define FLUSH_EVERY_MS 200 /* so that a reader of -o sees progress */

struct sc_sink {
  pthread_mutex_t lock;
  const struct sc_opts *o;
  struct sc_tally tally;
  int fd;        /* record output, -1 when none */
  int close_fd;  /* fd is ours to close */
  int out_error; /* errno of the first failed write, 0 if none */
  int failon_hit;
  atomic_uint_fast64_t count;
  /* Results not OK (sc_sink_failures). */
  atomic_uint_fast64_t failures;
  double last_flush; /* sc_now_ms() of the last write */
  struct sc_buf out; /* formatted records not yet written */
};

/* Writes all of p; returns 0 or an errno value. */
static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Writes the buffered records; on the first error reports it once and asks
 * the run to stop (the records already written stay whole). */
static void flush_records(struct sc_sink *s) {
  if (s->fd < 0 || !s->out.len) return;
  s->last_flush = sc_now_ms();
  if (!s->out_error) {
    int e = write_all(s->fd, s->out.data, s->out.len);
    if (e) {
      s->out_error = e;
      fprintf(stderr, "sitecheck: error writing records to %s: %s\n",
              strcmp(s->o->output, "-") == 0 ? "stdout" : s->o->output,
              strerror(e));
      int zero = 0;
      atomic_compare_exchange_strong(&sc_stop, &zero, -1);
    }
  }
  s->out.len = 0;
}

struct sc_sink *sc_sink_open(const struct sc_opts *o) {
  struct sc_sink *s = sc_xcalloc(1, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  s->o = o;
  s->fd = -1;
  if (o->output && strcmp(o->output, "-") == 0) {
    s->fd = STDOUT_FILENO;
  } else if (o->output) {
    s->fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
      fprintf(stderr, "sitecheck: cannot write %s: %s\n", o->output,
              strerror(errno));
      pthread_mutex_destroy(&s->lock);
      free(s);
      return NULL;
    }
    s->close_fd = 1;
  }
  s->last_flush = sc_now_ms();
  if (s->fd >= 0 && o->format == SC_FORMAT_CSV) sc_csv_header(&s->out);
  return s;
}

void sc_sink_add(struct sc_sink *s, const struct sc_result *r) {
  pthread_mutex_lock(&s->lock);
  sc_tally_add(&s->tally, r);
  if (s->o->failon.any && sc_failon_match(&s->o->failon, r)) s->failon_hit = 1;
  if (s->fd >= 0) {
    if (s->o->format == SC_FORMAT_CSV)
      sc_record_csv(&s->out, r);
    else
      sc_record_jsonl(&s->out, r);
    if (s->out.len >= FLUSH_AT || sc_now_ms() - s->last_flush >= FLUSH_EVERY_MS)
      flush_records(s);
  }
  atomic_fetch_add(&s->count, 1);
  if (r->a.cls != SC_OK || r->a.status < 200 || r->a.status > 299)
    atomic_fetch_add(&s->failures, 1);
  pthread_mutex_unlock(&s->lock);
}

uint64_t sc_sink_count(struct sc_sink *s) {
  return atomic_load(&s->count);
}

uint64_t sc_sink_failures(struct sc_sink *s) {
  return atomic_load(&s->failures);
}

int sc_sink_close(struct sc_sink *s, double elapsed_ms) {
  struct sc_buf line = {0};
  int rc;
  flush_records(s);
  sc_tally_json(&line, &s->tally);
  sc_buf_addc(&line, '\n');
  if (s->fd == STDOUT_FILENO) {
    if (!s->o->quiet) fputs(line.data, stderr);
  } else {
    int e = write_all(STDOUT_FILENO, line.data, line.len);
    if (e && !s->out_error) {
      s->out_error = e;
      fprintf(stderr, "sitecheck: error writing the tally: %s\n", strerror(e));
    }
  }
  if (!s->o->quiet) {
    double secs = elapsed_ms / 1000.0;
    fprintf(stderr, "checked %llu URLs in %.2f seconds (%.1f URLs/s)\n",
            (unsigned long long)s->tally.total, secs,
            secs > 0 ? (double)s->tally.total / secs : 0.0);
  }
  if (s->close_fd && close(s->fd) != 0 && !s->out_error) {
    s->out_error = errno;
    fprintf(stderr, "sitecheck: error writing records to %s: %s\n",
            s->o->output, strerror(errno));
  }
  rc = s->out_error    ? SC_EXIT_USAGE
       : s->failon_hit ? SC_EXIT_FAILON
                       : SC_EXIT_OK;
  sc_buf_free(&line);
  sc_buf_free(&s->out);
  pthread_mutex_destroy(&s->lock);
  free(s);
  return rc;
}
