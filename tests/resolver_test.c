/* resolver_test.c - tests of src/resolver.c against a local dnsmasq.
 *
 * Build (one command each; -iquote, not -I, so that src/sched.h does not
 * hide the system <sched.h>):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wpedantic -Wshadow
 *      -Werror -iquote src -o build/resolver_test tests/resolver_test.c
 *      src/resolver.c src/util.c -lcares -luv -lpthread -lm
 *   the same plus -fsanitize=address,undefined -fno-omit-frame-pointer
 *      -o build/asan/resolver_test
 *
 * Run: dns_helper.py starts dnsmasq on 127.0.0.1:<free port> serving its
 * generated hosts file (TTL 1 s) and appends "127.0.0.1:PORT":
 *   python3 tests/dns_helper.py --names 10000 --ttl 1 --run
 *      build/resolver_test
 * or, against a helper already running: build/resolver_test 127.0.0.1:PORT
 *
 * Benchmarks (not run by the tests):
 *   build/resolver_test --bench N [family] 127.0.0.1:PORT
 *     N distinct names through one resolver: lookups/s, and heap bytes per
 *     cache entry.
 *   build/resolver_test --bench-getaddrinfo N [family] [inflight]
 *     the same names through glibc getaddrinfo, one new thread per lookup
 *     as libcurl's threaded resolver does. glibc reads /etc/resolv.conf, so
 *     this refuses to run unless every nameserver there is loopback: run
 *     it in private network and mount namespaces (only loopback exists):
 *       unshare -mn sh -c 'ip link set lo up &&
 *         echo nameserver 127.0.0.1 > /tmp/rc &&
 *         mount --bind /tmp/rc /etc/resolv.conf &&
 *         python3 tests/dns_helper.py --port 53 --run sh -c
 *           "build/resolver_test --bench-getaddrinfo 10000 4 64;
 *            build/resolver_test --bench 10000 4 \$0"'
 *
 * Only loopback addresses are contacted. Prints "N passed, M failed" and
 * exits 1 if anything failed; a hang ends in SIGALRM after 300 s. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "dnscache.h"
#include "resolver.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static const char *servers; /* the dnsmasq of dns_helper.py */
static int silent_server(char *srv, size_t len);
static int passed, failed;

#define CHECK(cond, ...) check_((cond), __LINE__, #cond, __VA_ARGS__)

static void check_(int ok, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check_(int ok, int line, const char *expr, const char *fmt, ...) {
  va_list ap;
  if (ok) {
    passed++;
    return;
  }
  failed++;
  fprintf(stderr, "FAIL line %d: %s: ", line, expr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* The address dns_helper.py gives u<i>.test. */
static void unique_addr(long i, char *buf, size_t len) {
  long j = i + 1;
  snprintf(buf, len, "127.%ld.%ld.%ld", (j >> 16) & 255, (j >> 8) & 255,
           j & 255);
}

/* ---- a loop with a watchdog ---- */

struct env {
  uv_loop_t loop;
  uv_timer_t tick; /* keeps uv_run(ONCE) from blocking for long */
  struct sc_resolver *r;
};

static void on_tick(uv_timer_t *t) {
  (void)t;
}

/* A loop and its resolver, with shared as the run's cache (or NULL). */
static void env_init_shared(struct env *e, const char *srv, int family,
                            long timeout_ms, struct sc_dnscache *shared) {
  char err[256] = "";
  uv_loop_init(&e->loop);
  uv_timer_init(&e->loop, &e->tick);
  uv_timer_start(&e->tick, on_tick, 20, 20);
  e->r = sc_resolver_new(&e->loop, shared, srv, family, timeout_ms, err,
                         sizeof err);
  if (!e->r) {
    fprintf(stderr, "sc_resolver_new(%s): %s\n", srv ? srv : "NULL", err);
    exit(2);
  }
}

static void env_init(struct env *e, const char *srv, int family,
                     long timeout_ms) {
  env_init_shared(e, srv, family, timeout_ms, NULL);
}

/* Runs the loop until *counter reaches 0 or ms pass; returns the time
 * taken in ms. */
static double run_until_zero(struct env *e, const long *counter, double ms) {
  double t0 = sc_now_ms();
  while (*counter > 0 && sc_now_ms() - t0 < ms) uv_run(&e->loop, UV_RUN_ONCE);
  return sc_now_ms() - t0;
}

static void run_for(struct env *e, double ms) {
  long one = 1;
  run_until_zero(e, &one, ms);
}

/* Frees the resolver (unless already freed), closes everything and checks
 * that no handle was left open. */
static void env_done(struct env *e, int free_resolver) {
  if (free_resolver) sc_resolver_free(e->r);
  uv_close((uv_handle_t *)&e->tick, NULL);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&e->loop) == 0, "%s", "handles left open");
}

/* ---- one recorded answer ---- */

struct ans {
  long *pending; /* decremented on the answer, if set */
  int called;
  int status;
  double at;
  char addrs[256];
  char err[256];
};

static void on_ans(void *arg, int status, const char *addrs, const char *err) {
  struct ans *a = arg;
  a->called++;
  a->status = status;
  a->at = sc_now_ms();
  snprintf(a->addrs, sizeof a->addrs, "%s", addrs);
  snprintf(a->err, sizeof a->err, "%s", err);
  if (a->pending) --*a->pending;
}

/* Looks host up and runs the loop until answered; returns 1 if the answer
 * came synchronously. */
static int resolve(struct env *e, const char *host, struct ans *a) {
  long pending = 1;
  memset(a, 0, sizeof *a);
  a->pending = &pending;
  unsigned long id = sc_resolver_lookup(e->r, host, on_ans, a);
  int sync = id == 0;
  CHECK(sync == (a->called == 1), "%s: id %lu but called %d", host, id,
        a->called);
  run_until_zero(e, &pending, 5000);
  CHECK(a->called == 1, "%s: called %d times", host, a->called);
  a->pending = NULL;
  return sync;
}

/* ---- tests ---- */

static void test_new_errors(void) {
  uv_loop_t loop;
  char err[256];
  const char *bad[] = {"",          "localhost", "1.2.3.4:99999", "1.2.3.4:",
                       "1.2.3.4:0", "[::1",      "::1:53x",       "1.2.3.4,,",
                       "1.2.3.4 ",  "[1.2.3.4]", "1.2.3.4:53:53", "[::1]53"};
  const char *good[] = {"127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1",
                        "127.0.0.1:53,[::1]:5353"};
  uv_loop_init(&loop);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err[0] = '\0';
    struct sc_resolver *r =
        sc_resolver_new(&loop, NULL, bad[i], 0, 1000, err, sizeof err);
    CHECK(r == NULL && err[0], "servers \"%s\" accepted", bad[i]);
    if (r) sc_resolver_free(r);
  }
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    struct sc_resolver *r =
        sc_resolver_new(&loop, NULL, good[i], 0, 1000, err, sizeof err);
    CHECK(r != NULL, "servers \"%s\" refused: %s", good[i], err);
    sc_resolver_free(r);
  }
  CHECK(sc_resolver_new(&loop, NULL, "127.0.0.1", 5, 1000, err, sizeof err) ==
            NULL,
        "%s", "family 5 accepted");
  sc_resolver_free(NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0, "%s", "handles left open");
}

/* Compares comma lists as sets. */
static int same_set(const char *got, const char *want) {
  char a[300], b[300];
  size_t n = 0;
  snprintf(a, sizeof a, ",%s,", got);
  snprintf(b, sizeof b, ",%s,", want);
  for (const char *p = want; *p; p++) n += *p == ',';
  size_t m = 0;
  for (const char *p = got; *p; p++) m += *p == ',';
  if (n != m || (!*got) != (!*want)) return 0;
  char *save = NULL;
  for (char *tok = strtok_r(b + 1, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char needle[64];
    snprintf(needle, sizeof needle, ",%s,", tok);
    if (!strstr(a, needle)) return 0;
  }
  return 1;
}

static void expect(struct env *e, const char *host, int status,
                   const char *addrs) {
  struct ans a;
  resolve(e, host, &a);
  CHECK(a.status == status, "%s: status %d, want %d (%s)", host, a.status,
        status, a.err);
  if (status == SC_RESOLVE_OK)
    CHECK(same_set(a.addrs, addrs), "%s: \"%s\", want \"%s\"", host, a.addrs,
          addrs);
  else
    CHECK(a.addrs[0] == '\0' && strstr(a.err, host),
          "%s: addrs \"%s\" err \"%s\"", host, a.addrs, a.err);
}

static void test_families(void) {
  struct env e;
  env_init(&e, servers, 4, 3000);
  expect(&e, "h1.test", SC_RESOLVE_OK, "127.0.0.1");
  expect(&e, "h0.test", SC_RESOLVE_OK, "127.0.0.1");
  expect(&e, "u41.test", SC_RESOLVE_OK, "127.0.0.42");
  expect(&e, "multi.test", SC_RESOLVE_OK, "127.0.0.2,127.0.0.3");
  expect(&e, "v6only.test", SC_RESOLVE_NXDOMAIN, "");
  env_done(&e, 1);

  env_init(&e, servers, 6, 3000);
  expect(&e, "h0.test", SC_RESOLVE_OK, "[::1]");
  expect(&e, "v6only.test", SC_RESOLVE_OK, "[::1]");
  expect(&e, "h1.test", SC_RESOLVE_NXDOMAIN, "");
  env_done(&e, 1);

  env_init(&e, servers, 0, 3000);
  expect(&e, "h10.test", SC_RESOLVE_OK, "127.0.0.1,[::1]");
  expect(&e, "h11.test", SC_RESOLVE_OK, "127.0.0.1");
  expect(&e, "v6only.test", SC_RESOLVE_OK, "[::1]");
  struct ans a;
  resolve(&e, "dual.test", &a);
  CHECK(strcmp(a.addrs, "127.0.0.4,[::1]") == 0, "IPv4 first: \"%s\"", a.addrs);
  env_done(&e, 1);
}

/* Without the watchdog, uv_run(DEFAULT) must return once the lookup is
 * answered: an idle resolver does not hold the loop. */
static void test_idle_unref(void) {
  uv_loop_t loop;
  struct ans a;
  char err[256];
  memset(&a, 0, sizeof a);
  uv_loop_init(&loop);
  struct sc_resolver *r =
      sc_resolver_new(&loop, NULL, servers, 0, 3000, err, sizeof err);
  CHECK(sc_resolver_lookup(r, "u77.test", on_ans, &a) != 0, "%s", err);
  uv_run(&loop, UV_RUN_DEFAULT); /* returns: nothing else is active */
  CHECK(a.called == 1 && strcmp(a.addrs, "127.0.0.78") == 0,
        "idle loop: called %d %s", a.called, a.addrs);
  memset(&a, 0, sizeof a);
  CHECK(sc_resolver_lookup(r, "u78.test", on_ans, &a) != 0, "%s",
        "second lookup");
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(a.called == 1, "idle loop again: called %d", a.called);
  sc_resolver_free(r);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0, "%s", "handles left open");
}

static void test_negative_and_errors(void) {
  struct env e;
  struct ans a;
  env_init(&e, servers, 0, 3000);
  CHECK(!resolve(&e, "nx1.test", &a), "%s", "first NXDOMAIN is a query");
  CHECK(a.status == SC_RESOLVE_NXDOMAIN && strstr(a.err, "NXDOMAIN"),
        "nx1.test: %d %s", a.status, a.err);
  CHECK(resolve(&e, "NX1.test", &a), "%s", "NXDOMAIN is cached");
  CHECK(a.status == SC_RESOLVE_NXDOMAIN && strstr(a.err, "(cached)"),
        "cached nx1.test: %d %s", a.status, a.err);
  /* dnsmasq refuses names outside its zone: not cached, an error. */
  resolve(&e, "example.com", &a);
  CHECK(a.status == SC_RESOLVE_ERROR && strstr(a.err, "example.com"),
        "example.com: %d %s", a.status, a.err);
  CHECK(!resolve(&e, "example.com", &a), "%s", "errors are not cached");
  env_done(&e, 1);

  /* Nothing listens on the port: the ICMP error fails the lookup at once
   * (through the poll error path), long before the timeout. */
  char srv[64];
  int fd = silent_server(srv, sizeof srv);
  close(fd);
  env_init(&e, srv, 0, 3000);
  double t0 = sc_now_ms();
  resolve(&e, "h1.test", &a);
  double ms = sc_now_ms() - t0;
  CHECK(a.status == SC_RESOLVE_ERROR && ms < 1000,
        "closed port: %d after %.0f ms: %s", a.status, ms, a.err);
  env_done(&e, 1);
}

static void test_no_query_needed(void) {
  struct env e;
  struct ans a;
  char longname[400];
  env_init(&e, servers, 0, 3000);
  struct {
    const char *host;
    int status;
    const char *addrs;
  } cases[] = {
      {"10.1.2.3", SC_RESOLVE_OK, "10.1.2.3"},
      {"::1", SC_RESOLVE_OK, "[::1]"},
      {"[2001:DB8::0:1]", SC_RESOLVE_OK, "[2001:db8::1]"},
      {"localhost", SC_RESOLVE_OK, "127.0.0.1,[::1]"},
      {"Site.LocalHost.", SC_RESOLVE_OK, "127.0.0.1,[::1]"},
      {"nonexistent.invalid", SC_RESOLVE_NXDOMAIN, ""},
      {"", SC_RESOLVE_ERROR, ""},
      {"a b.test", SC_RESOLVE_ERROR, ""},
      {"a/b.test", SC_RESOLVE_ERROR, ""},
      {"[h1.test]", SC_RESOLVE_ERROR, ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    CHECK(resolve(&e, cases[i].host, &a), "%s: not synchronous", cases[i].host);
    CHECK(a.status == cases[i].status && strcmp(a.addrs, cases[i].addrs) == 0 &&
              (a.status == SC_RESOLVE_OK) == (a.err[0] == '\0'),
          "%s: %d \"%s\" \"%s\"", cases[i].host, a.status, a.addrs, a.err);
  }
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  CHECK(resolve(&e, longname, &a) && a.status == SC_RESOLVE_ERROR, "%s",
        "a 399-byte name");
  env_done(&e, 1);

  env_init(&e, servers, 4, 3000);
  resolve(&e, "localhost", &a);
  CHECK(strcmp(a.addrs, "127.0.0.1") == 0, "family 4 localhost: %s", a.addrs);
  env_done(&e, 1);
}

static void test_cache_and_ttl(void) {
  struct env e;
  struct ans a;
  env_init(&e, servers, 4, 3000);
  CHECK(!resolve(&e, "u7.test", &a), "%s", "first lookup is a query");
  CHECK(strcmp(a.addrs, "127.0.0.8") == 0, "u7.test: %s", a.addrs);
  CHECK(resolve(&e, "u7.test", &a), "%s", "second lookup is a cache hit");
  CHECK(strcmp(a.addrs, "127.0.0.8") == 0, "cached u7.test: %s", a.addrs);
  CHECK(resolve(&e, "U7.Test", &a), "%s", "the cache ignores case");
  /* dnsmasq answers with TTL 1 (--local-ttl=1). */
  run_for(&e, 1500);
  CHECK(!resolve(&e, "u7.test", &a), "%s", "expired after the 1 s TTL");
  CHECK(strcmp(a.addrs, "127.0.0.8") == 0, "u7.test again: %s", a.addrs);
  env_done(&e, 1);
}

struct bulk {
  long pending;
  long wrong;
  int *called;
  long first; /* index of name 0 */
};

struct bulk_arg {
  struct bulk *b;
  long i;
};

static void on_bulk(void *arg, int status, const char *addrs, const char *err) {
  struct bulk_arg *ba = arg;
  struct bulk *b = ba->b;
  char want[32];
  unique_addr(ba->i, want, sizeof want);
  if (status != SC_RESOLVE_OK || strcmp(addrs, want) != 0) {
    if (b->wrong++ < 5)
      fprintf(stderr, "  u%ld.test: %d \"%s\" %s (want %s)\n", ba->i, status,
              addrs, err, want);
  }
  b->called[ba->i - b->first]++;
  b->pending--;
}

/* n distinct names at once (plus a second lookup of every tenth name, which
 * must share the query), all answered correctly. */
static void test_concurrent(long n, long first) {
  struct env e;
  struct bulk b = {0, 0, NULL, first};
  long extra = n / 10;
  struct bulk_arg *args = sc_xcalloc((size_t)(n + extra), sizeof *args);
  char host[64];
  b.called = sc_xcalloc((size_t)n, sizeof *b.called);
  env_init(&e, servers, 4, 5000);
  for (long i = 0; i < n + extra; i++) {
    long k = i < n ? i : (i - n) * 10;
    args[i].b = &b;
    args[i].i = first + k;
    snprintf(host, sizeof host, "u%ld.test", first + k);
    b.pending++;
    CHECK(sc_resolver_lookup(e.r, host, on_bulk, &args[i]) != 0,
          "%s answered synchronously", host);
  }
  double ms = run_until_zero(&e, &b.pending, 20000);
  long dup = 0;
  for (long i = 0; i < n; i++) dup += b.called[i] != (i % 10 == 0 ? 2 : 1);
  CHECK(b.pending == 0 && b.wrong == 0 && dup == 0,
        "%ld concurrent: %ld unanswered, %ld wrong, %ld miscounted", n,
        b.pending, b.wrong, dup);
  printf("  %ld concurrent lookups (+%ld shared) answered in %.0f ms\n", n,
         extra, ms);
  env_done(&e, 1);
  free(b.called);
  free(args);
}

/* Fills the cache to half again its limit within the 1 s TTL: the oldest
 * entries must be gone and the newest still there. Needs that many names
 * (a build with -DSC_RESOLVER_CACHE_MAX=1000 runs it on 10000 names). */
static void test_cache_bound(long names) {
  const long max = SC_RESOLVER_CACHE_MAX, n = max + max / 2;
  struct env e;
  struct bulk b = {0, 0, NULL, 0};
  char host[64];
  if (n > names) {
    printf("  cache bound: skipped (needs %ld names, server has %ld)\n", n,
           names);
    return;
  }
  struct bulk_arg *args = sc_xcalloc((size_t)n, sizeof *args);
  b.called = sc_xcalloc((size_t)n, sizeof *b.called);
  env_init(&e, servers, 4, 5000);
  for (long i = 0; i < n; i++) {
    args[i].b = &b;
    args[i].i = i;
    snprintf(host, sizeof host, "u%ld.test", i);
    b.pending++;
    sc_resolver_lookup(e.r, host, on_bulk, &args[i]);
  }
  double ms = run_until_zero(&e, &b.pending, 20000);
  long kept_old = 0, lost_new = 0;
  for (long i = 0; i < n; i++) {
    struct ans a;
    int old = i < max / 4, young = i >= n - max / 2;
    if (!old && !young) continue;
    snprintf(host, sizeof host, "u%ld.test", i);
    memset(&a, 0, sizeof a);
    unsigned long id = sc_resolver_lookup(e.r, host, on_ans, &a);
    sc_resolver_cancel(e.r, id);
    kept_old += old && id == 0;
    lost_new += young && id != 0;
  }
  CHECK(b.wrong == 0 && ms < 900 && kept_old == 0 && lost_new == 0,
        "cache of %ld: %ld wrong, %.0f ms, %ld old kept, %ld new lost", max,
        b.wrong, ms, kept_old, lost_new);
  printf("  cache bound %ld: %ld names in %.0f ms\n", max, n, ms);
  env_done(&e, 1);
  free(b.called);
  free(args);
}

/* Seeded random mix: names shared, cached, missing and literal; lookups
 * cancelled from outside and from inside callbacks, and started from
 * callbacks. Each lookup must be answered exactly once, correctly, unless
 * it was cancelled first, then never. */
struct stress_op {
  unsigned long id;
  long name; /* u<name>.test, or -1 - k for nx<k>.test, or -1000 literal */
  int called, cancelled, wrong;
};

struct stress {
  struct sc_resolver *r;
  struct stress_op *ops;
  long n, started, outstanding;
  uint64_t rng;
};

static uint64_t stress_rand(struct stress *st) {
  st->rng = st->rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return st->rng >> 33;
}

static void stress_start(struct stress *st);

static void stress_cancel_some(struct stress *st) {
  long recent = st->started < 512 ? st->started : 512;
  if (recent == 0) return;
  struct stress_op *o =
      &st->ops[st->started - 1 - (long)(stress_rand(st) % (uint64_t)recent)];
  if (o->id && !o->called && !o->cancelled) {
    sc_resolver_cancel(st->r, o->id);
    o->cancelled = 1;
    st->outstanding--;
  }
}

static struct stress *stress_ctx;

static void on_stress(void *arg, int status, const char *addrs,
                      const char *err) {
  struct stress *st = stress_ctx;
  struct stress_op *o = arg;
  (void)err;
  o->called++;
  if (o->name >= 0) {
    char want[32];
    unique_addr(o->name, want, sizeof want);
    o->wrong = status != SC_RESOLVE_OK || strcmp(addrs, want) != 0;
  } else if (o->name == -1000) {
    o->wrong = status != SC_RESOLVE_OK || strcmp(addrs, "192.0.2.1") != 0;
  } else {
    o->wrong = status != SC_RESOLVE_NXDOMAIN;
  }
  if (!o->cancelled) st->outstanding--;
  uint64_t x = stress_rand(st) % 10;
  if (x == 0) stress_cancel_some(st);
  if (x == 1 && st->started < st->n) stress_start(st);
}

static void stress_start(struct stress *st) {
  struct stress_op *o = &st->ops[st->started++];
  char host[64];
  uint64_t x = stress_rand(st) % 100;
  if (x < 80) {
    o->name = (long)(stress_rand(st) % 3000);
    snprintf(host, sizeof host, "%s%ld.test", x < 40 ? "U" : "u", o->name);
  } else if (x < 95) {
    o->name = -1 - (long)(stress_rand(st) % 50);
    snprintf(host, sizeof host, "nx%ld.test", -1 - o->name);
  } else {
    o->name = -1000;
    snprintf(host, sizeof host, "192.0.2.1");
  }
  st->outstanding++;
  o->id = sc_resolver_lookup(st->r, host, on_stress, o);
}

static void test_stress(void) {
  struct env e;
  struct stress st = {0};
  st.n = 20000;
  st.rng = 12345;
  st.ops = sc_xcalloc((size_t)st.n, sizeof *st.ops);
  env_init(&e, servers, 4, 5000);
  st.r = e.r;
  stress_ctx = &st;
  while (st.started < st.n) {
    long batch = 1 + (long)(stress_rand(&st) % 300);
    for (long i = 0; i < batch && st.started < st.n; i++) {
      stress_start(&st);
      if (stress_rand(&st) % 2 == 0) stress_cancel_some(&st);
    }
    uv_run(&e.loop, UV_RUN_NOWAIT);
  }
  run_until_zero(&e, &st.outstanding, 10000);
  long bad = 0, wrong = 0, cancelled = 0;
  for (long i = 0; i < st.n; i++) {
    struct stress_op *o = &st.ops[i];
    cancelled += o->cancelled;
    bad += o->cancelled ? o->called != 0 : o->called != 1;
    wrong += o->wrong;
  }
  CHECK(bad == 0 && wrong == 0 && st.outstanding == 0,
        "stress: %ld miscalled, %ld wrong, %ld outstanding", bad, wrong,
        st.outstanding);
  printf("  stress: %ld lookups, %ld cancelled\n", st.n, cancelled);
  env_done(&e, 1);
  stress_ctx = NULL;
  free(st.ops);
}

/* A UDP socket on 127.0.0.1 that receives queries and never answers. */
static int silent_server(char *srv, size_t len) {
  struct sockaddr_in sin;
  socklen_t sl = sizeof sin;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
    perror("silent server");
    exit(2);
  }
  snprintf(srv, len, "127.0.0.1:%d", ntohs(sin.sin_port));
  return fd;
}

static long drain(int fd) {
  char buf[1500];
  long n = 0;
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0) n++;
  return n;
}

static void test_timeout(void) {
  char srv[64], err[256], addrs[256];
  int fd = silent_server(srv, sizeof srv);
  struct env e;
  struct ans a[50];
  long pending = 50;
  const long limit = 600;

  /* 50 lookups of one name: one query (two tries), all time out in time. */
  env_init(&e, srv, 4, limit);
  double t0 = sc_now_ms();
  for (int i = 0; i < 50; i++) {
    memset(&a[i], 0, sizeof a[i]);
    a[i].pending = &pending;
    sc_resolver_lookup(e.r, "silent.test", on_ans, &a[i]);
  }
  run_until_zero(&e, &pending, 5000);
  int ok = 1;
  double worst = 0;
  for (int i = 0; i < 50; i++) {
    ok &= a[i].called == 1 && a[i].status == SC_RESOLVE_TIMEOUT &&
          strstr(a[i].err, "timed out") != NULL;
    if (a[i].at - t0 > worst) worst = a[i].at - t0;
  }
  CHECK(ok, "timeouts: status %d err \"%s\"", a[0].status, a[0].err);
  CHECK(worst >= limit - 20 && worst <= limit + 250,
        "timed out after %.0f ms, limit %ld", worst, limit);
  long sent = drain(fd);
  CHECK(sent >= 1 && sent <= 2, "%ld datagrams for one shared name", sent);
  printf("  timeout %ld ms: answered after %.0f ms, %ld datagrams\n", limit,
         worst, sent);

  /* More names than may be on the wire: the queued ones time out too. */
  long n = SC_RESOLVER_MAX_QUERIES + 100;
  struct ans *many = sc_xcalloc((size_t)n, sizeof *many);
  pending = n;
  for (long i = 0; i < n; i++) {
    char host[64];
    snprintf(host, sizeof host, "q%ld.test", i);
    many[i].pending = &pending;
    sc_resolver_lookup(e.r, host, on_ans, &many[i]);
  }
  double ms = run_until_zero(&e, &pending, 5000);
  ok = 1;
  for (long i = 0; i < n; i++)
    ok &= many[i].called == 1 && many[i].status == SC_RESOLVE_TIMEOUT;
  CHECK(ok && ms <= limit + 250, "%ld queued lookups: %.0f ms", n, ms);
  sent = drain(fd);
  CHECK(sent <= 2 * SC_RESOLVER_MAX_QUERIES, "%ld datagrams for %ld names",
        sent, n);

  /* One of four resolvers (one per loop) keeps a quarter of that on the
   * wire: counted before the first try's wait (limit / 3) ends, so no
   * retry is among them. */
  env_done(&e, 1);
  drain(fd);
  env_init(&e, srv, 4, limit);
  sc_resolver_set_shares(e.r, 4);
  pending = n;
  memset(many, 0, (size_t)n * sizeof *many);
  for (long i = 0; i < n; i++) {
    char host[64];
    snprintf(host, sizeof host, "s%ld.test", i);
    many[i].pending = &pending;
    sc_resolver_lookup(e.r, host, on_ans, &many[i]);
  }
  run_until_zero(&e, &pending, (double)limit / 6);
  sent = drain(fd);
  CHECK(sent == SC_RESOLVER_MAX_QUERIES / 4,
        "%ld queries on the wire from one of 4 resolvers, not %d", sent,
        SC_RESOLVER_MAX_QUERIES / 4);
  run_until_zero(&e, &pending, 5000);
  ok = 1;
  for (long i = 0; i < n; i++)
    ok &= many[i].called == 1 && many[i].status == SC_RESOLVE_TIMEOUT;
  CHECK(ok, "%ld queued lookups, 4 shares: not all timed out", n);
  drain(fd);
  free(many);
  env_done(&e, 1);

  /* The blocking variant. */
  t0 = sc_now_ms();
  int st = sc_resolve_blocking(NULL, "silent.test", srv, 0, 400, addrs,
                               sizeof addrs, err, sizeof err);
  ms = sc_now_ms() - t0;
  CHECK(st == SC_RESOLVE_TIMEOUT && ms >= 380 && ms <= 650,
        "blocking: %d after %.0f ms: %s", st, ms, err);
  drain(fd);
  close(fd);
}

/* A server that drops the first query it gets and answers the next one
 * with 127.0.0.1: a query lost on the way (a full receive buffer at the
 * server) costs the first try's wait, at most 1 s, whatever the limit. */
struct lossy {
  uv_poll_t poll;
  int fd;
  int got;
};

static void on_lossy(uv_poll_t *p, int status, int events) {
  struct lossy *l = p->data;
  unsigned char q[512];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  (void)status, (void)events;
  ssize_t n;
  while ((n = recvfrom(l->fd, q, sizeof q - 16, 0, (struct sockaddr *)&from,
                       &fl)) > 12) {
    if (l->got++ == 0) continue; /* lost */
    size_t end = 12;             /* past the question's name and type/class */
    while (end < (size_t)n && q[end]) end += q[end] + 1u;
    end += 5;
    if (end > (size_t)n) continue;
    q[2] = 0x81, q[3] = 0x80;        /* a response, no error */
    q[6] = 0, q[7] = 1;              /* one answer */
    q[8] = q[9] = q[10] = q[11] = 0; /* no other records (EDNS cut) */
    static const unsigned char rr[] = {0xc0, 12, 0, 1, 0,   1, 0, 0,
                                       0,    60, 0, 4, 127, 0, 0, 1};
    memcpy(q + end, rr, sizeof rr);
    sendto(l->fd, q, end + sizeof rr, 0, (struct sockaddr *)&from, fl);
  }
}

static void test_lost_query(void) {
  char srv[64];
  struct env e;
  struct ans a;
  struct lossy l = {.fd = silent_server(srv, sizeof srv)};
  env_init(&e, srv, 4, 10000);
  uv_poll_init(&e.loop, &l.poll, l.fd);
  l.poll.data = &l;
  uv_poll_start(&l.poll, UV_READABLE, on_lossy);
  memset(&a, 0, sizeof a);
  double t0 = sc_now_ms();
  resolve(&e, "lost.test", &a);
  double ms = sc_now_ms() - t0;
  CHECK(a.called == 1 && a.status == SC_RESOLVE_OK &&
            strcmp(a.addrs, "127.0.0.1") == 0,
        "lost query: status %d addrs \"%s\" err \"%s\"", a.status, a.addrs,
        a.err);
  CHECK(l.got == 2 && ms >= 900 && ms <= 1600,
        "lost query answered after %.0f ms, %d datagrams (limit 10 s)", ms,
        l.got);
  printf("  lost query (limit 10 s): answered after %.0f ms\n", ms);
  uv_close((uv_handle_t *)&l.poll, NULL);
  env_done(&e, 1);
  close(l.fd);
}

struct cancel_ctx {
  struct sc_resolver *r;
  unsigned long other;
  int called;
  long *pending;
};

static void on_cancel_other(void *arg, int status, const char *addrs,
                            const char *err) {
  struct cancel_ctx *c = arg;
  (void)status, (void)addrs, (void)err;
  c->called++;
  sc_resolver_cancel(c->r, c->other);
  --*c->pending;
}

static void test_cancel(void) {
  struct env e;
  struct ans a[3];
  long pending;
  env_init(&e, servers, 4, 3000);

  /* Cancelled before the answer: never called; the answer is cached. */
  memset(a, 0, sizeof a);
  pending = 1;
  a[0].pending = a[1].pending = &pending;
  unsigned long id0 = sc_resolver_lookup(e.r, "u100.test", on_ans, &a[0]);
  unsigned long id1 = sc_resolver_lookup(e.r, "u101.test", on_ans, &a[1]);
  CHECK(id0 && id1 && id0 != id1, "ids %lu %lu", id0, id1);
  sc_resolver_cancel(e.r, id0);
  run_until_zero(&e, &pending, 3000);
  run_for(&e, 50);
  CHECK(a[0].called == 0 && a[1].called == 1, "cancelled: called %d %d",
        a[0].called, a[1].called);
  sc_resolver_cancel(e.r, id0); /* stale ids are ignored */
  sc_resolver_cancel(e.r, id1);
  sc_resolver_cancel(e.r, 0);
  sc_resolver_cancel(e.r, 987654321UL);
  CHECK(
      resolve(&e, "u100.test", &a[2]) && strcmp(a[2].addrs, "127.0.0.101") == 0,
      "cancelled lookup still cached: %s", a[2].addrs);

  /* Cancelled from inside the callback of a lookup sharing its query. */
  struct cancel_ctx c1 = {e.r, 0, 0, &pending}, c2 = {e.r, 0, 0, &pending};
  pending = 1;
  sc_resolver_lookup(e.r, "u200.test", on_cancel_other, &c1);
  c1.other = sc_resolver_lookup(e.r, "u200.test", on_cancel_other, &c2);
  run_until_zero(&e, &pending, 3000);
  run_for(&e, 50);
  CHECK(c1.called == 1 && c2.called == 0, "shared: called %d %d", c1.called,
        c2.called);

  /* Two names, each callback cancels the other: exactly one runs. */
  struct cancel_ctx d1 = {e.r, 0, 0, &pending}, d2 = {e.r, 0, 0, &pending};
  pending = 1;
  d2.other = sc_resolver_lookup(e.r, "u300.test", on_cancel_other, &d1);
  d1.other = sc_resolver_lookup(e.r, "u301.test", on_cancel_other, &d2);
  run_until_zero(&e, &pending, 3000);
  run_for(&e, 100);
  CHECK(d1.called + d2.called == 1, "cross: called %d %d", d1.called,
        d2.called);

  /* Lookups still queued behind SC_RESOLVER_MAX_QUERIES, then cancelled. */
  long n = SC_RESOLVER_MAX_QUERIES + 200;
  struct ans *many = sc_xcalloc((size_t)n, sizeof *many);
  unsigned long *ids = sc_xcalloc((size_t)n, sizeof *ids);
  pending = SC_RESOLVER_MAX_QUERIES;
  for (long i = 0; i < n; i++) {
    char host[64];
    snprintf(host, sizeof host, "u%ld.test", 1000 + i);
    many[i].pending = &pending;
    ids[i] = sc_resolver_lookup(e.r, host, on_ans, &many[i]);
  }
  for (long i = SC_RESOLVER_MAX_QUERIES; i < n; i++)
    sc_resolver_cancel(e.r, ids[i]);
  run_until_zero(&e, &pending, 5000);
  run_for(&e, 100);
  int ok = 1;
  for (long i = 0; i < n; i++) {
    char want[32];
    unique_addr(1000 + i, want, sizeof want);
    ok &= i < SC_RESOLVER_MAX_QUERIES
              ? many[i].called == 1 && strcmp(many[i].addrs, want) == 0
              : many[i].called == 0;
  }
  CHECK(ok, "%s", "queued lookups cancelled");
  free(many);
  free(ids);
  env_done(&e, 1);
}

struct chain {
  struct sc_resolver *r;
  int depth;
  long *pending;
  char addrs[4][64];
};

static void on_chain(void *arg, int status, const char *addrs,
                     const char *err) {
  struct chain *c = arg;
  char host[32];
  (void)status, (void)err;
  snprintf(c->addrs[c->depth], sizeof c->addrs[0], "%s", addrs);
  if (++c->depth < 4) {
    snprintf(host, sizeof host, "u%d.test", 500 + c->depth);
    sc_resolver_lookup(c->r, host, on_chain, c);
  } else {
    --*c->pending;
  }
}

struct freer {
  struct sc_resolver *r;
  int called;
};

static void on_free(void *arg, int status, const char *addrs, const char *err) {
  struct freer *f = arg;
  (void)status, (void)addrs, (void)err;
  f->called++;
  sc_resolver_free(f->r);
}

static void test_reentry_and_free(void) {
  struct env e;
  struct ans a[20];
  char srv[64];
  long pending = 1;

  /* Each callback starts the next lookup. */
  env_init(&e, servers, 4, 3000);
  struct chain c = {e.r, 0, &pending, {""}};
  sc_resolver_lookup(e.r, "u500.test", on_chain, &c);
  run_until_zero(&e, &pending, 5000);
  CHECK(c.depth == 4 && strcmp(c.addrs[3], "127.0.1.248") == 0,
        "chain: depth %d last %s", c.depth, c.addrs[3]);
  env_done(&e, 1);

  /* Freed with lookups on the wire: no callback, every handle closed. */
  int fd = silent_server(srv, sizeof srv);
  env_init(&e, srv, 0, 3000);
  memset(a, 0, sizeof a);
  for (int i = 0; i < 20; i++) {
    char host[32];
    snprintf(host, sizeof host, "f%d.test", i);
    sc_resolver_lookup(e.r, host, on_ans, &a[i]);
  }
  run_for(&e, 50);
  sc_resolver_free(e.r);
  env_done(&e, 0);
  int calls = 0;
  for (int i = 0; i < 20; i++) calls += a[i].called;
  CHECK(calls == 0, "%d callbacks after free", calls);
  close(fd);

  /* Freed from inside a callback: no more callbacks. */
  env_init(&e, servers, 4, 3000);
  struct freer f = {e.r, 0};
  for (int i = 0; i < 20; i++) {
    char host[32];
    snprintf(host, sizeof host, "u%d.test", 600 + i);
    sc_resolver_lookup(e.r, host, on_free, &f);
  }
  for (int i = 0; i < 100 && f.called == 0; i++) uv_run(&e.loop, UV_RUN_ONCE);
  env_done(&e, 0);
  CHECK(f.called == 1, "%d callbacks with a free in the first", f.called);

  /* Freed from inside a synchronous (cached) callback. */
  env_init(&e, servers, 4, 3000);
  struct ans warm;
  resolve(&e, "u700.test", &warm);
  f.r = e.r;
  f.called = 0;
  CHECK(sc_resolver_lookup(e.r, "u700.test", on_free, &f) == 0 && f.called == 1,
        "%s", "free in a synchronous callback");
  env_done(&e, 0);
}

static void test_blocking(void) {
  char addrs[256], small[8], err[256];
  int st = sc_resolve_blocking(NULL, "u3.test", servers, 4, 3000, addrs,
                               sizeof addrs, err, sizeof err);
  CHECK(st == SC_RESOLVE_OK && strcmp(addrs, "127.0.0.4") == 0 && !err[0],
        "blocking u3.test: %d %s %s", st, addrs, err);
  st = sc_resolve_blocking(NULL, "h20.test", servers, 0, 3000, addrs,
                           sizeof addrs, err, sizeof err);
  CHECK(st == SC_RESOLVE_OK && strcmp(addrs, "127.0.0.1,[::1]") == 0,
        "blocking h20.test: %d %s %s", st, addrs, err);
  st = sc_resolve_blocking(NULL, "nx2.test", servers, 0, 3000, addrs,
                           sizeof addrs, err, sizeof err);
  CHECK(st == SC_RESOLVE_NXDOMAIN && !addrs[0] && strstr(err, "nx2.test"),
        "blocking nx2.test: %d %s", st, err);
  st = sc_resolve_blocking(NULL, "[::1]", NULL, 0, 3000, addrs, sizeof addrs,
                           err, sizeof err);
  CHECK(st == SC_RESOLVE_OK && strcmp(addrs, "[::1]") == 0,
        "blocking literal: %d %s", st, addrs);
  st = sc_resolve_blocking(NULL, "multi.test", servers, 4, 3000, small,
                           sizeof small, err, sizeof err);
  CHECK(st == SC_RESOLVE_ERROR && strstr(err, "too long"),
        "blocking, small buffer: %d %s", st, err);
  st = sc_resolve_blocking(NULL, "u3.test", "bogus", 4, 3000, addrs,
                           sizeof addrs, err, sizeof err);
  CHECK(st == SC_RESOLVE_ERROR && strstr(err, "bogus"),
        "blocking, bad servers: %d %s", st, err);
}

struct blocking_run {
  struct sc_dnscache *shared;
  long base;
};

static void *blocking_thread(void *arg) {
  struct blocking_run *br = arg;
  long bad = 0;
  for (long i = br->base; i < br->base + 50; i++) {
    char host[32], want[32], addrs[64], err[256];
    snprintf(host, sizeof host, "u%ld.test", i);
    unique_addr(i, want, sizeof want);
    int st = sc_resolve_blocking(br->shared, host, servers, 4, 3000, addrs,
                                 sizeof addrs, err, sizeof err);
    bad += st != SC_RESOLVE_OK || strcmp(addrs, want) != 0;
  }
  return (void *)(intptr_t)bad;
}

/* 8 threads on their own names without a cache; then 8 threads on the
 * same names with a shared cache (meeting in claims and hits). */
static void test_blocking_threads(void) {
  struct sc_dnscache *shared = sc_dnscache_new(1000, 1 << 20, 1);
  for (int round = 0; round < 2; round++) {
    pthread_t t[8];
    struct blocking_run br[8];
    long bad = 0;
    for (int i = 0; i < 8; i++) {
      br[i].shared = round ? shared : NULL;
      br[i].base = round ? 2500 : 2000 + 50 * i;
      pthread_create(&t[i], NULL, blocking_thread, &br[i]);
    }
    for (int i = 0; i < 8; i++) {
      void *rv;
      pthread_join(t[i], &rv);
      bad += (long)(intptr_t)rv;
    }
    CHECK(bad == 0, "%ld wrong answers from 8 threads (%s)", bad,
          round ? "shared cache" : "no cache");
  }
  CHECK(sc_dnscache_count(shared, NULL) == 50, "%zu names cached",
        sc_dnscache_count(shared, NULL));
  sc_dnscache_free(shared);
}

/* ---- the run's shared cache ---- */

/* Two loops and the blocking path share one cache: what one looked up,
 * positive or negative, the others answer at once. */
static void test_shared_cache(void) {
  struct sc_dnscache *shared = sc_dnscache_new(1000, 1 << 20, 1);
  struct env e1, e2;
  struct ans a;
  char want[32], addrs[64], err[256];
  env_init_shared(&e1, servers, 4, 3000, shared);
  env_init_shared(&e2, servers, 4, 3000, shared);
  unique_addr(950, want, sizeof want);
  CHECK(!resolve(&e1, "u950.test", &a) && strcmp(a.addrs, want) == 0,
        "first lookup, a query: %s", a.addrs);
  CHECK(resolve(&e2, "U950.test", &a) && strcmp(a.addrs, want) == 0,
        "the other loop, at once: %s", a.addrs);
  CHECK(!resolve(&e1, "nx950.test", &a) && a.status == SC_RESOLVE_NXDOMAIN,
        "nx950.test: %d %s", a.status, a.err);
  CHECK(resolve(&e2, "nx950.test", &a) && a.status == SC_RESOLVE_NXDOMAIN &&
            strstr(a.err, "(cached)"),
        "nx950.test in the other loop: %d %s", a.status, a.err);
  /* The blocking path fills it and answers from it: a server that is not
   * there is never asked. */
  unique_addr(951, want, sizeof want);
  int st = sc_resolve_blocking(shared, "u951.test", servers, 4, 3000, addrs,
                               sizeof addrs, err, sizeof err);
  CHECK(st == SC_RESOLVE_OK && strcmp(addrs, want) == 0, "blocking: %d %s %s",
        st, addrs, err);
  CHECK(resolve(&e1, "u951.test", &a) && strcmp(a.addrs, want) == 0,
        "loop after blocking: %s", a.addrs);
  st = sc_resolve_blocking(shared, "u950.test", "127.0.0.1:1", 4, 3000, addrs,
                           sizeof addrs, err, sizeof err);
  unique_addr(950, want, sizeof want);
  CHECK(st == SC_RESOLVE_OK && strcmp(addrs, want) == 0,
        "blocking from the cache: %d %s %s", st, addrs, err);
  st = sc_resolve_blocking(shared, "nx950.test", "127.0.0.1:1", 4, 3000, addrs,
                           sizeof addrs, err, sizeof err);
  CHECK(st == SC_RESOLVE_NXDOMAIN && strstr(err, "(cached)"),
        "blocking NXDOMAIN from the cache: %d %s", st, err);
  env_done(&e1, 1);
  env_done(&e2, 1);
  sc_dnscache_free(shared);
}

/* Lookups that time out twice in a row (the failure memory's fail_after)
 * make the name fail at once, without a query, in every loop and the
 * blocking path, until the memory's TTL has passed. */
static void test_failure_memory(void) {
  char srv[64], addrs[64], err[256];
  int fd = silent_server(srv, sizeof srv);
  struct sc_dnscache *shared = sc_dnscache_new(1000, 1 << 20, 1);
  struct env e1, e2;
  struct ans a;
  const long limit = 300;
  sc_dnscache_remember_failures(shared, 2, 1500);
  env_init_shared(&e1, srv, 4, limit, shared);
  env_init_shared(&e2, srv, 4, limit, shared);
  for (int i = 0; i < 2; i++) {
    double t0 = sc_now_ms();
    int sync = resolve(&e1, "dead.test", &a);
    double ms = sc_now_ms() - t0;
    CHECK(!sync && a.status == SC_RESOLVE_TIMEOUT && ms >= limit - 20,
          "failure %d: %d after %.0f ms: %s", i + 1, a.status, ms, a.err);
  }
  long sent = drain(fd);
  CHECK(sent >= 2 && sent <= 4, "%ld datagrams for two lookups", sent);

  CHECK(resolve(&e1, "dead.test", &a) && a.status == SC_RESOLVE_FAILED_BEFORE &&
            strstr(a.err, "dead.test: DNS lookup timed out after 300 ms") &&
            strstr(a.err, "an earlier lookup"),
        "remembered: %d %s", a.status, a.err);
  CHECK(resolve(&e2, "DEAD.test", &a) && a.status == SC_RESOLVE_FAILED_BEFORE,
        "remembered in the other loop: %d %s", a.status, a.err);
  double t0 = sc_now_ms();
  int st = sc_resolve_blocking(shared, "dead.test", srv, 4, limit, addrs,
                               sizeof addrs, err, sizeof err);
  double ms = sc_now_ms() - t0;
  CHECK(st == SC_RESOLVE_FAILED_BEFORE && ms < 100 && strstr(err, "earlier"),
        "blocking, remembered: %d after %.0f ms: %s", st, ms, err);
  sent = drain(fd);
  CHECK(sent == 0, "%ld datagrams for a remembered name", sent);

  /* 1.5 s after the last failure the name is asked again (the loops' own
   * copies expire with the shared entry). */
  run_for(&e1, 1600);
  uv_update_time(&e2.loop); /* as its next turn would: the caches run on
                               loop time */
  CHECK(!resolve(&e2, "dead.test", &a) && a.status == SC_RESOLVE_TIMEOUT,
        "after the memory's TTL: %d %s", a.status, a.err);
  CHECK(drain(fd) >= 1, "%s", "asked again");
  env_done(&e1, 1);
  env_done(&e2, 1);
  sc_dnscache_free(shared);

  /* A lookup that never left (queued behind SC_RESOLVER_MAX_QUERIES all
   * along: its message says so) says nothing about its name; every name
   * sent is remembered. Twice as many names as may be on the wire leave
   * some queued until the deadline. */
  shared = sc_dnscache_new(1000, 1 << 20, 1);
  sc_dnscache_remember_failures(shared, 1, 5000);
  env_init_shared(&e1, srv, 4, limit, shared);
  long n = 2 * SC_RESOLVER_MAX_QUERIES + 50, pending = n;
  struct ans *many = sc_xcalloc((size_t)n, sizeof *many);
  for (long i = 0; i < n; i++) {
    char host[64];
    snprintf(host, sizeof host, "q%ld.test", i);
    many[i].pending = &pending;
    sc_resolver_lookup(e1.r, host, on_ans, &many[i]);
  }
  run_until_zero(&e1, &pending, 5000);
  long never = 0, wrong = 0;
  for (long i = 0; i < n; i++) {
    char host[64];
    struct ans b;
    int went = strstr(many[i].err, "never sent") == NULL;
    memset(&b, 0, sizeof b);
    snprintf(host, sizeof host, "q%ld.test", i);
    unsigned long id = sc_resolver_lookup(e1.r, host, on_ans, &b);
    sc_resolver_cancel(e1.r, id);
    never += !went;
    wrong += went ? id != 0 || b.status != SC_RESOLVE_FAILED_BEFORE : id == 0;
  }
  CHECK(never > 0 && wrong == 0,
        "%ld names never sent, %ld of %ld remembered wrongly", never, wrong, n);
  free(many);
  env_done(&e1, 1);
  sc_dnscache_free(shared);
  drain(fd);
  close(fd);
}

struct dead_arg {
  struct sc_dnscache *shared;
  const char *srv;
  int status;
  double ms;
};

static void *blocking_dead(void *arg) {
  struct dead_arg *d = arg;
  char addrs[64], err[256];
  double t0 = sc_now_ms();
  d->status = sc_resolve_blocking(d->shared, "shared.test", d->srv, 4, 300,
                                  addrs, sizeof addrs, err, sizeof err);
  d->ms = sc_now_ms() - t0;
  return NULL;
}

/* Blocking lookups of one name at once share one query: 8 threads wait
 * out one time limit, and the server sees one query's tries. */
static void test_blocking_shared_query(void) {
  char srv[64];
  int fd = silent_server(srv, sizeof srv);
  struct sc_dnscache *shared = sc_dnscache_new(1000, 1 << 20, 1);
  struct dead_arg d[8];
  pthread_t t[8];
  double t0 = sc_now_ms();
  for (int i = 0; i < 8; i++) {
    d[i].shared = shared;
    d[i].srv = srv;
    pthread_create(&t[i], NULL, blocking_dead, &d[i]);
  }
  int ok = 1;
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    ok &= d[i].status == SC_RESOLVE_TIMEOUT && d[i].ms >= 300 - 50;
  }
  double ms = sc_now_ms() - t0;
  long sent = drain(fd);
  CHECK(ok && ms < 300 + 250, "8 threads: status %d, %.0f ms (first %.0f)",
        d[0].status, ms, d[0].ms);
  CHECK(sent >= 1 && sent <= 4, "%ld datagrams for 8 threads on one name",
        sent);
  printf("  8 blocking lookups of one name: %.0f ms, %ld datagrams\n", ms,
         sent);
  sc_dnscache_free(shared);
  close(fd);
}

/* ---- benchmarks ---- */

static int bench(long n, int family) {
  struct env e;
  struct bulk b = {0, 0, NULL, 0};
  struct bulk_arg *args = sc_xcalloc((size_t)n, sizeof *args);
  char host[64];
  b.called = sc_xcalloc((size_t)n, sizeof *b.called);
  env_init(&e, servers, family, 10000);
  size_t heap0 = mallinfo2().uordblks;
  double t0 = sc_now_ms();
  for (long i = 0; i < n; i++) {
    args[i].b = &b;
    args[i].i = i;
    snprintf(host, sizeof host, "u%ld.test", i);
    b.pending++;
    sc_resolver_lookup(e.r, host, on_bulk, &args[i]);
  }
  run_until_zero(&e, &b.pending, 60000);
  double ms = sc_now_ms() - t0;
  size_t heap1 = mallinfo2().uordblks;
  printf(
      "c-ares on libuv, family %d: %ld names in %.0f ms = %.0f lookups/s "
      "(%ld unanswered, %ld wrong)\n",
      family, n, ms, n * 1000.0 / ms, b.pending, b.wrong);
  if (!SANITIZED)
    printf("heap held by the cache: %.0f bytes per entry (%ld entries)\n",
           (double)(heap1 - heap0) / (double)n, n);
  env_done(&e, 1);
  free(b.called);
  free(args);
  return b.pending || b.wrong;
}

struct gai_run {
  sem_t slots; /* lookups that may still start */
  atomic_long good;
  int family;
};

struct gai_job {
  struct gai_run *run;
  long i;
};

static void *gai_thread(void *arg) {
  struct gai_job *j = arg;
  char host[64], want[32], got[INET6_ADDRSTRLEN];
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = j->run->family == 4 ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  snprintf(host, sizeof host, "u%ld.test", j->i);
  unique_addr(j->i, want, sizeof want);
  if (getaddrinfo(host, NULL, &hints, &res) == 0) {
    for (struct addrinfo *p = res; p; p = p->ai_next)
      if (p->ai_family == AF_INET) {
        struct sockaddr_in sin;
        memcpy(&sin, p->ai_addr, sizeof sin);
        inet_ntop(AF_INET, &sin.sin_addr, got, sizeof got);
        if (strcmp(got, want) == 0) atomic_fetch_add(&j->run->good, 1);
        break;
      }
    freeaddrinfo(res);
  }
  sem_post(&j->run->slots);
  return NULL;
}

/* Refuses unless every nameserver of /etc/resolv.conf is loopback. */
static int resolv_conf_is_loopback(void) {
  FILE *f = fopen("/etc/resolv.conf", "r");
  char line[512];
  int n = 0, bad = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    char addr[256];
    if (sscanf(line, " nameserver %255s", addr) != 1) continue;
    n++;
    bad += strncmp(addr, "127.", 4) != 0 && strcmp(addr, "::1") != 0;
  }
  fclose(f);
  return n > 0 && bad == 0;
}

static int bench_getaddrinfo(long n, int family, long inflight) {
  if (!resolv_conf_is_loopback()) {
    fprintf(stderr,
            "--bench-getaddrinfo: /etc/resolv.conf names a "
            "non-loopback nameserver; run it in a namespace (see the "
            "file header)\n");
    return 2;
  }
  struct gai_job *jobs = sc_xcalloc((size_t)n, sizeof *jobs);
  struct gai_run run;
  pthread_attr_t attr;
  sem_init(&run.slots, 0, (unsigned)inflight);
  atomic_init(&run.good, 0);
  run.family = family;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  double t0 = sc_now_ms();
  /* One new thread per lookup, at most `inflight` at once. */
  for (long i = 0; i < n; i++) {
    pthread_t tid;
    sem_wait(&run.slots);
    jobs[i].run = &run;
    jobs[i].i = i;
    if (pthread_create(&tid, &attr, gai_thread, &jobs[i]) != 0) {
      fprintf(stderr, "pthread_create: %s\n", strerror(errno));
      return 2;
    }
  }
  for (long i = 0; i < inflight; i++) sem_wait(&run.slots);
  double ms = sc_now_ms() - t0;
  long good = atomic_load(&run.good);
  printf(
      "getaddrinfo, thread per lookup (<= %ld at once), family %d: %ld "
      "names in %.0f ms = %.0f lookups/s (%ld correct)\n",
      inflight, family, n, ms, n * 1000.0 / ms, good);
  pthread_attr_destroy(&attr);
  free(jobs);
  return good != n;
}

int main(int argc, char **argv) {
  alarm(300); /* a hang fails instead of hanging CI */
  if (argc >= 3 && strcmp(argv[1], "--bench-getaddrinfo") == 0)
    return bench_getaddrinfo(atol(argv[2]), argc > 3 ? atoi(argv[3]) : 4,
                             argc > 4 ? atol(argv[4]) : 500);
  if (argc >= 4 && strcmp(argv[1], "--bench") == 0) {
    servers = argv[argc - 1];
    return bench(atol(argv[2]), argc > 4 ? atoi(argv[3]) : 4);
  }
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: %s 127.0.0.1:PORT  (see the file header)\n",
            argv[0]);
    return 2;
  }
  servers = argv[1];
  /* The helper's server answers, with at least the 10000 names the tests
   * use, before anything else is tried; the cache bound may need more. */
  char addrs[64], err[256], host[64];
  long names = 10000;
  if (sc_resolve_blocking(NULL, "u9999.test", servers, 4, 2000, addrs,
                          sizeof addrs, err, sizeof err) != SC_RESOLVE_OK) {
    fprintf(stderr, "no dnsmasq of dns_helper.py --names 10000 at %s: %s\n",
            servers, err);
    return 2;
  }
  while (names < (1L << 23)) {
    snprintf(host, sizeof host, "u%ld.test", names * 2 - 1);
    if (sc_resolve_blocking(NULL, host, servers, 4, 2000, addrs, sizeof addrs,
                            err, sizeof err) != SC_RESOLVE_OK)
      break;
    names *= 2;
  }

  struct {
    const char *name;
    void (*fn)(void);
  } tests[] = {
      {"new_errors", test_new_errors},
      {"families", test_families},
      {"idle_unref", test_idle_unref},
      {"negative_and_errors", test_negative_and_errors},
      {"no_query_needed", test_no_query_needed},
      {"cache_and_ttl", test_cache_and_ttl},
      {"timeout", test_timeout},
      {"lost_query", test_lost_query},
      {"cancel", test_cancel},
      {"reentry_and_free", test_reentry_and_free},
      {"blocking", test_blocking},
      {"blocking_threads", test_blocking_threads},
      {"shared_cache", test_shared_cache},
      {"failure_memory", test_failure_memory},
      {"blocking_shared_query", test_blocking_shared_query},
      {"stress", test_stress},
  };
  for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) {
    int before = failed;
    tests[i].fn();
    printf("%-22s %s\n", tests[i].name, failed == before ? "ok" : "FAILED");
  }
  int before = failed;
  test_concurrent(5000, 3000);
  printf("%-22s %s\n", "concurrent_5000", failed == before ? "ok" : "FAILED");
  before = failed;
  test_cache_bound(names);
  printf("%-22s %s\n", "cache_bound", failed == before ? "ok" : "FAILED");

  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
