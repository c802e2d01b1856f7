/* sink.c - see sink.h. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faillist.h"
#include "record.h"
#include "report.h"
#include "run.h"
#include "term.h"
#include "util.h"

#define FLUSH_AT 65536     /* bytes of records buffered at most */
#define FLUSH_EVERY_MS 200 /* so that a reader of -o sees progress */

struct sc_sink {
  pthread_mutex_t lock;
  const struct sc_opts *o;
  struct sc_tally tally;
  int fd;          /* record output, -1 when none */
  int close_fd;    /* fd is ours to close */
  int out_error;   /* errno of the first failed write, 0 if none */
  int pipe_closed; /* that error was EPIPE: stop quietly */
  int failon_hit;
  int color; /* colour the statuses on stderr */
  atomic_uint_fast64_t count;
  /* Results not OK (sc_sink_failures). */
  atomic_uint_fast64_t failures;
  double last_flush;  /* sc_now_ms() of the last write */
  struct sc_buf out;  /* formatted records not yet written */
  struct sc_buf said; /* an error line made under the lock, not yet emitted */
  struct sc_faillist *list;
  struct sc_report *report; /* --report, or NULL */
  void (*emit)(void *arg, const char *text);
  void *emit_arg;
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

/* Notes the first output error e and asks the run to stop: EPIPE (the
 * reader went away) quietly, as SIGPIPE would have, anything else with
 * the line what (for s->said). */
static void output_failed(struct sc_sink *s, int e, const char *what) {
  int zero = 0;
  if (s->out_error) return;
  s->out_error = e;
  if (e == EPIPE) {
    s->pipe_closed = 1;
    atomic_compare_exchange_strong(&sc_stop, &zero, SIGPIPE);
    return;
  }
  sc_buf_printf(&s->said, "sitecheck: %s: %s\n", what, strerror(e));
  atomic_compare_exchange_strong(&sc_stop, &zero, -1);
}

/* Writes the buffered records; on the first error notes it once (the
 * records already written stay whole). */
static void flush_records(struct sc_sink *s) {
  if (s->fd < 0 || !s->out.len) return;
  s->last_flush = sc_now_ms();
  if (!s->out_error) {
    int e = write_all(s->fd, s->out.data, s->out.len);
    if (e) {
      struct sc_buf what = {0};
      sc_buf_adds(&what, "error writing records to ");
      if (strcmp(s->o->output, "-") == 0)
        sc_buf_adds(&what, "stdout");
      else
        sc_term_text(&what, s->o->output, strlen(s->o->output));
      output_failed(s, e, what.data);
      sc_buf_free(&what);
    }
  }
  s->out.len = 0;
}

/* The default emit hook: stderr, in one write. */
static void emit_stderr(void *arg, const char *text) {
  (void)arg;
  fputs(text, stderr);
}

/* The HTML report of the run: its title line names the inputs, its
 * options line the options as given (sc_opts.given: no header value, no
 * password). */
static struct sc_report *new_report(const struct sc_opts *o) {
  struct sc_buf sub = {0};
  sc_buf_adds(&sub, "a run of sitecheck on ");
  for (int i = 0; i < o->nfiles && sub.len < 200; i++)
    sc_buf_printf(
        &sub, "%s%s", i ? ", " : "",
        strcmp(o->files[i], "-") == 0 ? "standard input" : o->files[i]);
  if (sub.len >= 200) sc_buf_adds(&sub, ", \xE2\x80\xA6");
  sc_buf_printf(&sub, " (model %s)", sc_model_name(o->model));
  struct sc_report_opts ro = {
      .subtitle = sub.data,
      .options = o->given.len ? o->given.data : "the defaults"};
  struct sc_report *rep = sc_report_new(&ro);
  sc_buf_free(&sub);
  return rep;
}

struct sc_sink *sc_sink_open(const struct sc_opts *o) {
  if (o->report) {
    int e = sc_report_check_path(o->report);
    if (e) {
      fprintf(stderr, "sitecheck: cannot write %s: %s\n", o->report,
              strerror(e));
      return NULL;
    }
  }
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
  s->color = sc_term_color(o->color, STDERR_FILENO);
  s->list = sc_faillist_new(o, s->color);
  if (o->report) s->report = new_report(o);
  s->emit = emit_stderr;
  return s;
}

void sc_sink_set_emit(struct sc_sink *s,
                      void (*emit)(void *arg, const char *text), void *arg) {
  s->emit = emit ? emit : emit_stderr;
  s->emit_arg = emit ? arg : NULL;
}

void sc_sink_add(struct sc_sink *s, const struct sc_result *r) {
  struct sc_result res = *r; /* the record's ok is the sink's to say */
  struct sc_buf line = {0}, said = {0};
  res.ok = sc_result_ok(s->o->accept, &res);
  if (s->o->show == SC_SHOW_ALL) sc_faillist_line(&line, &res, s->color);
  pthread_mutex_lock(&s->lock);
  sc_tally_add(&s->tally, &res);
  if (s->o->failon.any && sc_failon_match(&s->o->failon, &res))
    s->failon_hit = 1;
  sc_faillist_add(s->list, &res);
  if (s->report) {
    struct sc_report_rec v;
    sc_report_rec_from_result(&v, &res);
    sc_report_add(s->report, &v);
  }
  if (s->fd >= 0) {
    if (s->o->format == SC_FORMAT_CSV)
      sc_record_csv(&s->out, &res);
    else
      sc_record_jsonl(&s->out, &res);
    if (s->out.len >= FLUSH_AT || sc_now_ms() - s->last_flush >= FLUSH_EVERY_MS)
      flush_records(s);
  }
  if (s->said.len) {
    said = s->said; /* emitted below, without the lock */
    s->said = (struct sc_buf){0};
  }
  int closed = s->pipe_closed; /* then nothing more is printed */
  atomic_fetch_add(&s->count, 1);
  if (!res.ok) atomic_fetch_add(&s->failures, 1);
  pthread_mutex_unlock(&s->lock);
  if (line.len && !closed) s->emit(s->emit_arg, line.data);
  if (said.len) s->emit(s->emit_arg, said.data);
  sc_buf_free(&line);
  sc_buf_free(&said);
}

uint64_t sc_sink_count(struct sc_sink *s) {
  return atomic_load(&s->count);
}

uint64_t sc_sink_failures(struct sc_sink *s) {
  return atomic_load(&s->failures);
}

int sc_sink_close(struct sc_sink *s, double elapsed_ms) {
  struct sc_buf line = {0}, err = {0};
  const struct sc_opts *o = s->o;
  int rc;
  flush_records(s);
  if (s->said.len) sc_buf_add(&err, s->said.data, s->said.len);
  sc_tally_json(&line, &s->tally);
  sc_buf_addc(&line, '\n');
  if (s->fd == STDOUT_FILENO) {
    if (!o->quiet && !s->pipe_closed) sc_buf_add(&err, line.data, line.len);
  } else if (!s->pipe_closed) {
    int e = write_all(STDOUT_FILENO, line.data, line.len);
    if (e) {
      s->said.len = 0;
      output_failed(s, e, "error writing the tally");
      if (s->said.len) sc_buf_add(&err, s->said.data, s->said.len);
    }
  }
  if (!s->pipe_closed) {
    if (!o->quiet) {
      double secs = elapsed_ms / 1000.0;
      sc_buf_printf(&err, "checked %llu URLs in %.2f seconds (%.1f URLs/s)\n",
                    (unsigned long long)s->tally.total, secs,
                    secs > 0 ? (double)s->tally.total / secs : 0.0);
    }
    sc_faillist_summary(s->list, &err, !o->quiet, o->show == SC_SHOW_FAILURES);
  }
  if (err.len) fwrite(err.data, 1, err.len, stderr);
  if (s->report && sc_report_save(s->report, o->report) != 0) {
    int e = errno ? errno : EIO;
    fprintf(stderr, "sitecheck: cannot write %s: %s\n", o->report, strerror(e));
    if (!s->out_error) s->out_error = e;
  }
  if (s->close_fd && close(s->fd) != 0 && !s->out_error) {
    s->out_error = errno;
    fprintf(stderr, "sitecheck: error writing records to %s: %s\n", o->output,
            strerror(errno));
  }
  rc = s->out_error    ? SC_EXIT_USAGE
       : s->failon_hit ? SC_EXIT_FAILON
                       : SC_EXIT_OK;
  sc_faillist_free(s->list);
  sc_report_free(s->report);
  sc_buf_free(&line);
  sc_buf_free(&err);
  sc_buf_free(&s->said);
  sc_buf_free(&s->out);
  pthread_mutex_destroy(&s->lock);
  free(s);
  return rc;
}
