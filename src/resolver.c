/* resolver.c - c-ares driven by libuv, with shared in-flight queries and a
 * bounded TTL cache in two levels: the resolver's own, unlocked, and the
 * run's shared one behind it (see resolver.h for the contract).
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

#include "dnscache.h"
#include "htab.h"
#include "list.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 5000
#define TTL_MIN_S 1
#define TTL_MAX_S 3600
#define NEG_TTL_S 5
#define HOST_MAX 253 /* without a trailing dot */
#define RCVBUF_BYTES (1 << 20)

enum { Q_PENDING, Q_ACTIVE, Q_DETACHED };

/* One name being looked up, shared by every waiter for it. A detached
 * query has timed out (its waiters are answered) but c-ares still owns it:
 * its answer only goes into the cache. */
struct query {
  struct sc_hnode h;    /* in r->inflight by key, unless detached */
  struct sc_link all;   /* r->queries: every query, owned by the resolver */
  struct sc_link order; /* r->deadlines, creation order, until answered */
  struct sc_link pend;  /* r->pending while Q_PENDING */
  struct sc_resolver *r;
  struct waiter *first, *last;
  long live; /* waiters not cancelled */
  uint64_t deadline;
  int state;
  char key[];
};

/* One caller waiting for a query. In r->ids while its callback may run. */
struct waiter {
  struct sc_hnode h;
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
  struct sc_dnscache *front;  /* this resolver's own, unlocked */
  struct sc_dnscache *shared; /* the run's, behind it, or NULL */
  struct sc_htab inflight, ids;
  struct sc_link queries, deadlines, pending;
  struct sock *socks;
  long nactive;    /* lookups handed to c-ares */
  long max_active; /* its share of SC_RESOLVER_MAX_QUERIES, in lookups */
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

/* Caches an answer in the resolver's own cache and the shared one. The
 * own one runs on loop time, read for free; the shared one, asked only on
 * a miss, on the clock itself (loops' times differ a little). */
static void cache_put(struct sc_resolver *r, const char *key, int kind,
                      const char *data, long ttl_s) {
  sc_dnscache_put(r->front, key, (double)uv_now(r->loop), kind, data,
                  ttl_s * 1000);
  if (r->shared)
    sc_dnscache_put(r->shared, key, sc_now_ms(), kind, data, ttl_s * 1000);
}

/* Counts a failed lookup of key in the shared cache (the run's failure
 * memory); msg says how it failed. */
static void cache_failed(struct sc_resolver *r, const char *key,
                         const char *msg) {
  if (r->shared) sc_dnscache_failed(r->shared, key, sc_now_ms(), msg);
}

/* ---- messages ---- */

static const char *family_name(int family) {
  return family == 4 ? "IPv4" : family == 6 ? "IPv6" : "IPv4 or IPv6";
}

/* The message for a negative answer of `kind` (SC_DNS_NXDOMAIN or
 * SC_DNS_NODATA). */
static void negative_msg(char *buf, size_t len, int family, const char *host,
                         int kind, int cached) {
  if (kind == SC_DNS_NODATA)
    snprintf(buf, len, "%s: no %s address (NODATA)%s", host,
             family_name(family), cached ? " (cached)" : "");
  else
    snprintf(buf, len, "%s: no such host (NXDOMAIN)%s", host,
             cached ? " (cached)" : "");
}

/* sent: whether the query ever left (else it waited for a free slot all
 * along: the resolver, not the DNS server, was too busy). */
static void timeout_msg(char *buf, size_t len, long timeout_ms,
                        const char *host, int sent) {
  snprintf(buf, len, "%s: DNS lookup timed out after %ld ms%s", host,
           timeout_ms, sent ? "" : " (never sent: too many lookups queued)");
}

/* Turns a cache hit (kind, ttl_ms left, data) into a lookup's answer: the
 * status, with the addresses left in data, or data emptied and the
 * message in msg. A remembered failure repeats the failed lookup's
 * message and says so. */
static int hit_answer(int family, const char *key, int kind, long ttl_ms,
                      struct sc_buf *data, char *msg, size_t msglen) {
  if (kind == SC_DNS_ADDRS) return SC_RESOLVE_OK;
  if (kind == SC_DNS_FAILED)
    snprintf(msg, msglen, "%s (an earlier lookup; not asked again for %ld s)",
             data->len ? data->data : key, (ttl_ms + 999) / 1000);
  else
    negative_msg(msg, msglen, family, key, kind, 1);
  data->len = 0;
  return kind == SC_DNS_FAILED ? SC_RESOLVE_FAILED_BEFORE : SC_RESOLVE_NXDOMAIN;
}

/* Whether a failed ares_getaddrinfo status says the DNS server failed the
 * lookup (no answer, SERVFAIL, REFUSED, unreachable, a broken reply), as
 * opposed to our own state (cancelled, out of memory, a bad name). */
static int server_failure(int status) {
  switch (status) {
    case ARES_ETIMEOUT:
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED:
    case ARES_EBADRESP:
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
      return 1;
    default:
      return 0;
  }
}

/* ---- timers and re-entrancy ---- */

static void on_ares_timer(uv_timer_t *t);
static void on_deadline(uv_timer_t *t);

/* Re-arms both timers from the current state, and lets the sockets keep
 * the loop alive only while lookups are outstanding (c-ares keeps its UDP
 * socket open when idle; an idle resolver must not stop uv_run from
 * returning). */
static void sync_timers(struct sc_resolver *r) {
  int busy = r->nactive > 0 || !sc_link_empty(&r->pending);
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
  if (!sc_link_empty(&r->deadlines)) {
    struct query *q = SC_CONTAINER(r->deadlines.next, struct query, order);
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
    if (w->cb) sc_ht_del(&q->r->ids, &w->h);
    free(w);
  }
  sc_link_del(&q->all);
  free(q);
}

static struct query *query_find(struct sc_resolver *r, const char *key,
                                uint64_t hash) {
  return SC_HT_FIND(&r->inflight, hash, key, struct query, h, key);
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
      sc_ht_del(&r->ids, &w->h);
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
    kind = SC_DNS_ADDRS;
  } else if (status == ARES_SUCCESS || status == ARES_ENODATA) {
    st = SC_RESOLVE_NXDOMAIN;
    kind = SC_DNS_NODATA;
  } else if (status == ARES_ENOTFOUND) {
    st = SC_RESOLVE_NXDOMAIN;
    kind = SC_DNS_NXDOMAIN;
  } else if (status == ARES_ETIMEOUT) {
    st = SC_RESOLVE_TIMEOUT;
  } else {
    st = SC_RESOLVE_ERROR;
  }
  if (res) ares_freeaddrinfo(res);
  if (kind >= 0) cache_put(r, q->key, kind, addrs.len ? addrs.data : "", ttl);

  /* A detached query's failure was counted when its deadline passed. */
  if (q->state != Q_DETACHED) {
    if (st == SC_RESOLVE_TIMEOUT)
      timeout_msg(err, sizeof err, r->timeout_ms, q->key, 1);
    else if (st == SC_RESOLVE_ERROR)
      snprintf(err, sizeof err, "%s: DNS lookup failed: %s", q->key,
               ares_strerror(status));
    else if (st != SC_RESOLVE_OK)
      negative_msg(err, sizeof err, r->family, q->key, kind, 0);
    if (st != SC_RESOLVE_OK && kind < 0 && server_failure(status))
      cache_failed(r, q->key, err);
    sc_ht_del(&r->inflight, &q->h);
    sc_link_del(&q->order);
    deliver(r, query_take_waiters(q), st, addrs.len ? addrs.data : "", err);
  }
  query_free(q);
  sc_buf_free(&addrs);
  pump(r);
}

/* Hands pending queries to c-ares while fewer than r->max_active are on
 * the wire. A query may be answered at once (/etc/hosts); the flag
 * keeps that from recursing. A query whose deadline has passed while it
 * waited is not sent (on_deadline answers it; pending is in deadline
 * order, so none behind it is sent either until then). Runs inside
 * enter()/leave(). */
static void pump(struct sc_resolver *r) {
  if (r->pumping) return;
  r->pumping = 1;
  while (!r->closing && r->nactive < r->max_active &&
         !sc_link_empty(&r->pending)) {
    struct query *q = SC_CONTAINER(r->pending.next, struct query, pend);
    if (q->deadline <= uv_now(r->loop)) break;
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = ARES_AI_NOSORT;
    hints.ai_family = r->family == 4   ? AF_INET
                      : r->family == 6 ? AF_INET6
                                       : AF_UNSPEC;
    sc_link_del(&q->pend);
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
  while (!r->closing && !sc_link_empty(&r->deadlines)) {
    struct query *q = SC_CONTAINER(r->deadlines.next, struct query, order);
    char err[512];
    int was_pending = q->state == Q_PENDING;
    if (q->deadline > now) break;
    sc_link_del(&q->order);
    sc_ht_del(&r->inflight, &q->h);
    if (was_pending)
      sc_link_del(&q->pend);
    else
      q->state = Q_DETACHED; /* freed when c-ares is done with it */
    timeout_msg(err, sizeof err, r->timeout_ms, q->key, !was_pending);
    /* Only a query that went out says something about the name. */
    if (!was_pending) cache_failed(r, q->key, err);
    deliver(r, query_take_waiters(q), SC_RESOLVE_TIMEOUT, "", err);
    if (was_pending) query_free(q);
  }
  pump(r); /* the queries that waited behind those */
  leave(r);
}

/* ---- lookups ---- */

/* Answers that need no DNS: literals, RFC 6761 names and bad names, for
 * lookups of `family`. Writes the lowercased name to key (HOST_MAX + 2
 * bytes). Returns 1 with status, addrs and msg filled if host is
 * answered, else 0. */
static int answer_name(int family, const char *host, char *key, int *status,
                       struct sc_buf *addrs, char *msg, size_t msglen) {
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
    if (family != 6) sc_buf_adds(addrs, "127.0.0.1");
    if (family == 0) sc_buf_addc(addrs, ',');
    if (family != 4) sc_buf_adds(addrs, "[::1]");
    *status = SC_RESOLVE_OK;
    return 1;
  }
  if ((n == 7 || (n > 7 && key[n - 8] == '.')) &&
      memcmp(key + n - 7, "invalid", 7) == 0) {
    negative_msg(msg, msglen, family, key, SC_DNS_NXDOMAIN, 0);
    *status = SC_RESOLVE_NXDOMAIN;
    return 1;
  }
  return 0;
}

/* Answers from the resolver's own cache, or with shared set from the
 * run's (copying the entry into its own, for the next hit without a
 * lock). Returns 1 with status, addrs and msg filled on a hit, else 0. */
static int answer_cached(struct sc_resolver *r, int shared, const char *key,
                         int *status, struct sc_buf *addrs, char *msg,
                         size_t msglen) {
  int kind;
  long ttl_ms;
  double loop_now = (double)uv_now(r->loop);
  if (!sc_dnscache_get(shared ? r->shared : r->front, key,
                       shared ? sc_now_ms() : loop_now, &kind, &ttl_ms, addrs))
    return 0;
  if (shared)
    sc_dnscache_put(r->front, key, loop_now, kind,
                    addrs->len ? addrs->data : "", ttl_ms);
  *status = hit_answer(r->family, key, kind, ttl_ms, addrs, msg, msglen);
  return 1;
}

static struct waiter *waiter_find(struct sc_resolver *r, unsigned long id) {
  uint64_t hash = sc_hash_u64(r->seed ^ id);
  for (struct sc_hnode *n = sc_ht_chain(&r->ids, hash); n; n = n->next) {
    struct waiter *w = SC_CONTAINER(n, struct waiter, h);
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
  /* The run's cache is asked (under its lock) only when neither this
   * resolver's cache nor a query of the name under way answers. */
  uint64_t hash = 0;
  struct query *q = NULL;
  int answered =
      answer_name(r->family, host, key, &status, &addrs, msg, sizeof msg) ||
      answer_cached(r, 0, key, &status, &addrs, msg, sizeof msg);
  if (!answered) {
    hash = sc_hash_str(r->seed, key);
    q = query_find(r, key, hash);
    answered = !q && r->shared &&
               answer_cached(r, 1, key, &status, &addrs, msg, sizeof msg);
  }
  if (answered) {
    cb(arg, status, addrs.len ? addrs.data : "", msg);
    sc_buf_free(&addrs);
    leave(r);
    return 0;
  }
  if (!q) {
    size_t klen = strlen(key);
    q = sc_xcalloc(1, sizeof *q + klen + 1);
    memcpy(q->key, key, klen + 1);
    q->r = r;
    q->h.hash = hash;
    q->state = Q_PENDING;
    q->deadline = uv_now(r->loop) + (uint64_t)r->timeout_ms;
    sc_ht_add(&r->inflight, &q->h);
    sc_link_add_tail(&r->queries, &q->all);
    sc_link_add_tail(&r->deadlines, &q->order);
    sc_link_add_tail(&r->pending, &q->pend);
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
  sc_ht_add(&r->ids, &w->h);

  pump(r); /* may answer at once, from /etc/hosts */
  if (!waiter_find(r, id)) id = 0;
  leave(r);
  return id;
}

void sc_resolver_cancel(struct sc_resolver *r, unsigned long id) {
  struct waiter *w;
  if (id == 0 || r->finalized || !(w = waiter_find(r, id))) return;
  sc_ht_del(&r->ids, &w->h);
  w->cb = NULL;
  struct query *q = w->q;
  /* A query nobody waits for any more is dropped if not yet sent; one on
   * the wire runs on to fill the cache. */
  if (q && --q->live == 0 && q->state == Q_PENDING) {
    sc_ht_del(&r->inflight, &q->h);
    sc_link_del(&q->order);
    sc_link_del(&q->pend);
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

void sc_resolver_set_shares(struct sc_resolver *r, int shares) {
  long queries = SC_RESOLVER_MAX_QUERIES / (shares < 1 ? 1 : shares);
  /* A lookup of both families sends two queries. */
  r->max_active = r->family ? queries : queries / 2;
  if (r->max_active < 1) r->max_active = 1;
}

struct sc_resolver *sc_resolver_new(uv_loop_t *loop, struct sc_dnscache *shared,
                                    const char *servers, int family,
                                    long timeout_ms, char *err, size_t errlen) {
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
  sc_resolver_set_shares(r, 1);
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
  r->front = sc_dnscache_new(SC_RESOLVER_CACHE_MAX, SC_RESOLVER_CACHE_BYTES, 0);
  r->shared = shared;
  sc_ht_init(&r->inflight);
  sc_ht_init(&r->ids);
  sc_link_init(&r->queries);
  sc_link_init(&r->deadlines);
  sc_link_init(&r->pending);
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
  for (struct sc_link *l = r->queries.next, *next; l != &r->queries; l = next) {
    struct query *q = SC_CONTAINER(l, struct query, all);
    next = l->next;
    deliver(r, query_take_waiters(q), 0, "", ""); /* frees, calls none */
    if (q->state == Q_PENDING) query_free(q);
  }
  sc_dnscache_free(r->front);
  r->front = NULL;
  ares_destroy(r->channel); /* frees the rest through on_addrinfo */
  while (!sc_link_empty(&r->queries))
    query_free(SC_CONTAINER(r->queries.next, struct query, all));
  while (r->socks) { /* none normally: ares_destroy closed them */
    struct sock *s = r->socks;
    r->socks = s->next;
    s->closing = 1;
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
  }
  sc_ht_free(&r->inflight);
  sc_ht_free(&r->ids);
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

/* Answers a blocking lookup of key from the run's cache, or with the
 * answer of the thread already looking key up. Returns 1 if b has its
 * answer, or 0 if the caller must look key up itself and then release it
 * with sc_dnscache_release. */
static int blocking_shared(struct sc_dnscache *shared, int family,
                           long timeout_ms, const char *key,
                           struct blocking *b) {
  struct sc_buf text = {0};
  char msg[512] = "";
  int value, status;
  long ttl_ms = 0;
  /* The thread that claimed the name started before us and answers within
   * its limit, plus the moment it took to set up its channel: a waiter
   * that gave up at its own limit could miss that answer and start a
   * lookup of its own. Twice the limit only guards against a lost one. */
  double deadline = sc_now_ms() + 2.0 * (double)timeout_ms;
  switch (sc_dnscache_claim(shared, key, deadline, &value, &ttl_ms, &text)) {
    case SC_DNSCACHE_HIT:
      status = hit_answer(family, key, value, ttl_ms, &text, msg, sizeof msg);
      on_blocking(b, status, text.len ? text.data : "", msg);
      break;
    case SC_DNSCACHE_SHARED: {
      const char *t = text.len ? text.data : "";
      on_blocking(b, value, value == SC_RESOLVE_OK ? t : "",
                  value == SC_RESOLVE_OK ? "" : t);
      break;
    }
    case SC_DNSCACHE_LATE:
      timeout_msg(msg, sizeof msg, timeout_ms, key, 1);
      on_blocking(b, SC_RESOLVE_TIMEOUT, "", msg);
      break;
    default:
      break;
  }
  sc_buf_free(&text);
  return b->done;
}

int sc_resolve_blocking(struct sc_dnscache *shared, const char *host,
                        const char *servers, int family, long timeout_ms,
                        char *addrs, size_t cap, char *err, size_t errlen) {
  uv_loop_t loop;
  struct blocking b = {0, SC_RESOLVE_ERROR, addrs, err, cap, errlen, &loop, 0};
  struct sc_resolver *r;
  char key[HOST_MAX + 2], msg[512];
  struct sc_buf ignored = {0};
  int status, claimed = 0;
  if (cap) addrs[0] = '\0';
  set_err(err, errlen, "%s", "");
  if (timeout_ms <= 0) timeout_ms = DEFAULT_TIMEOUT_MS;
  /* Names that need DNS meet in the run's cache; the rest (literals,
   * RFC 6761 names, bad names) are answered below as they always were. */
  int needs_dns =
      shared && (family == 0 || family == 4 || family == 6) &&
      !answer_name(family, host, key, &status, &ignored, msg, sizeof msg);
  sc_buf_free(&ignored);
  if (needs_dns) {
    if (blocking_shared(shared, family, timeout_ms, key, &b)) return b.status;
    claimed = 1;
  }
  if (uv_loop_init(&loop) != 0) {
    set_err(err, errlen, "cannot create an event loop");
  } else {
    r = sc_resolver_new(&loop, shared, servers, family, timeout_ms, err,
                        errlen);
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
  }
  status = b.done ? b.status : SC_RESOLVE_ERROR;
  if (claimed)
    sc_dnscache_release(shared, key, status,
                        status == SC_RESOLVE_OK ? addrs
                        : err                   ? err
                                                : "");
  return status;
}
