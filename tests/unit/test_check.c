/* test_check.c - the check core's keep-the-connection callback: what the
 * engine installs decides whether a check's connection survives for the
 * next, against a small keep-alive HTTP server on 127.0.0.1 that counts
 * the connections it accepts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "job.h"
#include "opts.h"
#include "result.h"
#include "util.h"
#include "unit.h"

#define MAX_CONNS 16

/* Answers every request head on every connection with an empty 200,
 * keeping the connection open, until stop is set. */
struct server {
  int lfd;
  int port;
  atomic_int stop;
  atomic_int accepted;
  pthread_t tid;
};

static void *serve_main(void *arg) {
  struct server *sv = arg;
  struct pollfd p[MAX_CONNS + 1];
  char buf[MAX_CONNS][4096];
  size_t have[MAX_CONNS];
  int n = 0;
  p[0] = (struct pollfd){.fd = sv->lfd, .events = POLLIN};
  while (!atomic_load(&sv->stop)) {
    if (poll(p, (nfds_t)n + 1, 50) <= 0) continue;
    if ((p[0].revents & POLLIN) && n < MAX_CONNS) {
      int fd = accept(sv->lfd, NULL, NULL);
      if (fd >= 0) {
        atomic_fetch_add(&sv->accepted, 1);
        p[n + 1] = (struct pollfd){.fd = fd, .events = POLLIN};
        have[n++] = 0;
      }
    }
    for (int i = 0; i < n; i++) {
      if (p[i + 1].fd < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP))) continue;
      ssize_t got =
          read(p[i + 1].fd, buf[i] + have[i], sizeof buf[i] - 1 - have[i]);
      if (got <= 0) {
        close(p[i + 1].fd);
        p[i + 1].fd = -1;
        continue;
      }
      have[i] += (size_t)got;
      buf[i][have[i]] = '\0';
      char *end;
      while ((end = strstr(buf[i], "\r\n\r\n"))) {
        static const char reply[] =
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        if (write(p[i + 1].fd, reply, sizeof reply - 1) < 0) break;
        size_t used = (size_t)(end + 4 - buf[i]);
        memmove(buf[i], end + 4, have[i] - used + 1);
        have[i] -= used;
      }
    }
  }
  for (int i = 0; i < n; i++)
    if (p[i + 1].fd >= 0) close(p[i + 1].fd);
  return NULL;
}

static void server_start(struct server *sv) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof a;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(sv->lfd, 16) != 0 ||
      getsockname(sv->lfd, (struct sockaddr *)&a, &len) != 0)
    abort();
  sv->port = ntohs(a.sin_port);
  atomic_store(&sv->stop, 0);
  atomic_store(&sv->accepted, 0);
  pthread_create(&sv->tid, NULL, serve_main, sv);
}

static void server_stop(struct server *sv) {
  atomic_store(&sv->stop, 1);
  pthread_join(sv->tid, NULL);
  close(sv->lfd);
}

/* The engine's side of the callback: a fixed answer, and what it saw. */
struct keeper {
  int answer;
  int calls;
  uint64_t last_line;
};

static int keep_fn(void *arg, const struct sc_job *job) {
  struct keeper *k = arg;
  k->calls++;
  k->last_line = job->lineno;
  return k->answer;
}

/* Checks two URLs of the server, one after the other, with one check
 * (one easy handle, whose cache keeps one connection); k NULL leaves
 * keep_fn unset and alone decides. Returns the connections accepted. */
static int two_checks(struct keeper *k, int alone) {
  static atomic_int stop;
  struct server sv;
  struct sc_opts o;
  char *argv[] = {"sitecheck", "-m", "serial", "-q"};
  if (sc_opts_parse(&o, 4, argv) != 0) abort();
  EXPECT(o.reuse);
  unsetenv("http_proxy");
  unsetenv("all_proxy");
  unsetenv("ALL_PROXY");
  server_start(&sv);
  struct sc_check c;
  sc_check_init(&c, &o, &stop, 1);
  if (k) {
    c.keep_fn = keep_fn;
    c.keep_arg = k;
  }
  for (int i = 1; i <= 2; i++) {
    char url[64];
    struct sc_result r;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/%d", sv.port, i);
    c.job.url = sc_xstrdup(url);
    c.job.host = sc_xstrdup("127.0.0.1");
    c.job.port = sv.port;
    c.job.ip_literal = 1;
    c.job.lineno = (uint64_t)i;
    c.job.alone = alone;
    EXPECT(sc_check_run_blocking(&c, &r) == 0);
    EXPECT_EQ(r.a.status, 200);
    sc_job_clear(&c.job);
  }
  sc_check_cleanup(&c);
  server_stop(&sv);
  sc_opts_free(&o);
  return atomic_load(&sv.accepted);
}

/* The engine's callback decides, at each check's final head, with the
 * check's job; the start-time hint is not consulted then. */
TEST(check_keep_fn) {
  struct keeper keep = {.answer = 1}, close_it = {.answer = 0};
  EXPECT_EQ(two_checks(&keep, 0), 1);
  EXPECT_EQ(keep.calls, 2);
  EXPECT_EQ(keep.last_line, 2);
  EXPECT_EQ(two_checks(&close_it, 0), 2);
  EXPECT_EQ(close_it.calls, 2);
}

/* Without a callback (a worker process) the job's hint decides: a check
 * alone on its host closes its connection, any other keeps it. */
TEST(check_keep_without_fn) {
  EXPECT_EQ(two_checks(NULL, 0), 1);
  EXPECT_EQ(two_checks(NULL, 1), 2);
}
