/* floor: the least work a URL checker must do, as a yardstick for bench/run.
 *
 * Not a tool anyone would use, and not a peer: it shows what this machine
 * (kernel, loopback, nginx, 2 cores) allows, so that sitecheck's walls can
 * be read against that floor as well as against the ideal. It does only
 * what no checker can skip: connect, send a GET, read the status line and
 * the body's framing to the end, keep the connection for the next URL to
 * the same address. No name lookup, no TLS, no redirects, no URL parsing
 * beyond http://IPv4:PORT/path, no per-URL record, no timeouts; the whole
 * list is read into memory first. One epoll loop per CPU, each running its
 * share of -c; URLs are taken from one shared counter.
 *
 *   floor -c N FILE     prints a tally like sitecheck's: {"200": 10000}
 *
 * Any other failure (refused, reset, a response it cannot frame) counts as
 * "error"; a kept connection that the server closed before the request's
 * first byte came back is retried once on a fresh one, as every client
 * does. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DESTS 4096 /* distinct IP:port pairs in one list */
#define MAX_THREADS 64
/* A response that does not end within this many bytes is an error. */
#define RESP_MAX 8192
#define NCODES 600

struct url {
  uint32_t addr; /* network order */
  uint16_t port; /* network order */
  uint16_t dest; /* index of addr:port */
  const char *path;
  const char *host; /* "IP:PORT" for the Host header */
};

struct conn {
  int fd;
  int dest;
  int connected; /* connect() has completed */
  int reused;    /* was idle before this request */
  int idle;
  struct url *u; /* request in progress, NULL when idle */
  size_t have;
  char *buf; /* NUL-terminated; only for a response that took more than
              * one read (most fit in one: see on_event) */
  struct conn *next_idle;
};

struct worker {
  pthread_t tid;
  int ep;
  int slots; /* checks in flight at most */
  int busy;  /* of those, in progress */
  struct conn *idle[MAX_DESTS];
  long codes[NCODES];
  long errors;
};

static struct url *urls;
static size_t nurls;
static atomic_size_t next_url;

static void die(const char *msg) {
  fprintf(stderr, "floor: %s\n", msg);
  exit(2);
}

/* Reads FILE into urls[]; every line must be http://a.b.c.d:port/path. */
static void load(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) die("cannot open the list");
  char line[2048];
  size_t cap = 1024;
  uint64_t keys[MAX_DESTS];
  int ndest = 0;
  urls = malloc(cap * sizeof *urls);
  if (!urls) die("out of memory");
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0]) continue;
    char ip[64];
    unsigned port;
    int off = 0;
    if (sscanf(line, "http://%63[0-9.]:%u%n", ip, &port, &off) != 2 ||
        line[off] != '/' || port == 0 || port > 65535)
      die("only http://IPv4:PORT/path URLs");
    if (nurls == cap) {
      struct url *grown = realloc(urls, (cap *= 2) * sizeof *urls);
      if (!grown) die("out of memory");
      urls = grown;
    }
    struct url *u = &urls[nurls++];
    if (inet_pton(AF_INET, ip, &u->addr) != 1) die("bad IPv4 address");
    u->port = htons((uint16_t)port);
    uint64_t key = ((uint64_t)u->addr << 16) | u->port;
    int d = 0;
    while (d < ndest && keys[d] != key) d++;
    if (d == ndest) {
      if (ndest == MAX_DESTS) die("too many addresses");
      keys[ndest++] = key;
    }
    u->dest = (uint16_t)d;
    u->path = strdup(line + off);
    line[off] = '\0';
    u->host = strdup(line + 7);
  }
  fclose(f);
}

static void watch(struct worker *w, struct conn *c, uint32_t events, int op) {
  /* Field by field: the static analyser loses a pointer stored through a
   * designated union initialiser and would report c as leaked. */
  struct epoll_event e;
  e.events = events;
  e.data.ptr = c;
  if (epoll_ctl(w->ep, op, c->fd, &e) != 0) die("epoll_ctl");
}

static void drop(struct worker *w, struct conn *c) {
  epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->buf);
  free(c);
}

static int send_request(struct conn *c) {
  char req[2300];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: floor\r\n"
                   "Accept: */*\r\n\r\n",
                   c->u->path, c->u->host);
  c->have = 0;
  return send(c->fd, req, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/* A fresh connection for u, or NULL. */
static struct conn *dial(struct worker *w, struct url *u) {
  struct conn *c = calloc(1, sizeof *c);
  if (!c) die("out of memory");
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0) {
    free(c);
    return NULL;
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = u->port};
  a.sin_addr.s_addr = u->addr;
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 &&
      errno != EINPROGRESS) {
    close(c->fd);
    free(c);
    return NULL;
  }
  c->dest = u->dest;
  c->u = u;
  watch(w, c, EPOLLOUT, EPOLL_CTL_ADD);
  return c;
}

/* Starts u on a kept connection to its address, else on a new one. */
static void start(struct worker *w, struct url *u) {
  struct conn *c;
  while ((c = w->idle[u->dest])) {
    w->idle[u->dest] = c->next_idle;
    c->idle = 0;
    c->u = u;
    c->reused = 1;
    if (send_request(c) == 0) {
      w->busy++;
      return;
    }
    drop(w, c); /* closed while idle */
  }
  c = dial(w, u);
  if (!c) {
    w->errors++;
    return;
  }
  w->busy++;
}

/* Takes URLs while slots are free. */
static void refill(struct worker *w) {
  while (w->busy < w->slots) {
    size_t i = atomic_fetch_add(&next_url, 1);
    if (i >= nurls) return;
    start(w, &urls[i]);
  }
}

/* 1 when buf[0..n) holds a whole response (*code set), 0 when more is
 * needed, -1 when it cannot be framed. */
static int complete(const char *buf, size_t n, int *code, int *close_after) {
  const char *end = memmem(buf, n, "\r\n\r\n", 4);
  if (!end) return n >= RESP_MAX ? -1 : 0;
  if (n < 12 || strncmp(buf, "HTTP/1.", 7) != 0) return -1;
  *code = atoi(buf + 9);
  const char *body = end + 4;
  size_t hlen = (size_t)(body - buf), blen = n - hlen;
  long clen = -1;
  int chunked = 0;
  *close_after = 0;
  for (const char *p = strstr(buf, "\r\n") + 2; p < end;) {
    const char *eol = strstr(p, "\r\n");
    size_t len = (size_t)(eol - p);
    if (!strncasecmp(p, "Content-Length:", 15)) clen = atol(p + 15);
    if (!strncasecmp(p, "Transfer-Encoding:", 18) &&
        memmem(p, len, "chunked", 7))
      chunked = 1;
    if (!strncasecmp(p, "Connection:", 11) && memmem(p, len, "close", 5))
      *close_after = 1;
    p = eol + 2;
  }
  if (chunked) { /* walk the chunks; no trailers */
    size_t off = 0;
    for (;;) {
      const char *nl = memmem(body + off, blen - off, "\r\n", 2);
      if (!nl) return 0;
      long size = strtol(body + off, NULL, 16);
      if (size < 0) return -1;
      off = (size_t)(nl - body) + 2;
      if (size == 0) return blen >= off + 2 ? 1 : 0;
      off += (size_t)size + 2;
      if (off > blen) return 0;
    }
  }
  if (clen >= 0) return blen >= (size_t)clen ? 1 : 0;
  return -1; /* close-delimited bodies are not worth the yardstick */
}

static void finished(struct worker *w, struct conn *c, int code, int keep) {
  if (code > 0 && code < NCODES)
    w->codes[code]++;
  else
    w->errors++;
  w->busy--;
  c->u = NULL;
  if (!keep) {
    drop(w, c);
    return;
  }
  c->idle = 1;
  c->reused = 0;
  c->next_idle = w->idle[c->dest];
  w->idle[c->dest] = c;
}

static void on_event(struct worker *w, struct conn *c, uint32_t ev) {
  if (c->idle) { /* the server closed a kept connection: forget it */
    struct conn **p = &w->idle[c->dest];
    while (*p != c) p = &(*p)->next_idle;
    *p = c->next_idle;
    drop(w, c);
    return;
  }
  if (!c->connected) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (ev & (EPOLLERR | EPOLLHUP)) || send_request(c) != 0) {
      finished(w, c, 0, 0);
      return;
    }
    c->connected = 1;
    watch(w, c, EPOLLIN, EPOLL_CTL_MOD);
    return;
  }
  /* The first read goes to the thread's scratch buffer; a response that
   * needs more reads is collected in a buffer of the connection's own.
   * (A buffer per connection up front cost 80 MB of page faults at
   * -c 10000: 0.25 s.) */
  static _Thread_local char scratch[RESP_MAX + 1];
  if (c->have && !c->buf) die("lost a partial response");
  char *buf = c->have ? c->buf : scratch;
  ssize_t r = recv(c->fd, buf + c->have, RESP_MAX - c->have, 0);
  if (r <= 0) {
    if (r < 0 && errno == EAGAIN) return;
    struct url *u = c->u;
    int retry = c->reused && c->have == 0;
    if (retry) {
      w->busy--;
      drop(w, c);
      if (dial(w, u))
        w->busy++;
      else
        w->errors++;
    } else {
      finished(w, c, 0, 0);
    }
    return;
  }
  c->have += (size_t)r;
  buf[c->have] = '\0';
  int code = 0, close_after = 0;
  int done = complete(buf, c->have, &code, &close_after);
  if (done == 0 && buf == scratch) {
    if (!c->buf && !(c->buf = malloc(RESP_MAX + 1))) die("out of memory");
    memcpy(c->buf, scratch, c->have + 1);
  }
  if (done != 0) c->have = 0;
  if (done < 0) finished(w, c, 0, 0);
  if (done > 0) finished(w, c, code, !close_after);
}

static void *work(void *arg) {
  struct worker *w = arg;
  struct epoll_event evs[256];
  refill(w);
  while (w->busy > 0) {
    int n = epoll_wait(w->ep, evs, 256, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) on_event(w, evs[i].data.ptr, evs[i].events);
    refill(w);
  }
  for (int d = 0; d < MAX_DESTS; d++)
    while (w->idle[d]) {
      struct conn *c = w->idle[d];
      w->idle[d] = c->next_idle;
      drop(w, c);
    }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4 || strcmp(argv[1], "-c") != 0) die("usage: floor -c N FILE");
  int conc = atoi(argv[2]);
  if (conc < 1) die("-c must be at least 1");
  load(argv[3]);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int nw = (int)(ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : ncpu);
  if (nw > conc) nw = conc;
  static struct worker ws[MAX_THREADS];
  for (int i = 0; i < nw; i++) {
    ws[i].ep = epoll_create1(0);
    ws[i].slots = conc / nw + (i < conc % nw);
    pthread_create(&ws[i].tid, NULL, work, &ws[i]);
  }
  long codes[NCODES] = {0}, errors = 0;
  for (int i = 0; i < nw; i++) {
    pthread_join(ws[i].tid, NULL);
    for (int k = 0; k < NCODES; k++) codes[k] += ws[i].codes[k];
    errors += ws[i].errors;
  }
  const char *sep = "";
  printf("{");
  for (int k = 0; k < NCODES; k++)
    if (codes[k]) {
      printf("%s\"%d\": %ld", sep, k, codes[k]);
      sep = ", ";
    }
  if (errors) printf("%s\"error\": %ld", sep, errors);
  printf("}\n");
  return 0;
}
