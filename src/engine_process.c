/* engine_process.c - the process model: up to -c worker processes (default
 * 3, as in the talk), each checking one URL at a time with a blocking
 * transfer.
 *
 * Unlike the talk, the list is not split up front: the parent streams jobs
 * to whichever worker is idle over a socket pair and merges results into
 * the sink, so memory does not grow with the list. Workers are started as
 * the thread model starts threads: a new one only when a job may start and
 * every worker is busy, so a 1-URL list forks one process, not -c. Forking
 * during the run is safe because the parent never runs a transfer or a
 * lookup (no resolver thread, no libcurl state to copy) and has no reader
 * thread (feed.c); the progress thread, if any, is held while a fork
 * happens (progress.c). A worker that dies mid-check costs only its URL,
 * reported as `other`; the next job starts a replacement when it needs
 * one. A worker that cannot be started leaves its job to the workers
 * running (and no more are started), or with none running, reports the job
 * as `other`, so the run always ends.
 *
 * Messages are framed on a stream (SOCK_STREAM): a job is its read mode
 * (one byte, page.h) and its URL's length and bytes. A worker answers
 * with tagged messages, the last of a job its result: 'R', struct
 * sc_answer, then the lengths and bytes of final_url, chain and location.
 * Before it,
 * a page whose body the worker reads (the extractors run in the worker)
 * sends 'O' and its final URL when its head is in, 'L' per distinct link
 * found (struct wire_link, the URL and its fragment), 'A' per id
 * (--check-fragments), 'T' and the text of a robots.txt;
 * the parent hands them to the run as they come, so the crawl frontier
 * lives in the parent only. Strings cross whole, however long, so a
 * record reads the same in every model. The answer's start_ms crosses as
 * the worker took it, on the monotonic clock that parent and workers
 * share; its worker is named by the parent ("process N", N its slot). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"
#include "scheduler.h"
#include "msg.h"
#include "page.h"
#include "url.h"
#include "util.h"

/* A string on the wire: its length + 1, or 0 for NULL, then its bytes. */
typedef uint64_t wire_len;

/* What follows struct sc_answer in a result. */
struct wire_tail {
  wire_len final_len, chain_len, location_len;
};

/* What follows an 'L' tag, before the URL. */
struct wire_link {
  uint64_t line;
  int32_t skip;
  uint32_t flags;
};

#define RECV_STEP 65536 /* a string grows by at most this per read */

/* Messages of a worker a parent handles in one go before it polls the
 * others again. */
#define MESSAGES_PER_TURN 256

struct worker {
  pid_t pid;
  int fd; /* parent's end */
  int busy;
  struct sc_job job; /* what it is checking */
};

struct procs {
  struct sc_run *run;
  struct worker *w; /* n slots; fd -1 where no worker runs */
  long n;
  long live;  /* workers running */
  long cap;   /* workers that may run: n, fewer once a fork failed */
  int warned; /* a failed start was reported */
};

/* Sends all n bytes. Returns 0, or -1 if the peer is gone. */
static int send_all(int fd, const void *p, size_t n) {
  const char *b = p;
  while (n) {
    ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    b += k, n -= (size_t)k;
  }
  return 0;
}

/* Receives exactly n bytes. Returns 0, or -1 at an early end or error. */
static int recv_all(int fd, void *p, size_t n) {
  char *b = p;
  while (n) {
    ssize_t k = recv(fd, b, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    b += k, n -= (size_t)k;
  }
  return 0;
}

/* Sends s (NULL allowed) as a length and its bytes. Returns 0 or -1. */
static int send_str(int fd, const char *s) {
  size_t n = s ? strlen(s) : 0;
  wire_len len = s ? (wire_len)n + 1 : 0;
  if (send_all(fd, &len, sizeof len) != 0) return -1;
  return n ? send_all(fd, s, n) : 0;
}

/* Receives the bytes of a string sent with len (length + 1, 0 for NULL)
 * into *out, NUL-terminated (the caller frees it). The buffer grows only
 * as bytes arrive, so a length is never trusted with an allocation.
 * Returns 0, or -1 (and *out NULL) at an early end. */
static int recv_str(int fd, wire_len len, char **out) {
  struct sc_buf b = {0};
  *out = NULL;
  if (len == 0) return 0;
  for (wire_len left = len - 1; left;) {
    size_t step = left < RECV_STEP ? (size_t)left : RECV_STEP;
    sc_buf_reserve(&b, step);
    if (recv_all(fd, b.data + b.len, step) != 0) {
      sc_buf_free(&b);
      return -1;
    }
    b.len += step, left -= step;
  }
  sc_buf_addc(&b, '\0');
  *out = b.data;
  return 0;
}

/* A worker's page: its findings go to the parent (see the file comment). */
struct wpage {
  int fd;
  struct sc_page *page;
  char *url;
};

/* Sends a tag and a string; errors show at the result's send. */
static void send_tagged(int fd, char tag, const char *s) {
  if (send_all(fd, &tag, 1) == 0) send_str(fd, s);
}

static void wire_link_out(void *arg, const struct sc_doc_link *l) {
  struct wpage *p = arg;
  struct wire_link w = {l->line, (int32_t)l->skip, l->flags};
  char tag = 'L';
  if (send_all(p->fd, &tag, 1) == 0 && send_all(p->fd, &w, sizeof w) == 0 &&
      send_str(p->fd, l->url) == 0)
    send_str(p->fd, l->fragment);
}

static void wire_anchor_out(void *arg, const char *id) {
  struct wpage *p = arg;
  send_tagged(p->fd, 'A', id);
}

static void wire_text_out(void *arg, const char *text, size_t n) {
  struct wpage *p = arg;
  char tag = 'T';
  wire_len len = (wire_len)n + 1;
  if (send_all(p->fd, &tag, 1) == 0 && send_all(p->fd, &len, sizeof len) == 0)
    send_all(p->fd, text, n);
}

static const struct sc_page_out wire_out = {wire_link_out, NULL, wire_text_out};
static const struct sc_page_out wire_out_ids = {wire_link_out, wire_anchor_out,
                                                wire_text_out};

/* The worker's body mode (check.h): pages are read here. */
struct wctx {
  int fd;
  const struct sc_opts *o;
};

static void *wire_open(void *arg, const struct sc_job *job,
                       const char *final_url, const char *content_type) {
  struct wctx *w = arg;
  if (!sc_page_wanted(job->read, content_type)) return NULL;
  struct wpage *p = sc_xcalloc(1, sizeof *p);
  p->fd = w->fd;
  p->url = sc_xstrdup(final_url);
  send_tagged(w->fd, 'O', final_url);
  p->page = sc_page_open(
      job->read, -1, final_url, content_type, (size_t)w->o->max_page_size,
      w->o->check_fragments && job->read == SC_READ_PAGE ? &wire_out_ids
                                                         : &wire_out,
      p);
  return p;
}

static int wire_data(void *page, const void *data, size_t n) {
  struct wpage *p = page;
  return sc_page_feed(p->page, data, n);
}

static void wire_close(void *page, int complete) {
  struct wpage *p = page;
  char why[160];
  sc_page_close(p->page, complete, why, sizeof why);
  if (why[0]) sc_warn("%s: %s", p->url, why);
  free(p->url);
  free(p);
}

static const struct sc_body_ops wire_body = {wire_open, wire_data, wire_close};

/* The worker's life: receive a URL, check it, send the result back. dns
 * is the worker's copy of the run's DNS cache (the parent never uses its
 * own), so each worker caches for itself. */
static void worker_main(int fd, const struct sc_opts *o,
                        struct sc_dnscache *dns) {
  struct sc_check c;
  signal(SIGINT, SIG_IGN); /* the parent decides when we stop */
  signal(SIGTERM, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sc_check_init(&c, o, &sc_stop, 1); /* no keep_fn: no scheduler here */
  c.dns = dns;
  c.tls = sc_tls_sessions_new();
  struct wctx w = {fd, o};
  c.body = &wire_body;
  c.body_arg = &w;
  for (;;) {
    wire_len len;
    char *in;
    uint8_t mode;
    if (recv_all(fd, &mode, 1) != 0 || recv_all(fd, &len, sizeof len) != 0 ||
        recv_str(fd, len, &in) != 0 || !in)
      break;
    /* Only the URL crosses the socket; its host, port and kind are parsed
     * again here (the parent already validated it). */
    struct sc_url u;
    const char *why;
    enum sc_class cls = sc_url_normalize(in, strlen(in), 0, &u, &why);
    free(in);
    if (cls != SC_OK) break;
    c.job.url = u.url;
    c.job.host = u.host;
    c.job.port = u.port;
    c.job.ip_literal = u.ip_literal;
    c.job.line = NULL;
    c.job.read = mode;
    struct sc_result r;
    if (sc_check_run_blocking(&c, &r) != 0) break;
    struct wire_tail t = {r.final_url ? strlen(r.final_url) + 1 : 0,
                          r.chain ? strlen(r.chain) + 1 : 0,
                          r.location ? strlen(r.location) + 1 : 0};
    char tag = 'R';
    int sent =
        send_all(fd, &tag, 1) == 0 && send_all(fd, &r.a, sizeof r.a) == 0 &&
        send_all(fd, &t, sizeof t) == 0 &&
        (!r.final_url || send_all(fd, r.final_url, t.final_len - 1) == 0) &&
        (!r.chain || send_all(fd, r.chain, t.chain_len - 1) == 0) &&
        (!r.location || send_all(fd, r.location, t.location_len - 1) == 0);
    sc_job_clear(&c.job);
    if (!sent) break;
  }
  sc_check_cleanup(&c);
  sc_tls_sessions_free(c.tls);
}

/* Forks a worker into empty slot i. Returns 0, or -1 with errno set. */
static int spawn(struct procs *ps, long i) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  fflush(NULL); /* a worker that exits must not write the parent's buffers */
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(sv[0]);
    close(sv[1]);
    errno = err;
    return -1;
  }
  if (pid == 0) {
    close(sv[0]);
    for (long k = 0; k < ps->n; k++)
      if (k != i && ps->w[k].fd >= 0) close(ps->w[k].fd);
    worker_main(sv[1], ps->run->o, ps->run->dns);
    _exit(0); /* never flush the parent's stdio buffers */
  }
  close(sv[1]);
  ps->w[i].pid = pid;
  ps->w[i].fd = sv[0];
  ps->w[i].busy = 0;
  ps->live++;
  return 0;
}

/* Hands one page message of worker i (tag already read) to the run.
 * Returns 0, or -1 if the worker died. */
static int page_message(struct procs *ps, struct worker *w, char tag) {
  struct wire_link wl;
  wire_len len;
  char *s;
  if (tag == 'L' && recv_all(w->fd, &wl, sizeof wl) != 0) return -1;
  char *frag = NULL;
  if (recv_all(w->fd, &len, sizeof len) != 0 || recv_str(w->fd, len, &s) != 0)
    return -1;
  if (tag == 'L' && (recv_all(w->fd, &len, sizeof len) != 0 ||
                     recv_str(w->fd, len, &frag) != 0)) {
    free(s);
    return -1;
  }
  if (tag == 'O') {
    sc_run_page_opened(ps->run, &w->job, s ? s : "");
  } else if (tag == 'A') {
    if (s) sc_run_page_anchor(ps->run, &w->job, s);
  } else if (tag == 'T') {
    sc_run_page_text(ps->run, &w->job, s ? s : "", s ? len - 1 : 0);
  } else if (s && wl.skip >= 0 && wl.skip < SC_LINK_SKIP_COUNT) {
    struct sc_doc_link l = {.url = s,
                            .element = "a",
                            .attr = "href",
                            .fragment = frag,
                            .line = wl.line,
                            .skip = (enum sc_link_skip)wl.skip,
                            .flags = wl.flags};
    sc_run_page_link(ps->run, &w->job, &l);
  }
  free(s);
  free(frag);
  return 0;
}

/* Whether fd has bytes to read now. */
static int readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

/* Reads worker i's messages: its page's findings, then its result, which
 * completes its job. A message, once begun, is sent at once; between
 * messages the worker may be reading a page, so this returns after a
 * bounded number when nothing more is there. Returns 0, or -1 if it
 * died. */
static int collect(struct procs *ps, long i) {
  struct worker *w = &ps->w[i];
  struct sc_result r;
  struct wire_tail t;
  char *final, *chain, *location;
  char tag;
  for (int k = 0;; k++) {
    if (recv_all(w->fd, &tag, 1) != 0) return -1;
    if (tag == 'R') break;
    if ((tag != 'O' && tag != 'L' && tag != 'A' && tag != 'T') ||
        page_message(ps, w, tag) != 0)
      return -1;
    if (k == MESSAGES_PER_TURN || !readable(w->fd)) return 0;
  }
  /* poll() saw the result begin; the worker sends the rest at once. */
  sc_result_for_job(&r, &w->job);
  if (recv_all(w->fd, &r.a, sizeof r.a) != 0 ||
      recv_all(w->fd, &t, sizeof t) != 0 ||
      recv_str(w->fd, t.final_len, &final) != 0)
    return -1;
  if (recv_str(w->fd, t.chain_len, &chain) != 0) {
    free(final);
    return -1;
  }
  if (recv_str(w->fd, t.location_len, &location) != 0) {
    free(final);
    free(chain);
    return -1;
  }
  /* The strings of the answer come from another process: terminate them. */
  r.a.detail[sizeof r.a.detail - 1] = r.a.ip[sizeof r.a.ip - 1] = '\0';
  r.a.content_type[sizeof r.a.content_type - 1] = '\0';
  r.a.server[sizeof r.a.server - 1] = r.a.method[sizeof r.a.method - 1] = '\0';
  r.a.http_version[sizeof r.a.http_version - 1] = '\0';
  snprintf(r.a.worker, sizeof r.a.worker, "process %ld", i);
  r.final_url = final;
  r.chain = chain;
  r.location = location;
  sc_run_complete(ps->run, &w->job, &r);
  free(final);
  free(chain);
  free(location);
  sc_job_clear(&w->job);
  w->busy = 0;
  return 0;
}

/* Ends worker i (killed if busy) and reaps it, reporting the URL it held;
 * its slot is empty afterwards. */
static void retire(struct procs *ps, long i) {
  struct worker *w = &ps->w[i];
  int st = 0;
  close(w->fd); /* an idle worker sees end of input and exits */
  w->fd = -1;
  ps->live--;
  if (w->busy) kill(w->pid, SIGKILL);
  while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (w->busy) {
    /* Its URL is reported, unless the run is stopping (then the worker
     * was abandoned, not dead). */
    struct sc_result r;
    sc_result_for_job(&r, &w->job);
    r.a.cls = SC_OTHER;
    snprintf(r.a.worker, sizeof r.a.worker, "process %ld", i);
    if (WIFSIGNALED(st))
      snprintf(r.a.detail, sizeof r.a.detail, "worker process died (signal %d)",
               WTERMSIG(st));
    else
      snprintf(r.a.detail, sizeof r.a.detail, "worker process died (exit %d)",
               WEXITSTATUS(st));
    sc_run_complete(ps->run, &w->job, atomic_load(&sc_stop) ? NULL : &r);
  }
  sc_job_clear(&w->job);
  w->busy = 0;
}

/* The job taken for empty slot i found no worker: one could not be
 * started (err). With workers running, the job goes back to the scheduler
 * for them, and no more are started; with none, nothing can check it, so
 * it is reported as `other` (the next job tries again). */
static void unstarted(struct procs *ps, long i, int err) {
  struct worker *w = &ps->w[i];
  if (!ps->warned) {
    ps->warned = 1;
    if (ps->live > 0)
      sc_warn(
          "cannot start more than %ld worker processes (%s); going on "
          "with those",
          ps->live, strerror(err));
    else
      sc_warn("cannot start a worker process: %s", strerror(err));
  }
  if (ps->live > 0) {
    ps->cap = ps->live;
    sc_sched_return(ps->run->sched, &w->job);
    return;
  }
  struct sc_result r;
  sc_result_for_job(&r, &w->job);
  r.a.cls = SC_OTHER;
  r.a.attempts = 0;
  snprintf(r.a.detail, sizeof r.a.detail,
           "the worker process could not be started: %s", strerror(err));
  sc_run_complete(ps->run, &w->job, &r);
  sc_job_clear(&w->job);
}

/* The slot for the next job: an idle worker's; else, while every worker
 * is busy, an empty one if another worker may start (always when none
 * runs); else -1. */
static long next_slot(const struct procs *ps) {
  long empty = -1;
  for (long i = 0; i < ps->n; i++) {
    if (ps->w[i].fd >= 0 && !ps->w[i].busy) return i;
    if (ps->w[i].fd < 0 && empty < 0) empty = i;
  }
  return ps->live < ps->cap || ps->live == 0 ? empty : -1;
}

/* Takes the next job the scheduler allows for slot i and sends it to the
 * slot's worker, forking one into an empty slot. Returns 1 if a job was
 * taken (and sent, given back or reported: unstarted); 0 if none may start
 * yet (*wait_ms: when to look again, -1 after a check finishes); -1 when
 * the input is done. A worker found dead before it got the job is retired
 * and a new one tried, so a URL is never reported as lost without having
 * been tried. */
static int dispatch(struct procs *ps, long i, long *wait_ms) {
  struct worker *w = &ps->w[i];
  int got = sc_sched_take(ps->run->sched, 0, &w->job, wait_ms);
  if (got != 1) return got;
  for (int attempt = 0;; attempt++) {
    if (w->fd < 0 && spawn(ps, i) != 0) {
      unstarted(ps, i, errno);
      return 1;
    }
    if ((send_all(w->fd, &w->job.read, 1) == 0 &&
         send_str(w->fd, w->job.url) == 0) ||
        attempt == 1)
      break;
    struct sc_job keep = w->job;
    memset(&w->job, 0, sizeof w->job);
    retire(ps, i); /* not busy: nothing to report */
    w->job = keep;
  }
  /* If the new worker died too, poll() sees the hang-up: the URL is
   * reported as lost with its worker. */
  w->busy = 1;
  return 1;
}

int sc_engine_process(struct sc_run *run) {
  struct procs ps = {.run = run, .n = run->concurrency};
  ps.cap = ps.n;
  ps.w = sc_xcalloc((size_t)ps.n, sizeof *ps.w);
  struct pollfd *pfd = sc_xcalloc((size_t)ps.n, sizeof *pfd);
  int input_done = 0;
  for (long i = 0; i < ps.n; i++) ps.w[i].fd = -1;
  for (;;) {
    long busy = 0, timeout = 100, slot;
    /* Jobs to idle workers, then to new ones while all are busy. */
    while (!input_done && !atomic_load(&sc_stop) &&
           (slot = next_slot(&ps)) >= 0) {
      long wait;
      int r = dispatch(&ps, slot, &wait);
      if (r < 0) input_done = 1;
      if (r == 0 && wait >= 0 && wait < timeout) timeout = wait;
      if (r != 1) break;
    }
    for (long i = 0; i < ps.n; i++) {
      struct worker *w = &ps.w[i];
      pfd[i].fd = w->busy ? w->fd : -1;
      pfd[i].events = POLLIN;
      busy += w->busy;
    }
    if ((!busy && input_done) || atomic_load(&sc_stop)) break;
    int n = poll(pfd, (nfds_t)ps.n, (int)timeout);
    if (n < 0 && errno != EINTR) break;
    for (long i = 0; n > 0 && i < ps.n; i++) {
      if (!pfd[i].revents) continue;
      if (collect(&ps, i) != 0) retire(&ps, i);
    }
  }
  for (long i = 0; i < ps.n; i++)
    if (ps.w[i].fd >= 0) retire(&ps, i); /* busy ones: abandoned */
  free(pfd);
  free(ps.w);
  return 0;
}
