/* resolver.c - c-ares driven by libuv, with shared in-flight queries and a
 * bounded TTL cache (see resolver.h for the contract).
 *
 * c-ares tells us through its socket-state callback which of its sockets to
 * watch; each gets one uv_poll_t, freed in its close callback. One timer
 * follows ares_timeout() (c-ares' retries), another the lookup deadlines:
 * queries are kept in creation order and all share timeout_ms, so the
 * oldest is always the next to expire.
 *
 * Every way into the resolver from the loop or the caller goes through
 * enter()/leave(). Callbacks may re-enter (look up, cancel, free); the timers
 * are re-armed, and a requested free carried out, only when the outermost
 * leave() runs, never under a c-ares call. */
#include "resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "htab.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 5000
#define TTL_MIN_S 1
#define TTL_MAX_S 3600
#define NEG_TTL_S 5
#define HOST_MAX 253 /* without a trailing dot */
#define RCVBUF_BYTES (1 << 20)

#define CONTAINER(p, type, member) \
  ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* Circular doubly-linked list with a sentinel head. */
struct link {
  struct link *prev, *next;
};

static void link_init(struct link *l) {
  l->prev = l->next = l;
}
static int link_empty(const struct link *head) {
  return head->next == head;
}

static void link_add_tail(struct link *head, struct link *l) {
  l->prev = head->prev;
  l->next = head;
  head->prev->next = l;
  head->prev = l;
}

static void link_del(struct link *l) {
  l->prev->next = l->next;
  l->next->prev = l->prev;
  link_init(l);
}

/* Kinds of cached answer. */
enum { KIND_OK, KIND_NXDOMAIN, KIND_NODATA };

/* One cached answer in a single allocation: key, NUL, addresses, NUL. */
struct centry {
  struct hnode h;   /* in r->cache */
  struct link age;  /* in r->cache_age, oldest first */
  uint64_t expires; /* uv_now() milliseconds */
  unsigned char kind;
  char data[];
};

enum { Q_PENDING, Q_ACTIVE, Q_DETACHED };

/* One name being looked up, shared by every waiter for it. A detached
 * query has timed out (its waiters are answered) but c-ares still owns it:
 * its answer only goes into the cache. */
struct query {
  struct hnode h;    /* in r->inflight by key, unless detached */
  struct link all;   /* r->queries: every query, owned by the resolver */
  struct link order; /* r->deadlines, creation order, until answered */
  struct link pend;  /* r->pending while Q_PENDING */
  struct sc_resolver *r;
  struct waiter *first, *last;
  long live; /* waiters not cancelled */
  uint64_t deadline;
  int state;
  char key[];
};

/* One caller waiting for a query. In r->ids while its callback may run. */
struct waiter {
  struct hnode h;
  struct waiter *next;
  struct query *q; /* NULL once taken off the query for delivery */
  unsigned long id;
  sc_resolve_cb cb; /* NULL once cancelled */
  void *arg;
};

/* One c-ares socket and its poll handle. */
struct sock {
  uv_poll_t poll;
  struct sc_resolver *r;
  struct sock *next;
  ares_socket_t fd;
  int events;
  int closing;
};

struct sc_resolver {
  uv_loop_t *loop;
  ares_channel channel;
  uv_timer_t ares_timer;     /* c-ares' next retry */
  uv_timer_t deadline_timer; /* the oldest query's deadline */
  int family;
  long timeout_ms;
  uint64_t seed;
  struct htab cache, inflight, ids;
  struct link cache_age, queries, deadlines, pending;
  struct sock *socks;
  long nactive;    /* lookups handed to c-ares */
  long max_active; /* SC_RESOLVER_MAX_QUERIES in lookups */
  unsigned long next_id;
  int depth; /* nesting of enter() */
  int pumping;
  int closing;   /* sc_resolver_free was called */
  int finalized; /* ... and carried out */
  int handles;   /* uv handles not yet closed */
};

static void pump(struct sc_resolver *r);
static void finalize(struct sc_resolver *r);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || errlen == 0) return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- c-ares library state ---- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_status = ARES_ENOTINITIALIZED;

static void lib_init(void) {
  lib_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* ---- cache ---- */

static const char *centry_addrs(const struct centry *e) {
  return e->data + strlen(e->data) + 1;
}

static void cache_del(struct sc_resolver *r, struct centry *e) {
  ht_del(&r->cache, &e->h);
  link_del(&e->age);
  free(e);
}

static struct centry *cache_find(struct sc_resolver *r, const char *key,
                                 uint64_t hash) {
  for (struct hnode *n = ht_chain(&r->cache, hash); n; n = n->next) {
    struct centry *e = CONTAINER(n, struct centry, h);
    if (n->hash == hash && strcmp(e->data, key) == 0) return e;
  }
  return NULL;
}

/* Frees room at the limit: every expired entry, then the oldest until a
 * sixteenth of the cache is free, so this full pass runs at most once per
 * SC_RESOLVER_CACHE_MAX / 16 insertions. */
static void cache_make_room(struct sc_resolver *r) {
  uint64_t now = uv_now(r->loop);
  size_t target = SC_RESOLVER_CACHE_MAX - SC_RESOLVER_CACHE_MAX / 16;
  for (struct link *l = r->cache_age.next, *next; l != &r->cache_age;
       l = next) {
    struct centry *e = CONTAINER(l, struct centry, age);
    next = l->next;
    if (e->expires <= now) cache_del(r, e);
  }
  while (r->cache.n > target)
    cache_del(r, CONTAINER(r->cache_age.next, struct centry, age));
}

static void cache_put(struct sc_resolver *r, const char *key, int kind,
                      const char *addrs, long ttl_s) {
  uint64_t hash = sc_hash_str(r->seed, key);
  struct centry *e = cache_find(r, key, hash);
  size_t klen = strlen(key), alen = strlen(addrs);
  if (e) cache_del(r, e);
  if (r->cache.n >= SC_RESOLVER_CACHE_MAX) cache_make_room(r);
  e = sc_xmalloc(sizeof *e + klen + alen + 2);
  e->h.hash = hash;
  e->expires = uv_now(r->loop) + (uint64_t)ttl_s * 1000;
  e->kind = (unsigned char)kind;
  memcpy(e->data, key, klen + 1);
  memcpy(e->data + klen + 1, addrs, alen + 1);
  ht_add(&r->cache, &e->h);
  link_add_tail(&r->cache_age, &e->age);
}

static void cache_clear(struct sc_resolver *r) {
  while (!link_empty(&r->cache_age))
    cache_del(r, CONTAINER(r->cache_age.next, struct centry, age));
}

/* ---- messages ---- */

static const char *family_name(int family) {
  return family == 4 ? "IPv4" : family == 6 ? "IPv6" : "IPv4 or IPv6";
}

/* The message for a negative answer of `kind`. */
static void negative_msg(char *buf, size_t len, const struct sc_resolver *r,
                         const char *host, int kind, int cached) {
  if (kind == KIND_NODATA)
    snprintf(buf, len, "%s: no %s address (NODATA)%s", host,
             family_name(r->family), cached ? " (cached)" : "");
  else
    snprintf(buf, len, "%s: no such host (NXDOMAIN)%s", host,
             cached ? " (cached)" : "");
}

/* sent: whether the query ever left (else it waited for a free slot all
 * along: the resolver, not the DNS server, was too busy). */
static void timeout_msg(char *buf, size_t len, const struct sc_resolver *r,
                        const char *host, int sent) {
  snprintf(buf, len, "%s: DNS lookup timed out after %ld ms%s", host,
           r->timeout_ms, sent ? "" : " (never sent: too many lookups queued)");
}

/* ---- timers and re-entrancy ---- */

static void on_ares_timer(uv_timer_t *t);
static void on_deadline(uv_timer_t *t);

/* Re-arms both timers from the current state, and lets the sockets keep
 * the loop alive only while lookups are outstanding (c-ares keeps its UDP
 * socket open when idle; an idle resolver must not stop uv_run from
 * returning). */
static void sync_timers(struct sc_resolver *r) {
  int busy = r->nactive > 0 || !link_empty(&r->pending);
  for (struct sock *s = r->socks; s; s = s->next)
    if (busy)
      uv_ref((uv_handle_t *)&s->poll);
    else
      uv_unref((uv_handle_t *)&s->poll);
  struct timeval tv, *tvp = ares_timeout(r->channel, NULL, &tv);
  if (tvp) {
    uint64_t ms =
        (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) / 1000;
    uv_timer_start(&r->ares_timer, on_ares_timer, ms, 0);
  } else {
    uv_timer_stop(&r->ares_timer);
  }
  if (!link_empty(&r->deadlines)) {
    struct query *q = CONTAINER(r->deadlines.next, struct query, order);
    uint64_t now = uv_now(r->loop);
    uv_timer_start(&r->deadline_timer, on_deadline,
                   q->deadline > now ? q->deadline - now : 0, 0);
  } else {
    uv_timer_stop(&r->deadline_timer);
  }
}

static void enter(struct sc_resolver *r) {
  r->depth++;
}

/* Leaves an entry point; the outermost one re-arms the timers or carries
 * out a requested free. r may be freed by the loop afterwards. */
static void leave(struct sc_resolver *r) {
  if (--r->depth > 0) return;
  if (r->closing) {
    if (!r->finalized) finalize(r);
    return;
  }
  sync_timers(r);
}

static void on_ares_timer(uv_timer_t *t) {
  struct sc_resolver *r = t->data;
  enter(r);
  ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  leave(r);
}

/* ---- sockets ---- */

static void on_handle_closed(uv_handle_t *h) {
  struct sc_resolver *r = h->data;
  if (--r->handles == 0) free(r);
}

static void on_sock_closed(uv_handle_t *h) {
  struct sock *s = h->data;
  struct sc_resolver *r = s->r;
  free(s);
  if (--r->handles == 0) free(r);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  struct sock *s = h->data;
  struct sc_resolver *r = s->r;
  ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;
  /* On an error (libuv has stopped the handle) let c-ares read and write
   * so that it sees the error itself and fails over. */
  if (status < 0 || (events & UV_READABLE)) rfd = s->fd;
  if (status < 0 || (events & UV_WRITABLE)) wfd = s->fd;
  enter(r);
  ares_process_fd(r->channel, rfd, wfd);
  if (status < 0 && !s->closing && !r->closing)
    uv_poll_start(&s->poll, s->events, on_poll);
  leave(r);
}

/* ARES_OPT_SOCK_STATE_CB: watch fd as asked; neither flag means c-ares is
 * about to close it, so the poll handle goes now (before the close). */
static void on_sock_state(void *data, ares_socket_t fd, int readable,
                          int writable) {
  struct sc_resolver *r = data;
  struct sock **pp = &r->socks, *s;
  while ((s = *pp) && s->fd != fd) pp = &s->next;
  if (!readable && !writable) {
    if (s) {
      *pp = s->next;
      s->closing = 1;
      uv_close((uv_handle_t *)&s->poll, on_sock_closed);
    }
    return;
  }
  if (!s) {
    s = sc_xcalloc(1, sizeof *s);
    /* On failure c-ares never hears from this socket and its queries time
     * out; there is no way to refuse a socket from here. */
    if (uv_poll_init_socket(r->loop, &s->poll, fd) != 0) {
      free(s);
      return;
    }
    s->r = r;
    s->fd = fd;
    s->poll.data = s;
    s->next = r->socks;
    r->socks = s;
    r->handles++;
  }
  s->events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&s->poll, s->events, on_poll);
}

/* ---- queries ---- */

/* Frees q and its remaining waiters; q must be off every list but `all`. */
static void query_free(struct query *q) {
  /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): link_del unlinks q */
  for (struct waiter *w = q->first, *next; w; w = next) {
    next = w->next;
    if (w->cb) ht_del(&q->r->ids, &w->h);
    free(w);
  }
  link_del(&q->all);
  free(q);
}

static struct query *query_find(struct sc_resolver *r, const char *key,
                                uint64_t hash) {
  for (struct hnode *n = ht_chain(&r->inflight, hash); n; n = n->next) {
    struct query *q = CONTAINER(n, struct query, h);
    if (n->hash == hash && strcmp(q->key, key) == 0) return q;
  }
  return NULL;
}

/* Takes the waiters off q (its lists stay as they are). */
static struct waiter *query_take_waiters(struct query *q) {
  struct waiter *w = q->first;
  for (struct waiter *p = w; p; p = p->next) p->q = NULL;
  q->first = q->last = NULL;
  q->live = 0;
  return w;
}

/* Calls the callbacks of waiters taken off their query, and frees them.
 * Runs inside enter()/leave(); stops calling once the resolver is freed. */
static void deliver(struct sc_resolver *r, struct waiter *w, int status,
                    const char *addrs, const char *err) {
  while (w) {
    struct waiter *next = w->next;
    if (w->cb) {
      ht_del(&r->ids, &w->h);
      if (!r->closing) w->cb(w->arg, status, addrs, err);
    }
    free(w);
    w = next;
  }
}

/* Appends the addresses of res to b ("a,b,[c]"; IPv4 first, no duplicates)
 * and returns the smallest TTL of the addresses and CNAMEs. */
static long format_addrs(const struct ares_addrinfo *res, struct sc_buf *b) {
  long ttl = LONG_MAX;
  for (int pass = 0; pass < 2; pass++) {
    int fam = pass ? AF_INET6 : AF_INET;
    for (const struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
      char ip[INET6_ADDRSTRLEN + 2];
      if (n->ai_family != fam) continue;
      if (fam == AF_INET) {
        struct sockaddr_in sin;
        memcpy(&sin, n->ai_addr, sizeof sin);
        inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof ip);
      } else {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, n->ai_addr, sizeof sin6);
        ip[0] = '[';
        inet_ntop(AF_INET6, &sin6.sin6_addr, ip + 1, sizeof ip - 2);
        /* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): fits */
        strcat(ip, "]");
      }
      size_t iplen = strlen(ip);
      int dup = 0;
      for (const char *p = b->data; p && *p && !dup;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        dup = len == iplen && memcmp(p, ip, len) == 0;
        p = end ? end + 1 : p + len;
      }
      if (dup) continue;
      if (b->len) sc_buf_addc(b, ',');
      sc_buf_adds(b, ip);
      if (n->ai_ttl < ttl) ttl = n->ai_ttl;
    }
  }
  for (const struct ares_addrinfo_cname *c = res->cnames; c; c = c->next)
    if (c->ttl < ttl) ttl = c->ttl;
  return ttl;
}

/* ares_getaddrinfo callback: caches the answer, answers the waiters. */
static void on_addrinfo(void *arg, int status, int timeouts,
                        struct ares_addrinfo *res) {
  struct query *q = arg;
  struct sc_resolver *r = q->r;
  struct sc_buf addrs = {0};
  char err[512] = "";
  int st, kind = -1;
  long ttl = NEG_TTL_S;
  (void)timeouts;
  if (r->finalized) { /* ares_destroy: ARES_EDESTRUCTION */
    if (res) ares_freeaddrinfo(res);
    query_free(q);
    return;
  }
  r->nactive--;
  if (status == ARES_SUCCESS && res && res->nodes) {
    ttl = format_addrs(res, &addrs);
    ttl = ttl < TTL_MIN_S ? TTL_MIN_S : ttl > TTL_MAX_S ? TTL_MAX_S : ttl;
    st = SC_RESOLVE_OK;
    kind = KIND_OK;
  } else if (status == ARES_SUCCESS || status == ARES_ENODATA) {
    st = SC_RESOLVE_NXDOMAIN;
    kind = KIND_NODATA;
  } else if (status == ARES_ENOTFOUND) {
    st = SC_RESOLVE_NXDOMAIN;
    kind = KIND_NXDOMAIN;
  } else if (status == ARES_ETIMEOUT) {
    st = SC_RESOLVE_TIMEOUT;
  } else {
    st = SC_RESOLVE_ERROR;
  }
  if (res) ares_freeaddrinfo(res);
  if (kind >= 0) cache_put(r, q->key, kind, addrs.len ? addrs.data : "", ttl);

  if (q->state != Q_DETACHED) {
    if (st == SC_RESOLVE_TIMEOUT)
      timeout_msg(err, sizeof err, r, q->key, 1);
    else if (st == SC_RESOLVE_ERROR)
      snprintf(err, sizeof err, "%s: DNS lookup failed: %s", q->key,
               ares_strerror(status));
    else if (st != SC_RESOLVE_OK)
      negative_msg(err, sizeof err, r, q->key, kind, 0);
    ht_del(&r->inflight, &q->h);
    link_del(&q->order);
    deliver(r, query_take_waiters(q), st, addrs.len ? addrs.data : "", err);
  }
  query_free(q);
  sc_buf_free(&addrs);
  pump(r);
}

/* Hands pending queries to c-ares while fewer than r->max_active are on
 * the wire. A query may be answered at once (/etc/hosts); the flag
 * keeps that from recursing. Runs inside enter()/leave(). */
static void pump(struct sc_resolver *r) {
  if (r->pumping) return;
  r->pumping = 1;
  while (!r->closing && r->nactive < r->max_active &&
         !link_empty(&r->pending)) {
    struct query *q = CONTAINER(r->pending.next, struct query, pend);
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = ARES_AI_NOSORT;
    hints.ai_family = r->family == 4   ? AF_INET
                      : r->family == 6 ? AF_INET6
                                       : AF_UNSPEC;
    link_del(&q->pend);
    q->state = Q_ACTIVE;
    r->nactive++;
    ares_getaddrinfo(r->channel, q->key, NULL, &hints, on_addrinfo, q);
  }
  r->pumping = 0;
}

/* Answers TIMEOUT to every query past its deadline. */
static void on_deadline(uv_timer_t *t) {
  struct sc_resolver *r = t->data;
  uint64_t now = uv_now(r->loop);
  enter(r);
  while (!r->closing && !link_empty(&r->deadlines)) {
    struct query *q = CONTAINER(r->deadlines.next, struct query, order);
    char err[512];
    int was_pending = q->state == Q_PENDING;
    if (q->deadline > now) break;
    link_del(&q->order);
    ht_del(&r->inflight, &q->h);
    if (was_pending)
      link_del(&q->pend);
    else
      q->state = Q_DETACHED; /* freed when c-ares is done with it */
    timeout_msg(err, sizeof err, r, q->key, !was_pending);
    deliver(r, query_take_waiters(q), SC_RESOLVE_TIMEOUT, "", err);
    if (was_pending) query_free(q);
  }
  leave(r);
}

/* ---- lookups ---- */

/* Answers that need no query: literals, RFC 6761 names, bad names and the
 * cache. Writes the lowercased name to key (HOST_MAX + 2 bytes). Returns 1
 * with status, addrs and msg filled if host is answered, else 0. */
static int answer_now(struct sc_resolver *r, const char *host, char *key,
                      int *status, struct sc_buf *addrs, char *msg,
                      size_t msglen) {
  size_t len = host ? strlen(host) : 0;
  unsigned char a[16];
  char ip[INET6_ADDRSTRLEN];
  int bracketed = len >= 2 && host[0] == '[' && host[len - 1] == ']';
  *status = SC_RESOLVE_ERROR;
  if (bracketed) {
    host++;
    len -= 2;
  }
  if (len == 0) {
    snprintf(msg, msglen, "empty host name");
    return 1;
  }
  if (len > HOST_MAX + (host[len - 1] == '.')) {
    snprintf(msg, msglen, "%.40s...: invalid host name (over %d bytes)", host,
             HOST_MAX);
    return 1;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)host[i];
    if (c <= ' ' || c == 0x7f || c == '/' || c == '\\' || c == '[' ||
        c == ']') {
      snprintf(msg, msglen, "%.*s: invalid host name", (int)len, host);
      return 1;
    }
    key[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  key[len] = '\0';

  if (inet_pton(AF_INET, key, a) == 1) {
    sc_buf_adds(addrs, inet_ntop(AF_INET, a, ip, sizeof ip));
    *status = SC_RESOLVE_OK;
    return 1;
  }
  if (inet_pton(AF_INET6, key, a) == 1) {
    sc_buf_printf(addrs, "[%s]", inet_ntop(AF_INET6, a, ip, sizeof ip));
    *status = SC_RESOLVE_OK;
    return 1;
  }
  if (bracketed) {
    snprintf(msg, msglen, "[%s]: invalid IPv6 address", key);
    return 1;
  }

  /* RFC 6761: "localhost" and "invalid" and their subdomains. */
  size_t n = key[len - 1] == '.' ? len - 1 : len;
  if ((n == 9 || (n > 9 && key[n - 10] == '.')) &&
      memcmp(key + n - 9, "localhost", 9) == 0) {
    if (r->family != 6) sc_buf_adds(addrs, "127.0.0.1");
    if (r->family == 0) sc_buf_addc(addrs, ',');
    if (r->family != 4) sc_buf_adds(addrs, "[::1]");
    *status = SC_RESOLVE_OK;
    return 1;
  }
  if ((n == 7 || (n > 7 && key[n - 8] == '.')) &&
      memcmp(key + n - 7, "invalid", 7) == 0) {
    negative_msg(msg, msglen, r, key, KIND_NXDOMAIN, 0);
    *status = SC_RESOLVE_NXDOMAIN;
    return 1;
  }

  uint64_t hash = sc_hash_str(r->seed, key);
  struct centry *e = cache_find(r, key, hash);
  if (!e) return 0;
  if (e->expires <= uv_now(r->loop)) {
    cache_del(r, e);
    return 0;
  }
  if (e->kind == KIND_OK) {
    sc_buf_adds(addrs, centry_addrs(e));
    *status = SC_RESOLVE_OK;
  } else {
    negative_msg(msg, msglen, r, key, e->kind, 1);
    *status = SC_RESOLVE_NXDOMAIN;
  }
  return 1;
}

static struct waiter *waiter_find(struct sc_resolver *r, unsigned long id) {
  uint64_t hash = sc_hash_u64(r->seed ^ id);
  for (struct hnode *n = ht_chain(&r->ids, hash); n; n = n->next) {
    struct waiter *w = CONTAINER(n, struct waiter, h);
    if (w->id == id) return w;
  }
  return NULL;
}

unsigned long sc_resolver_lookup(struct sc_resolver *r, const char *host,
                                 sc_resolve_cb cb, void *arg) {
  char key[HOST_MAX + 2], msg[512] = "";
  struct sc_buf addrs = {0};
  int status;
  unsigned long id;
  enter(r);
  if (r->closing) {
    snprintf(msg, sizeof msg, "%s: resolver is shut down", host ? host : "");
    cb(arg, SC_RESOLVE_ERROR, "", msg);
    leave(r);
    return 0;
  }
  if (answer_now(r, host, key, &status, &addrs, msg, sizeof msg)) {
    cb(arg, status, addrs.len ? addrs.data : "", msg);
    sc_buf_free(&addrs);
    leave(r);
    return 0;
  }

  uint64_t hash = sc_hash_str(r->seed, key);
  struct query *q = query_find(r, key, hash);
  if (!q) {
    size_t klen = strlen(key);
    q = sc_xcalloc(1, sizeof *q + klen + 1);
    memcpy(q->key, key, klen + 1);
    q->r = r;
    q->h.hash = hash;
    q->state = Q_PENDING;
    q->deadline = uv_now(r->loop) + (uint64_t)r->timeout_ms;
    ht_add(&r->inflight, &q->h);
    link_add_tail(&r->queries, &q->all);
    link_add_tail(&r->deadlines, &q->order);
    link_add_tail(&r->pending, &q->pend);
  }
  struct waiter *w = sc_xcalloc(1, sizeof *w);
  w->id = id = ++r->next_id;
  w->h.hash = sc_hash_u64(r->seed ^ id);
  w->cb = cb;
  w->arg = arg;
  w->q = q;
  if (q->last)
    q->last->next = w;
  else
    q->first = w;
  q->last = w;
  q->live++;
  ht_add(&r->ids, &w->h);

  pump(r); /* may answer at once, from /etc/hosts */
  if (!waiter_find(r, id)) id = 0;
  leave(r);
  return id;
}

void sc_resolver_cancel(struct sc_resolver *r, unsigned long id) {
  struct waiter *w;
  if (id == 0 || r->finalized || !(w = waiter_find(r, id))) return;
  ht_del(&r->ids, &w->h);
  w->cb = NULL;
  struct query *q = w->q;
  /* A query nobody waits for any more is dropped if not yet sent; one on
   * the wire runs on to fill the cache. */
  if (q && --q->live == 0 && q->state == Q_PENDING) {
    ht_del(&r->inflight, &q->h);
    link_del(&q->order);
    link_del(&q->pend);
    query_free(q);
  }
}

/* ---- life cycle ---- */

/* Checks one "ADDR[:PORT]" entry of a servers list (len bytes at s): an
 * IPv4 address, an IPv6 address, or either with a port 1-65535, IPv6 then
 * in brackets. c-ares alone would take "1.2.3.4:99999". */
static int server_entry_ok(const char *s, size_t len) {
  char host[INET6_ADDRSTRLEN + 1];
  unsigned char a[16];
  const char *port = NULL, *h = s;
  size_t hlen = len;
  if (len == 0 || len >= 64) return 0;
  if (s[0] == '[') {
    const char *close = memchr(s, ']', len);
    if (!close) return 0;
    h = s + 1;
    hlen = (size_t)(close - h);
    if (close + 1 < s + len) {
      if (close[1] != ':') return 0;
      port = close + 2;
    }
  } else {
    const char *colon = memchr(s, ':', len);
    if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
      hlen = (size_t)(colon - s);
      port = colon + 1;
    }
  }
  if (hlen == 0 || hlen >= sizeof host) return 0;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  if (s[0] == '[' ? inet_pton(AF_INET6, host, a) != 1
      : port      ? inet_pton(AF_INET, host, a) != 1
                  : inet_pton(AF_INET, host, a) != 1 &&
                   inet_pton(AF_INET6, host, a) != 1)
    return 0;
  if (port) {
    long v = 0;
    const char *end = s + len;
    if (port == end) return 0;
    for (const char *p = port; p < end; p++) {
      if (*p < '0' || *p > '9' || (v = v * 10 + (*p - '0')) > 65535) return 0;
    }
    if (v == 0) return 0;
  }
  return 1;
}

/* Checks a whole servers list; on a bad entry writes it to err. */
static int servers_ok(const char *servers, char *err, size_t errlen) {
  const char *p = servers;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (!server_entry_ok(p, len)) {
      set_err(err, errlen,
              "bad DNS server \"%.*s\" (want IPv4[:PORT] or [IPv6]:PORT)",
              (int)len, p);
      return 0;
    }
    if (!comma) return 1;
    p = comma + 1;
  }
}

struct sc_resolver *sc_resolver_new(uv_loop_t *loop, const char *servers,
                                    int family, long timeout_ms, char *err,
                                    size_t errlen) {
  struct ares_options o;
  int rc, mask;
  pthread_once(&lib_once, lib_init);
  if (lib_status != ARES_SUCCESS) {
    set_err(err, errlen, "c-ares: %s", ares_strerror(lib_status));
    return NULL;
  }
  if (family != 0 && family != 4 && family != 6) {
    set_err(err, errlen, "address family must be 0, 4 or 6, not %d", family);
    return NULL;
  }
  if (servers && !servers_ok(servers, err, errlen)) return NULL;
  if (timeout_ms <= 0) timeout_ms = DEFAULT_TIMEOUT_MS;
  if (timeout_ms > 3L * INT_MAX) timeout_ms = 3L * INT_MAX;

  struct sc_resolver *r = sc_xcalloc(1, sizeof *r);
  r->loop = loop;
  r->family = family;
  r->timeout_ms = timeout_ms;
  r->max_active =
      family ? SC_RESOLVER_MAX_QUERIES : SC_RESOLVER_MAX_QUERIES / 2;
  if (r->max_active < 1) r->max_active = 1;
  memset(&o, 0, sizeof o);
  o.sock_state_cb = on_sock_state;
  o.sock_state_cb_data = r;
  /* The first try waits a third of the time limit, but at most 1 s: a
   * query lost to a full receive buffer at the server (a local dnsmasq's
   * RcvbufErrors, with two loops sending 1,000 lookups at once) then costs
   * 1 s, not 3.3 s of the default -t (bench/dns: 10 s of 1.9 at -t 30).
   * c-ares doubles each next try's wait; as many tries as fill the limit
   * (two for up to 3 s: 1/3 + 2/3). */
  long first = timeout_ms / 3 > 1000 ? 1000 : timeout_ms / 3;
  if (first < 1) first = 1;
  int tries = 1;
  for (long wait = first, sum = first; sum < timeout_ms && tries < 16; tries++)
    sum += wait *= 2;
  o.timeout = (int)first;
  o.tries = tries;
  o.socket_receive_buffer_size = RCVBUF_BYTES;
  mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
         ARES_OPT_SOCK_RCVBUF;
  if (servers) { /* names as given: no search domains of resolv.conf */
    o.domains = NULL;
    o.ndomains = 0;
    mask |= ARES_OPT_DOMAINS;
  }
  rc = ares_init_options(&r->channel, &o, mask);
  if (rc != ARES_SUCCESS) {
    set_err(err, errlen, "c-ares: %s", ares_strerror(rc));
    free(r);
    return NULL;
  }
  if (servers) {
    rc = ares_set_servers_ports_csv(r->channel, servers);
    if (rc != ARES_SUCCESS) {
      set_err(err, errlen, "bad DNS servers \"%s\": %s", servers,
              ares_strerror(rc));
      ares_destroy(r->channel);
      free(r);
      return NULL;
    }
  }
  r->seed = sc_hash_u64(uv_hrtime() ^ (uint64_t)(uintptr_t)r);
  ht_init(&r->cache);
  ht_init(&r->inflight);
  ht_init(&r->ids);
  link_init(&r->cache_age);
  link_init(&r->queries);
  link_init(&r->deadlines);
  link_init(&r->pending);
  uv_timer_init(loop, &r->ares_timer);
  uv_timer_init(loop, &r->deadline_timer);
  r->ares_timer.data = r->deadline_timer.data = r;
  r->handles = 2;
  return r;
}

/* Carries out sc_resolver_free outside any callback: drops every waiter
 * and queued query, destroys the channel (which ends the queries on the
 * wire and closes its sockets) and closes the timers; the last close
 * callback frees r. */
static void finalize(struct sc_resolver *r) {
  r->finalized = 1;
  for (struct link *l = r->queries.next, *next; l != &r->queries; l = next) {
    struct query *q = CONTAINER(l, struct query, all);
    next = l->next;
    deliver(r, query_take_waiters(q), 0, "", ""); /* frees, calls none */
    if (q->state == Q_PENDING) query_free(q);
  }
  cache_clear(r);
  ares_destroy(r->channel); /* frees the rest through on_addrinfo */
  while (!link_empty(&r->queries))
    query_free(CONTAINER(r->queries.next, struct query, all));
  while (r->socks) { /* none normally: ares_destroy closed them */
    struct sock *s = r->socks;
    r->socks = s->next;
    s->closing = 1;
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
  }
  ht_free(&r->cache);
  ht_free(&r->inflight);
  ht_free(&r->ids);
  uv_close((uv_handle_t *)&r->ares_timer, on_handle_closed);
  uv_close((uv_handle_t *)&r->deadline_timer, on_handle_closed);
}

void sc_resolver_free(struct sc_resolver *r) {
  if (!r || r->closing) return;
  r->closing = 1;
  if (r->depth == 0) finalize(r);
}

/* ---- blocking ---- */

struct blocking {
  int done, status;
  char *addrs, *err;
  size_t cap, errlen;
  uv_loop_t *loop;
  int in_run; /* the answer comes from within uv_run, not at once */
};

static void on_blocking(void *arg, int status, const char *addrs,
                        const char *err) {
  struct blocking *b = arg;
  size_t len = strlen(addrs);
  b->done = 1;
  /* The answer may come from a timer (the deadline) run before the loop
   * polls: without this, that uv_run(UV_RUN_ONCE) would still wait for
   * the next timer, c-ares' next try (seen: 932 ms for a 400 ms limit).
   * Only from within uv_run, which clears the stop as it returns: a stop
   * left over would make the clean-up uv_run return at once, its handles
   * and descriptors unclosed. */
  if (b->in_run) uv_stop(b->loop);
  b->status = status;
  set_err(b->err, b->errlen, "%s", err);
  if (len < b->cap) {
    memcpy(b->addrs, addrs, len + 1);
  } else if (len) {
    b->status = SC_RESOLVE_ERROR;
    set_err(b->err, b->errlen, "address list too long (%zu bytes)", len);
  }
}

int sc_resolve_blocking(const char *host, const char *servers, int family,
                        long timeout_ms, char *addrs, size_t cap, char *err,
                        size_t errlen) {
  uv_loop_t loop;
  struct blocking b = {0, SC_RESOLVE_ERROR, addrs, err, cap, errlen, &loop, 0};
  struct sc_resolver *r;
  if (cap) addrs[0] = '\0';
  set_err(err, errlen, "%s", "");
  if (uv_loop_init(&loop) != 0) {
    set_err(err, errlen, "cannot create an event loop");
    return SC_RESOLVE_ERROR;
  }
  r = sc_resolver_new(&loop, servers, family, timeout_ms, err, errlen);
  if (r) {
    sc_resolver_lookup(r, host, on_blocking, &b);
    /* The deadline timer is active until the callback has run. */
    b.in_run = 1;
    while (!b.done && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    b.in_run = 0;
    if (!b.done)
      set_err(err, errlen, "%s: lookup did not finish", host ? host : "");
    sc_resolver_free(r);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  return b.done ? b.status : SC_RESOLVE_ERROR;
}
