/* sink.c - see sink.h. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "htab.h"
#include "job.h"
#include "record.h"
#include "util.h"

#define FLUSH_AT 65536     /* bytes of records buffered at most */
#define FLUSH_EVERY_MS 200 /* so that a reader of -o sees progress */

atomic_int sc_stop;

/* --dedup: what the sink knows of one distinct URL. */
struct parked {
  char *line;
  size_t len;
  uint64_t lineno;
  struct parked *next;
};

struct seen {
  struct hnode h; /* in the --dedup table, by URL (first member) */
  char *url;
  uint64_t first_line;
  int done;
  int32_t status, cls;
  char *detail;
  struct parked *parked; /* repeats waiting for the first's answer */
};

struct sc_sink {
  pthread_mutex_t lock;
  const struct sc_opts *o;
  struct sc_tally tally;
  int fd;        /* record output, -1 when none */
  int close_fd;  /* fd is ours to close */
  int out_error; /* errno of the first failed write, 0 if none */
  int failon_hit;
  atomic_uint_fast64_t count;
  double last_flush; /* sc_now_ms() of the last write */
  struct sc_buf out; /* formatted records not yet written */
  struct htab seen;  /* --dedup: one entry per distinct URL */
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

static struct seen *seen_find(struct sc_sink *s, const char *url,
                              uint64_t hash) {
  for (struct hnode *n = ht_chain(&s->seen, hash); n; n = n->next)
    if (n->hash == hash && strcmp(((struct seen *)n)->url, url) == 0)
      return (struct seen *)n;
  return NULL;
}

static void add_locked(struct sc_sink *s, const struct sc_result *r);

/* Writes the record of a repeat of e's URL. */
static void add_duplicate(struct sc_sink *s, const struct seen *e,
                          const char *line, size_t len, uint64_t lineno) {
  struct sc_job job = {.line = (char *)line, .len = len, .lineno = lineno};
  struct sc_result r;
  sc_result_for_job(&r, &job);
  r.a.status = e->status;
  r.a.cls = e->cls;
  r.a.attempts = 0;
  if (e->detail) sc_strcpy_cut(r.a.detail, sizeof r.a.detail, e->detail);
  r.duplicate_of = e->first_line;
  add_locked(s, &r);
}

int sc_sink_duplicate(struct sc_sink *s, const struct sc_job *job) {
  pthread_mutex_lock(&s->lock);
  if (!s->seen.b) ht_init(&s->seen);
  uint64_t hash = sc_hash_str(0, job->url);
  struct seen *e = seen_find(s, job->url, hash);
  int dup = e != NULL;
  if (!dup) {
    e = sc_xcalloc(1, sizeof *e);
    e->url = sc_xstrdup(job->url);
    e->first_line = job->lineno;
    e->h.hash = hash;
    ht_add(&s->seen, &e->h);
  } else if (e->done) {
    add_duplicate(s, e, job->line, job->len, job->lineno);
  } else {
    struct parked *k = sc_xmalloc(sizeof *k);
    k->line = sc_xstrndup(job->line, job->len);
    k->len = job->len;
    k->lineno = job->lineno;
    k->next = e->parked;
    e->parked = k;
  }
  pthread_mutex_unlock(&s->lock);
  return dup;
}

/* The first occurrence of a URL is answered: remember the answer and
 * write the records of the repeats that waited for it. */
static void answer_seen(struct sc_sink *s, const struct sc_result *r) {
  struct seen *e = seen_find(s, r->check_url, sc_hash_str(0, r->check_url));
  if (!e || e->done) return;
  e->done = 1;
  e->status = r->a.status;
  e->cls = r->a.cls;
  if (r->a.detail[0]) e->detail = sc_xstrdup(r->a.detail);
  while (e->parked) {
    struct parked *k = e->parked;
    e->parked = k->next;
    add_duplicate(s, e, k->line, k->len, k->lineno);
    free(k->line);
    free(k);
  }
}

void sc_sink_add(struct sc_sink *s, const struct sc_result *r) {
  pthread_mutex_lock(&s->lock);
  add_locked(s, r);
  if (s->seen.b && r->check_url && !r->duplicate_of) answer_seen(s, r);
  pthread_mutex_unlock(&s->lock);
}

/* Counts and writes one result; the lock is held. */
static void add_locked(struct sc_sink *s, const struct sc_result *r) {
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
}

uint64_t sc_sink_count(struct sc_sink *s) {
  return atomic_load(&s->count);
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
  for (size_t i = 0; s->seen.b && i <= s->seen.mask; i++)
    for (struct hnode *n = s->seen.b[i], *next; n; n = next) {
      struct seen *e = (struct seen *)n;
      next = n->next;
      for (struct parked *k = e->parked, *kn; k; k = kn) {
        kn = k->next;
        free(k->line);
        free(k);
      }
      free(e->url);
      free(e->detail);
      free(e);
    }
  ht_free(&s->seen);
  pthread_mutex_destroy(&s->lock);
  free(s);
  return rc;
}
