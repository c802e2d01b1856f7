/* engine_process.c - the process model: -c worker processes (default 3, as
 * in the talk), each checking one URL at a time with a blocking transfer.
 *
 * Unlike the talk, the list is not split up front: the parent streams jobs
 * to whichever worker is idle over a SOCK_SEQPACKET socket pair (one
 * message per job, one per result) and merges results into the sink, so
 * memory does not grow with the list. Workers are forked before any
 * transfer (resolver threads do not survive fork). A worker that dies
 * mid-check costs only its URL, reported as `other`; a replacement is
 * started and the run goes on. */
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
#include "url.h"
#include "util.h"

#define SC_LINE_MAX_WIRE 16384 /* longest URL string sent either way */

/* A result on the wire: struct sc_answer, then the lengths and bytes of
 * final_url and chain. */
struct wire_tail {
  uint32_t final_len, chain_len;
};

#define WIRE_MAX \
  (sizeof(struct sc_answer) + sizeof(struct wire_tail) + 2 * SC_LINE_MAX_WIRE)

struct worker {
  pid_t pid;
  int fd; /* parent's end */
  int busy;
  struct sc_job job; /* what it is checking */
};

struct procs {
  struct sc_run *run;
  struct worker *w;
  long n;
};

static size_t cap_len(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  return n > max ? max : n;
}

/* The worker's life: receive a URL, check it, send the result back. dns
 * is the worker's copy of the run's DNS cache (the parent never uses its
 * own), so each worker caches for itself. */
static void worker_main(int fd, const struct sc_opts *o,
                        struct sc_dnscache *dns) {
  static char in[SC_LINE_MAX_WIRE + 1], out[WIRE_MAX];
  struct sc_check c;
  signal(SIGINT, SIG_IGN); /* the parent decides when we stop */
  signal(SIGTERM, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sc_check_init(&c, o, &sc_stop, 1); /* no keep_fn: no scheduler here */
  c.dns = dns;
  for (;;) {
    ssize_t n = recv(fd, in, SC_LINE_MAX_WIRE, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in[n] = '\0';
    /* Only the URL crosses the socket; its host, port and kind are parsed
     * again here (the parent already validated it). */
    struct sc_url u;
    const char *why;
    if (sc_url_normalize(in, (size_t)n, 0, &u, &why) != SC_OK) break;
    c.job.url = u.url;
    c.job.host = u.host;
    c.job.port = u.port;
    c.job.ip_literal = u.ip_literal;
    c.job.line = NULL;
    struct sc_result r;
    if (sc_check_run_blocking(&c, &r) != 0) break;
    struct wire_tail t = {(uint32_t)cap_len(r.final_url, SC_LINE_MAX_WIRE),
                          (uint32_t)cap_len(r.chain, SC_LINE_MAX_WIRE)};
    char *p = out;
    memcpy(p, &r.a, sizeof r.a), p += sizeof r.a;
    memcpy(p, &t, sizeof t), p += sizeof t;
    if (t.final_len) memcpy(p, r.final_url, t.final_len), p += t.final_len;
    if (t.chain_len) memcpy(p, r.chain, t.chain_len), p += t.chain_len;
    sc_job_clear(&c.job);
    if (send(fd, out, (size_t)(p - out), MSG_NOSIGNAL) < 0) break;
  }
  sc_check_cleanup(&c);
}

/* Forks worker i. Returns 0 or -1. */
static int spawn(struct procs *ps, long i) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
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
  return 0;
}

/* Reads worker i's result and completes its job. Returns 0, or -1 if it
 * died. */
static int collect(struct procs *ps, long i) {
  static char buf[WIRE_MAX];
  struct worker *w = &ps->w[i];
  ssize_t n;
  do {
    n = recv(w->fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  struct sc_result r;
  struct wire_tail t;
  size_t head = sizeof r.a + sizeof t;
  if (n < (ssize_t)head) return -1;
  sc_result_for_job(&r, &w->job);
  memcpy(&r.a, buf, sizeof r.a);
  memcpy(&t, buf + sizeof r.a, sizeof t);
  if (head + (size_t)t.final_len + t.chain_len != (size_t)n) return -1;
  /* The strings of the answer come from another process: terminate them. */
  r.a.detail[sizeof r.a.detail - 1] = r.a.ip[sizeof r.a.ip - 1] = '\0';
  r.a.content_type[sizeof r.a.content_type - 1] = '\0';
  r.a.server[sizeof r.a.server - 1] = r.a.method[sizeof r.a.method - 1] = '\0';
  r.a.http_version[sizeof r.a.http_version - 1] = '\0';
  const char *p = buf + head;
  char *final = t.final_len ? sc_xstrndup(p, t.final_len) : NULL;
  char *chain = t.chain_len ? sc_xstrndup(p + t.final_len, t.chain_len) : NULL;
  r.final_url = final;
  r.chain = chain;
  sc_run_complete(ps->run, &w->job, &r);
  free(final);
  free(chain);
  sc_job_clear(&w->job);
  w->busy = 0;
  return 0;
}

/* Reaps dead worker i, reports the URL it held, starts a replacement. */
static void replace(struct procs *ps, long i, int want_new) {
  struct worker *w = &ps->w[i];
  int st = 0;
  close(w->fd); /* an idle worker sees end of input and exits */
  w->fd = -1;
  if (w->busy) kill(w->pid, SIGKILL);
  while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (w->busy) {
    /* Its URL is reported, unless the run is stopping (then the worker
     * was abandoned, not dead). */
    struct sc_result r;
    sc_result_for_job(&r, &w->job);
    r.a.cls = SC_OTHER;
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
  if (want_new && spawn(ps, i) != 0)
    fprintf(stderr, "sitecheck: cannot start a worker process: %s\n",
            strerror(errno));
}

/* Sends worker i the next job the scheduler allows. Returns 1 if sent; 0
 * if none may start yet (*wait_ms: when to look again, -1 after a check
 * finishes); -1 when the input is done. A worker found dead before it got
 * the job is replaced and the job resent, so a URL is never reported as
 * lost without having been tried. */
static int dispatch(struct procs *ps, long i, long *wait_ms) {
  struct worker *w = &ps->w[i];
  int got = sc_sched_take(ps->run->sched, 0, &w->job, wait_ms);
  if (got != 1) return got;
  size_t n = cap_len(w->job.url, SC_LINE_MAX_WIRE);
  for (int attempt = 0; attempt < 2; attempt++) {
    if (w->fd >= 0 && send(w->fd, w->job.url, n, MSG_NOSIGNAL) >= 0) break;
    struct sc_job keep = w->job;
    memset(&w->job, 0, sizeof w->job);
    w->busy = 0;
    replace(ps, i, 1);
    w->job = keep;
  }
  /* If both sends failed, poll() sees the hang-up and reports the URL. */
  w->busy = 1;
  return 1;
}

int sc_engine_process(struct sc_run *run) {
  struct procs ps = {.run = run, .n = run->concurrency};
  ps.w = sc_xcalloc((size_t)ps.n, sizeof *ps.w);
  struct pollfd *pfd = sc_xcalloc((size_t)ps.n, sizeof *pfd);
  int input_done = 0;
  for (long i = 0; i < ps.n; i++) ps.w[i].fd = -1;
  fflush(NULL);
  for (long i = 0; i < ps.n; i++)
    if (spawn(&ps, i) != 0) {
      fprintf(stderr, "sitecheck: cannot start a worker process: %s\n",
              strerror(errno));
      exit(SC_EXIT_INTERNAL);
    }
  for (;;) {
    long busy = 0, timeout = 100;
    int not_yet = 0;
    for (long i = 0; i < ps.n; i++) {
      struct worker *w = &ps.w[i];
      if (w->fd >= 0 && !w->busy && !input_done && !not_yet) {
        long wait;
        int r = dispatch(&ps, i, &wait);
        if (r < 0) input_done = 1;
        if (r == 0) {
          not_yet = 1;
          if (wait >= 0 && wait < timeout) timeout = wait;
        }
      }
      pfd[i].fd = w->busy ? w->fd : -1;
      pfd[i].events = POLLIN;
      busy += w->busy;
    }
    if ((!busy && input_done) || atomic_load(&sc_stop)) break;
    int n = poll(pfd, (nfds_t)ps.n, (int)timeout);
    if (n < 0 && errno != EINTR) break;
    for (long i = 0; n > 0 && i < ps.n; i++) {
      if (!pfd[i].revents) continue;
      if (collect(&ps, i) != 0) replace(&ps, i, !input_done);
    }
  }
  for (long i = 0; i < ps.n; i++)
    if (ps.w[i].fd >= 0) replace(&ps, i, 0); /* busy ones: abandoned */
  free(pfd);
  free(ps.w);
  return 0;
}
