/* engine_event.c - the event-loop model: libcurl's multi socket interface
 * driven by libuv, one uv_poll_t per socket and one timer per loop.
 *
 * A loop keeps at most its share of -c checks in flight; free slots are
 * refilled from the scheduler after each round of socket events (see
 * refill_soon), so nothing waits in libcurl's own queue (where its timeout
 * would already be running).
 * --loops N runs N such loops in N threads that share nothing but the
 * run (run.h: the scheduler with the source behind it, and the sink);
 * each loop takes from its own lane of the scheduler, so a host's checks
 * meet the connections its earlier checks left in that loop's cache.
 *
 * A slot stays with its check through redirects and retries: the retry
 * waits on the slot's own timer while the other slots go on; a redirect's
 * next hop starts at once (sc_check_finish asks for it with delay 0), on
 * the same easy handle, so a hop to the same host finds its connection in
 * the multi handle's cache.
 *
 * Host names are looked up on the loop with c-ares (resolver.c) and
 * handed to libcurl as a CURLOPT_RESOLVE entry, instead of libcurl's new
 * thread per lookup; --resolver curl keeps libcurl's way for comparison.
 *
 * Descriptors are budgeted too: a check needs one, or up to three when
 * libcurl's threaded resolver looks its host up. A check that would
 * overrun the loop's share of the open-file limit waits until another
 * finishes, so running out of descriptors never turns into false
 * `connect` or `dns` results. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "check.h"
#include "engine.h"
#include "list.h"
#include "resolver.h"
#include "scheduler.h"
#include "util.h"

struct ev_loop;

/* A slot: one check and its timer (a retry's wait, or the time a lookup
 * may take), made the first time the slot needs it: most checks of a list
 * of addresses never do. check comes first, so a struct sc_check * from
 * CURLINFO_PRIVATE is also the slot. */
struct ev_slot {
  struct sc_check check;
  uv_timer_t *timer; /* NULL until needed (slot_timer) */
  struct ev_loop *ev;
  struct sc_link held;     /* in the loop's queue waiting for descriptors */
  int in_multi;            /* its easy handle is added to the multi */
  unsigned long lookup_id; /* its c-ares lookup under way, or 0 */
  double lookup_t0;
};

struct ev_loop {
  uv_loop_t loop;
  uv_timer_t curl_timer;  /* the one timer libcurl asks for */
  uv_timer_t tick;        /* notices sc_stop */
  uv_timer_t sched_timer; /* the scheduler's next allowed start */
  uv_check_t refill_soon; /* refills once this round's events are handled */
  uv_idle_t no_wait;      /* ... and keeps the loop from waiting before */
  uv_async_t wake;        /* the scheduler has a job of this lane ready */
  CURLM *multi;
  struct sc_tls_sessions *tls;  /* the TLS sessions the slots share */
  struct sc_resolver *resolver; /* NULL with --resolver curl */
  struct sc_run *run;
  int lane; /* in the scheduler, with the loop's index */
  char worker[sizeof(((struct sc_answer *)0)->worker)]; /* "loop N" */
  int nloops;
  struct ev_slot *slots;
  struct ev_slot **idle; /* stack of free slots */
  long nslots, nidle;
  long freed;              /* slots freed since the last refill */
  long fd_budget, fd_used; /* descriptors allowed / in use */
  struct sc_link held;     /* slots waiting for descriptors, first out first */
  struct ev_sock **socks;  /* the watcher of each descriptor, by number */
  long nsocks;             /* entries in socks */
  int input_done;
  int closing;
  int failed;
};

/* The watcher of one descriptor number. It outlives libcurl's interest
 * in the socket (see on_socket): stopped when libcurl stops watching,
 * started again for the next socket of that number, closed when the loop
 * ends. */
struct ev_sock {
  uv_poll_t poll;
  curl_socket_t fd;
  int events; /* what libcurl asked us to watch, 0 while stopped */
  struct ev_loop *ev;
};

static void refill(struct ev_loop *ev);
static void refill_soon(struct ev_loop *ev);
static void start_try(struct ev_slot *s);

/* Descriptors a check may hold at once (see the file comment). */
static long fd_cost(const struct ev_slot *s) {
  return s->check.job.ip_literal || s->ev->resolver ? 1 : 3;
}

static void on_sock_closed(uv_handle_t *h) {
  free(h->data);
}

static void on_timer_closed(uv_handle_t *h) {
  free(h);
}

/* Slot s's timer, made on first use. */
static uv_timer_t *slot_timer(struct ev_slot *s) {
  if (!s->timer) {
    s->timer = sc_xmalloc(sizeof *s->timer);
    uv_timer_init(&s->ev->loop, s->timer);
    s->timer->data = s;
  }
  return s->timer;
}

/* Stops slot s's timer, if it has one. */
static void slot_timer_stop(struct ev_slot *s) {
  if (s->timer) uv_timer_stop(s->timer);
}

/* Frees slot s for the next job. */
static void release(struct ev_loop *ev, struct ev_slot *s) {
  sc_job_clear(&s->check.job);
  ev->idle[ev->nidle++] = s;
  ev->freed++;
}

/* Completes slot s's check with r, run by this loop, and frees the
 * slot. */
static void complete(struct ev_loop *ev, struct ev_slot *s,
                     struct sc_result *r) {
  memcpy(r->a.worker, ev->worker, sizeof r->a.worker);
  sc_run_complete(ev->run, &s->check.job, r);
  release(ev, s);
}

static void on_retry_timer(uv_timer_t *t) {
  struct ev_slot *s = t->data;
  start_try(s);
  refill(s->ev);
}

static void on_refill_soon(uv_check_t *h) {
  struct ev_loop *ev = h->data;
  uv_check_stop(&ev->refill_soon);
  uv_idle_stop(&ev->no_wait);
  refill(ev);
}

static void on_no_wait(uv_idle_t *h) {
  (void)h;
}

/* Whether the scheduler wakes this loop when a job of its lane becomes
 * ready: with several loops (another loop's take may queue it), or when
 * the source gets jobs from another thread (source.h, wakes). A lone loop
 * over a file makes every job ready itself. */
static int wakes(const struct ev_loop *ev) {
  return ev->nloops > 1 || ev->run->source->wakes;
}

/* Refills soon, not now: the wake comes in the I/O phase (see
 * refill_soon). */
static void on_wake(uv_async_t *h) {
  refill_soon(h->data);
}

/* The scheduler's wake for this loop's lane (under its lock). */
static void wake_loop(void *arg) {
  struct ev_loop *ev = arg;
  uv_async_send(&ev->wake);
}

/* Refills after this round of events, not now: other sockets of the round
 * may hold finished responses libcurl has not read yet, and their
 * connections count as busy until it has. A check added now would run
 * during the next socket's curl_multi_socket_action (libcurl runs due
 * timers in every call) and open a new connection, one per busy host
 * after a stall. A check handle runs after the loop's I/O phase; the idle
 * handle makes that phase look without waiting when the round began in a
 * timer. */
static void refill_soon(struct ev_loop *ev) {
  if (ev->closing) return;
  uv_check_start(&ev->refill_soon, on_refill_soon);
  uv_idle_start(&ev->no_wait, on_no_wait);
}

/* Hands every finished transfer to the core: done ones are completed
 * (sc_run_complete), retries wait on their slot's timer. Then has the loop
 * refilled soon. */
static void drain(struct ev_loop *ev) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(ev->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    struct ev_slot *s;
    struct sc_result r;
    long delay;
    CURL *e = m->easy_handle;
    CURLcode rc = m->data.result;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
    enum sc_next next = sc_check_finish(&s->check, rc, &r, &delay);
    curl_multi_remove_handle(ev->multi, e);
    s->in_multi = 0;
    ev->fd_used -= fd_cost(s);
    if (next == SC_CHECK_DONE) {
      complete(ev, s, &r);
    } else if (delay > 0)
      uv_timer_start(slot_timer(s), on_retry_timer, (uint64_t)delay, 0);
    else
      start_try(s);
  }
  refill_soon(ev);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  struct ev_sock *s = h->data;
  int flags = 0, running;
  /* On a socket error let libcurl do the read or write it was waiting for:
   * it then reports the real cause ("Connection reset by peer"). */
  if (status < 0) events = s->events;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  curl_multi_socket_action(s->ev->multi, s->fd, flags, &running);
  drain(s->ev);
}

static void on_curl_timer(uv_timer_t *t) {
  struct ev_loop *ev = t->data;
  int running;
  curl_multi_socket_action(ev->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  drain(ev);
}

/* The watcher for descriptor fd: the one kept from an earlier socket of
 * that number, or a new one; NULL if libuv refuses the descriptor. */
static struct ev_sock *sock_for(struct ev_loop *ev, curl_socket_t fd) {
  if (fd >= ev->nsocks) {
    long n = ev->nsocks ? ev->nsocks : 64;
    while (n <= fd) n *= 2;
    ev->socks = sc_xrealloc(ev->socks, (size_t)n * sizeof *ev->socks);
    memset(ev->socks + ev->nsocks, 0,
           (size_t)(n - ev->nsocks) * sizeof *ev->socks);
    ev->nsocks = n;
  }
  struct ev_sock *s = ev->socks[fd];
  if (s) return s;
  s = sc_xmalloc(sizeof *s);
  s->fd = fd;
  s->ev = ev;
  s->events = 0;
  if (uv_poll_init_socket(&ev->loop, &s->poll, fd) != 0) {
    free(s);
    return NULL;
  }
  s->poll.data = s;
  ev->socks[fd] = s;
  return s;
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching one socket.
 * libcurl stops watching a kept connection's socket when its transfer
 * ends and watches it again for the next transfer on it. A uv_poll_t
 * costs three system calls to set up (libuv tests the descriptor with an
 * epoll add and delete, then makes it non-blocking) and is freed only
 * after a close callback, so the watcher of a descriptor is stopped, not
 * closed, and serves every later socket of that number (libcurl tells us
 * to stop before it closes a socket). */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp,
                     void *socketp) {
  struct ev_loop *ev = userp;
  struct ev_sock *s = socketp;
  (void)e;
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      uv_poll_stop(&s->poll);
      s->events = 0;
      curl_multi_assign(ev->multi, fd, NULL);
    }
    return 0;
  }
  if (!s) {
    if (!(s = sock_for(ev, fd))) return -1;
    curl_multi_assign(ev->multi, fd, s);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  /* Already watching that (libuv stops a watcher itself on an error). */
  if (events == s->events && uv_is_active((uv_handle_t *)&s->poll)) return 0;
  s->events = events;
  uv_poll_start(&s->poll, events, on_poll);
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants one timer; -1 removes it. Never
 * calls back into libcurl from here. */
static int on_timer_change(CURLM *m, long ms, void *userp) {
  struct ev_loop *ev = userp;
  (void)m;
  if (ev->closing) return 0;
  if (ms < 0)
    uv_timer_stop(&ev->curl_timer);
  else
    uv_timer_start(&ev->curl_timer, on_curl_timer, (uint64_t)ms, 0);
  return 0;
}

/* Closes the loop's own handles once nothing is left in flight. */
static void close_if_done(struct ev_loop *ev) {
  if (ev->closing || !ev->input_done || ev->nidle != ev->nslots) return;
  ev->closing = 1;
  uv_timer_stop(&ev->curl_timer);
  uv_timer_stop(&ev->tick);
  uv_timer_stop(&ev->sched_timer);
  uv_close((uv_handle_t *)&ev->curl_timer, NULL);
  uv_close((uv_handle_t *)&ev->tick, NULL);
  uv_close((uv_handle_t *)&ev->sched_timer, NULL);
  uv_check_stop(&ev->refill_soon);
  uv_idle_stop(&ev->no_wait);
  uv_close((uv_handle_t *)&ev->refill_soon, NULL);
  uv_close((uv_handle_t *)&ev->no_wait, NULL);
  /* After this no other thread sends to the handle. */
  if (wakes(ev)) sc_sched_on_ready(ev->run->sched, ev->lane, NULL, NULL);
  uv_close((uv_handle_t *)&ev->wake, NULL);
  if (ev->resolver) sc_resolver_free(ev->resolver);
  ev->resolver = NULL;
  for (long i = 0; i < ev->nslots; i++)
    if (ev->slots[i].timer)
      uv_close((uv_handle_t *)ev->slots[i].timer, on_timer_closed);
}

/* The c-ares answer for slot s: start the transfer, or report `dns`. A
 * callback that comes later than sc_resolver_lookup's return refills the
 * loop; one that comes during it (a cache hit) leaves that to refill. */
static void on_resolved(void *arg, int status, const char *addrs,
                        const char *err) {
  struct ev_slot *s = arg;
  struct ev_loop *ev = s->ev;
  int async = s->lookup_id != 0;
  double ms = sc_now_ms() - s->lookup_t0;
  if (async) slot_timer_stop(s); /* on_lookup_late's */
  s->lookup_id = 0;
  if (status == SC_RESOLVE_OK) {
    sc_check_resolved(&s->check, addrs, ms);
    start_try(s);
  } else {
    struct sc_result r;
    long delay;
    if (sc_check_unresolved(&s->check, status, err, ms, &r, &delay) ==
        SC_CHECK_AGAIN) {
      uv_timer_start(slot_timer(s), on_retry_timer, (uint64_t)delay, 0);
    } else {
      complete(ev, s, &r);
    }
  }
  if (async) refill(ev);
}

/* A lookup of slot s has taken all the time its try (or check) had left:
 * it ends as one that timed out. The resolver's own limit is the same for
 * every lookup, while a redirect's lookup gets what is left of its try. */
static void on_lookup_late(uv_timer_t *t) {
  struct ev_slot *s = t->data;
  char err[320];
  /* The timer counts from the loop's cached time, so it can fire a little
   * early: wait for the rest, or the core would not see the time run out. */
  long left = sc_check_time_left(&s->check);
  if (left > 1) {
    uv_timer_start(slot_timer(s), on_lookup_late, (uint64_t)left, 0);
    return;
  }
  sc_resolver_cancel(s->ev->resolver, s->lookup_id);
  snprintf(err, sizeof err, "%.250s: DNS lookup timed out after %.0f ms",
           s->check.tr.host, sc_now_ms() - s->lookup_t0);
  on_resolved(s, SC_RESOLVE_TIMEOUT, "", err);
}

/* Runs the next transfer of slot s's check (a try, or a redirect hop):
 * first the name lookup of its host if it needs one, bounded by the time
 * left (the slot's timer is idle meanwhile); then the transfer, or a place
 * in the queue while the loop's descriptors are spoken for (unless nothing
 * is in flight at all). */
static void start_try(struct ev_slot *s) {
  struct ev_loop *ev = s->ev;
  if (ev->resolver && sc_check_needs_lookup(&s->check)) {
    s->lookup_t0 = sc_now_ms();
    s->lookup_id = 0;
    unsigned long id =
        sc_resolver_lookup(ev->resolver, s->check.tr.host, on_resolved, s);
    if (id) {
      /* The resolver ends a lookup at its own limit, and a lookup that
       * ended there counts towards the DNS cache's memory of failing
       * names; cut it sooner only when the try has less time left. */
      const struct sc_opts *o = ev->run->o;
      long own = o->connect_timeout_ms ? o->connect_timeout_ms : o->timeout_ms;
      long left = sc_check_time_left(&s->check);
      s->lookup_id = id;
      if (left < own)
        uv_timer_start(slot_timer(s), on_lookup_late, (uint64_t)left, 0);
    }
    return;
  }
  long cost = fd_cost(s);
  if (ev->fd_used > 0 && ev->fd_used + cost > ev->fd_budget) {
    sc_link_add_tail(&ev->held, &s->held);
    return;
  }
  sc_check_prepare(&s->check);
  if (curl_multi_add_handle(ev->multi, s->check.easy) != CURLM_OK) {
    struct sc_result r;
    long delay;
    sc_check_finish(&s->check, CURLE_OUT_OF_MEMORY, &r, &delay);
    complete(ev, s, &r);
    return;
  }
  s->in_multi = 1;
  ev->fd_used += cost;
}

static void on_sched_timer(uv_timer_t *t) {
  refill(t->data);
}

/* How many more checks a loop may have in flight after each round of
 * events: a refill starts one check per slot freed since the last refill,
 * plus at most this many; the rest wait for the next round, which polls
 * without waiting (refill_soon). libcurl sees a connect finish only when
 * the loop polls its socket, so starting every free slot at once made
 * each check's connect wait until the loop had started all the others,
 * and sent all requests together: at high -c, "connect" then measured the
 * loop, not the network. The credit for freed slots keeps -c in flight: a
 * flat cap ran fewer checks than -c whenever the CPU was the limit. A
 * smaller step than this one opened more connections and ran slower. */
enum { START_MORE_PER_ROUND = 64 };

/* Starts what waits for descriptors, then fills free slots from the
 * scheduler while descriptors last, START_MORE_PER_ROUND more than were freed.
 * When the scheduler says "not yet", the loop asks again when it says, or when
 * a check finishes; a loop with nothing in flight (its hosts busy in other
 * loops) looks every 20 ms. */
static void refill(struct ev_loop *ev) {
  for (struct sc_link *l; (l = sc_link_first(&ev->held));) {
    struct ev_slot *s = SC_CONTAINER(l, struct ev_slot, held);
    if (ev->fd_used > 0 && ev->fd_used + fd_cost(s) > ev->fd_budget) break;
    sc_link_del(l);
    start_try(s);
  }
  long started = 0, most = ev->freed + START_MORE_PER_ROUND;
  ev->freed = 0;
  while (!ev->input_done && sc_link_empty(&ev->held) && ev->nidle > 0) {
    struct ev_slot *s = ev->idle[ev->nidle - 1];
    if (started == most) {
      refill_soon(ev); /* the rest after this round's socket events */
      break;
    }
    long wait;
    int got = sc_sched_take(ev->run->sched, ev->lane, &s->check.job, &wait);
    if (got < 0) {
      ev->input_done = 1;
      break;
    }
    if (got == 0) {
      if (wait < 0 && ev->nidle == ev->nslots) wait = 20;
      if (wait >= 0)
        uv_timer_start(&ev->sched_timer, on_sched_timer, (uint64_t)wait, 0);
      break;
    }
    ev->nidle--;
    started++;
    sc_check_begin(&s->check);
    start_try(s);
  }
  close_if_done(ev);
}

/* On a stop request: read no more input, abandon what is in flight,
 * waiting to retry or waiting for descriptors. */
static void on_tick(uv_timer_t *t) {
  struct ev_loop *ev = t->data;
  if (!atomic_load(&sc_stop)) return;
  ev->input_done = 1;
  while (!sc_link_empty(&ev->held)) sc_link_del(ev->held.next);
  for (long i = 0; i < ev->nslots; i++) {
    struct ev_slot *s = &ev->slots[i];
    if (!s->check.job.url) continue;
    if (s->in_multi) curl_multi_remove_handle(ev->multi, s->check.easy);
    s->in_multi = 0;
    if (s->lookup_id) sc_resolver_cancel(ev->resolver, s->lookup_id);
    s->lookup_id = 0;
    slot_timer_stop(s);
    release(ev, s);
  }
  ev->fd_used = 0;
  close_if_done(ev);
}

/* Runs one loop to completion. */
static void *loop_main(void *arg) {
  struct ev_loop *ev = arg;
  /* Named on its own thread (top -H, and the tests count them). */
  if (ev->nloops > 1) pthread_setname_np(pthread_self(), "sc-loop");
  uv_loop_init(&ev->loop);
  sc_link_init(&ev->held);
  snprintf(ev->worker, sizeof ev->worker, "loop %d", ev->lane);
  ev->multi = curl_multi_init();
  curl_multi_setopt(ev->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(ev->multi, CURLMOPT_SOCKETDATA, ev);
  curl_multi_setopt(ev->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
  curl_multi_setopt(ev->multi, CURLMOPT_TIMERDATA, ev);
  /* Connections kept for reuse hold descriptors too. main.c budgets for
   * two connections per slot, so the cache may hold that many: with one
   * per slot, a run over more hosts than the cache holds made libcurl
   * close and reopen connections all the time, a new TLS handshake for
   * most checks. MAX_TOTAL makes the bound hard: at the cap libcurl closes
   * the oldest idle connection before it opens one, and never queues, as
   * fewer than nslots are in use. */
  long maxconn = ev->nslots;
  if (ev->run->o->reuse) {
    maxconn = 2 * ev->nslots;
    curl_multi_setopt(ev->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxconn);
  }
  curl_multi_setopt(ev->multi, CURLMOPT_MAXCONNECTS, maxconn);
  uv_timer_init(&ev->loop, &ev->curl_timer);
  uv_timer_init(&ev->loop, &ev->tick);
  uv_timer_init(&ev->loop, &ev->sched_timer);
  uv_check_init(&ev->loop, &ev->refill_soon);
  uv_idle_init(&ev->loop, &ev->no_wait);
  uv_async_init(&ev->loop, &ev->wake, on_wake);
  ev->wake.data = ev;
  if (wakes(ev)) sc_sched_on_ready(ev->run->sched, ev->lane, wake_loop, ev);
  ev->refill_soon.data = ev;
  ev->curl_timer.data = ev->tick.data = ev->sched_timer.data = ev;
  uv_timer_start(&ev->tick, on_tick, 100, 100);

  if (ev->run->o->use_cares) {
    const struct sc_opts *o = ev->run->o;
    char err[256];
    ev->resolver = sc_resolver_new(
        &ev->loop, ev->run->dns, o->dns_servers, o->family,
        o->connect_timeout_ms ? o->connect_timeout_ms : o->timeout_ms, err,
        sizeof err);
    if (!ev->resolver) {
      fprintf(stderr, "sitecheck: %s\n", err);
      exit(SC_EXIT_INTERNAL);
    }
    sc_resolver_set_shares(ev->resolver, ev->nloops);
  }
  ev->slots = sc_xcalloc((size_t)ev->nslots, sizeof *ev->slots);
  ev->idle = sc_xcalloc((size_t)ev->nslots, sizeof *ev->idle);
  ev->tls = sc_tls_sessions_new();
  for (long i = 0; i < ev->nslots; i++) {
    struct ev_slot *s = &ev->slots[i];
    sc_check_init(&s->check, ev->run->o, &sc_stop, 0);
    s->check.keep_fn = sc_run_keep_connection;
    s->check.keep_arg = ev->run;
    s->check.body = &sc_run_body_ops;
    s->check.body_arg = ev->run;
    s->check.tls = ev->tls;
    s->ev = ev;
    ev->idle[ev->nidle++] = &ev->slots[ev->nslots - 1 - i];
  }
  refill(ev);
  uv_run(&ev->loop, UV_RUN_DEFAULT);

  /* Cleanup may still call on_socket(REMOVE): the loop must outlive it,
   * and run once more so the closed poll handles are freed. */
  for (long i = 0; i < ev->nslots; i++) sc_check_cleanup(&ev->slots[i].check);
  curl_multi_cleanup(ev->multi);
  sc_tls_sessions_free(ev->tls);
  for (long fd = 0; fd < ev->nsocks; fd++)
    if (ev->socks[fd])
      uv_close((uv_handle_t *)&ev->socks[fd]->poll, on_sock_closed);
  uv_run(&ev->loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&ev->loop) != 0) ev->failed = 1;
  free(ev->slots);
  free(ev->idle);
  free(ev->socks);
  return NULL;
}

int sc_engine_event(struct sc_run *run) {
  long n = run->loops;
  struct ev_loop *loops = sc_xcalloc((size_t)n, sizeof *loops);
  pthread_t *tids = sc_xcalloc((size_t)n, sizeof *tids);
  int rc = 0;
  for (long i = 0; i < n; i++) {
    loops[i].run = run;
    loops[i].lane = (int)i;
    loops[i].nloops = (int)n;
    loops[i].nslots = run->lane_slots[i];
    /* Reuse: the cache holds at most two connections per slot (see
     * loop_main). With c-ares a check needs only its connection, so the
     * checks get the other half. libcurl's resolver adds a socket pair per
     * lookup, counted in fd_cost on top of the whole cache. */
    long cache = run->o->use_cares ? loops[i].nslots : 2 * loops[i].nslots;
    loops[i].fd_budget = run->fd_budget / n - (run->o->reuse ? cache : 0);
  }
  if (n == 1) {
    loop_main(&loops[0]);
  } else {
    for (long i = 0; i < n; i++)
      if (pthread_create(&tids[i], NULL, loop_main, &loops[i]) != 0) {
        fprintf(stderr, "sitecheck: cannot start loop thread\n");
        exit(SC_EXIT_INTERNAL);
      }
    for (long i = 0; i < n; i++) pthread_join(tids[i], NULL);
  }
  for (long i = 0; i < n; i++)
    if (loops[i].failed) rc = -1;
  free(loops);
  free(tids);
  return rc;
}
