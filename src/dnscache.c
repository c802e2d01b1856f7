/* dnscache.c - see dnscache.h.
 *
 * Entries sit in a hash table by name and on one list in the order they
 * were stored, oldest first, which is the order of eviction. Each entry is
 * one allocation: the header, the name and the data. Claims (blocking
 * lookups in flight) sit in a second table; each has its own condition
 * variable, on the monotonic clock of sc_now_ms. */
#include "dnscache.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
#include "list.h"

/* One entry: header, key, NUL, data, NUL. */
struct entry {
  struct sc_hnode h;    /* in c->entries */
  struct sc_link age;   /* in c->age, oldest first */
  double expires;       /* sc_now_ms() */
  uint32_t cost;        /* bytes counted against max_bytes */
  unsigned short fails; /* SC_DNS_FAILED: failed lookups in a row */
  unsigned char kind;
  char key[];
};

/* A blocking lookup of one name, and the threads waiting for it. Freed by
 * the last of the claimer and its waiters to let go. */
struct claim {
  struct sc_hnode h; /* in c->claims until released */
  pthread_cond_t done_cv;
  int done;
  int refs; /* the claimer (until release) and each waiter */
  int value;
  char *text;
  char key[];
};

struct sc_dnscache {
  pthread_mutex_t lock;
  pthread_condattr_t cattr;
  int locked;
  int fail_after; /* 0: failure memory off */
  long fail_ttl_ms;
  size_t max_entries, max_bytes, bytes;
  uint64_t seed;
  struct sc_htab entries, claims;
  struct sc_link age;
};

static void lock(struct sc_dnscache *c) {
  if (c->locked) pthread_mutex_lock(&c->lock);
}

static void unlock(struct sc_dnscache *c) {
  if (c->locked) pthread_mutex_unlock(&c->lock);
}

struct sc_dnscache *sc_dnscache_new(size_t max_entries, size_t max_bytes,
                                    int locked) {
  struct sc_dnscache *c = sc_xcalloc(1, sizeof *c);
  c->locked = locked;
  c->max_entries = max_entries ? max_entries : 1;
  c->max_bytes = max_bytes ? max_bytes : 1;
  c->seed = sc_hash_u64((uint64_t)(sc_now_ms() * 1e3) ^ (uintptr_t)c);
  sc_ht_init(&c->entries);
  sc_ht_init(&c->claims);
  sc_link_init(&c->age);
  if (locked) {
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_init(&c->cattr);
    pthread_condattr_setclock(&c->cattr, CLOCK_MONOTONIC);
  }
  return c;
}

void sc_dnscache_remember_failures(struct sc_dnscache *c, int fail_after,
                                   long ttl_ms) {
  c->fail_after = fail_after < 1           ? 1
                  : fail_after > USHRT_MAX ? USHRT_MAX
                                           : fail_after;
  c->fail_ttl_ms = ttl_ms < 1 ? 1 : ttl_ms;
}

static void entry_del(struct sc_dnscache *c, struct entry *e) {
  sc_ht_del(&c->entries, &e->h);
  sc_link_del(&e->age);
  c->bytes -= e->cost;
  free(e);
}

void sc_dnscache_free(struct sc_dnscache *c) {
  if (!c) return;
  while (!sc_link_empty(&c->age))
    entry_del(c, SC_CONTAINER(c->age.next, struct entry, age));
  /* Claims left over belong to threads that are gone; none normally. */
  for (size_t i = 0; i <= c->claims.mask; i++)
    for (struct sc_hnode *n = c->claims.b[i], *next; n; n = next) {
      struct claim *cl = SC_CONTAINER(n, struct claim, h);
      next = n->next;
      pthread_cond_destroy(&cl->done_cv);
      free(cl->text);
      free(cl);
    }
  sc_ht_free(&c->entries);
  sc_ht_free(&c->claims);
  if (c->locked) {
    pthread_condattr_destroy(&c->cattr);
    pthread_mutex_destroy(&c->lock);
  }
  free(c);
}

static struct entry *entry_find(struct sc_dnscache *c, const char *key,
                                uint64_t hash) {
  return SC_HT_FIND(&c->entries, hash, key, struct entry, h, key);
}

static const char *entry_data(const struct entry *e) {
  return e->key + strlen(e->key) + 1;
}

/* Frees room for an entry of `cost` bytes at a limit: every expired entry,
 * then the oldest until a sixteenth of each limit is free, so this full
 * pass runs at most once per a sixteenth of the limit's insertions. */
static void make_room(struct sc_dnscache *c, double now, size_t cost) {
  size_t max_n = c->max_entries - c->max_entries / 16;
  size_t max_b = c->max_bytes - c->max_bytes / 16;
  for (struct sc_link *l = c->age.next, *next; l != &c->age; l = next) {
    struct entry *e = SC_CONTAINER(l, struct entry, age);
    next = l->next;
    if (e->expires <= now) entry_del(c, e);
  }
  while (!sc_link_empty(&c->age) &&
         (c->entries.n > max_n || c->bytes + cost > max_b))
    entry_del(c, SC_CONTAINER(c->age.next, struct entry, age));
}

/* Stores a new entry of key (replacing any) at `now` that expires at
 * `expires`. Returns it, or NULL if it is too big to store. Under the
 * lock. */
static struct entry *store(struct sc_dnscache *c, const char *key, int kind,
                           const char *data, double now, double expires,
                           int fails) {
  uint64_t hash = sc_hash_str(c->seed, key);
  size_t klen = strlen(key), dlen = strlen(data);
  size_t size = sizeof(struct entry) + klen + dlen + 2;
  size_t cost = size + SC_DNSCACHE_ENTRY_OVERHEAD - sizeof(struct entry);
  struct entry *e = entry_find(c, key, hash);
  if (e) entry_del(c, e);
  if (cost > c->max_bytes / 16 || cost > UINT32_MAX) return NULL;
  if (c->entries.n >= c->max_entries || c->bytes + cost > c->max_bytes)
    make_room(c, now, cost);
  e = sc_xmalloc(size);
  e->h.hash = hash;
  e->expires = expires;
  e->cost = (uint32_t)cost;
  e->fails = (unsigned short)fails;
  e->kind = (unsigned char)kind;
  memcpy(e->key, key, klen + 1);
  memcpy(e->key + klen + 1, data, dlen + 1);
  sc_ht_add(&c->entries, &e->h);
  sc_link_add_tail(&c->age, &e->age);
  c->bytes += cost;
  return e;
}

/* The live entry that answers key, or NULL; drops an expired one. Under
 * the lock. */
static struct entry *answering(struct sc_dnscache *c, const char *key,
                               double now) {
  struct entry *e = entry_find(c, key, sc_hash_str(c->seed, key));
  if (!e) return NULL;
  if (e->expires <= now) {
    entry_del(c, e);
    return NULL;
  }
  if (e->kind == SC_DNS_FAILED && e->fails < c->fail_after) return NULL;
  return e;
}

/* Fills the caller's side of a hit. */
static void hit(const struct entry *e, double now, int *kind, long *ttl_ms,
                struct sc_buf *data) {
  double left = e->expires - now;
  const char *d = entry_data(e);
  *kind = e->kind;
  *ttl_ms = left < 1 ? 1 : left > (double)LONG_MAX ? LONG_MAX : (long)left;
  if (*d) sc_buf_adds(data, d);
}

int sc_dnscache_get(struct sc_dnscache *c, const char *key, double now,
                    int *kind, long *ttl_ms, struct sc_buf *data) {
  lock(c);
  struct entry *e = answering(c, key, now);
  if (e) hit(e, now, kind, ttl_ms, data);
  unlock(c);
  return e != NULL;
}

void sc_dnscache_put(struct sc_dnscache *c, const char *key, double now,
                     int kind, const char *data, long ttl_ms) {
  double expires = now + (double)(ttl_ms < 1 ? 1 : ttl_ms);
  lock(c);
  store(c, key, kind, data, now, expires, USHRT_MAX);
  unlock(c);
}

int sc_dnscache_failed(struct sc_dnscache *c, const char *key, double now,
                       const char *msg) {
  int now_failed = 0;
  if (c->fail_after == 0) return 0;
  lock(c);
  struct entry *e = entry_find(c, key, sc_hash_str(c->seed, key));
  if (e && e->expires <= now) {
    entry_del(c, e);
    e = NULL;
  }
  if (!e || e->kind == SC_DNS_FAILED) {
    int fails = e && e->fails < USHRT_MAX ? e->fails + 1 : e ? USHRT_MAX : 1;
    e = store(c, key, SC_DNS_FAILED, msg, now, now + (double)c->fail_ttl_ms,
              fails);
    now_failed = e && e->fails >= c->fail_after;
  }
  unlock(c);
  return now_failed;
}

size_t sc_dnscache_count(struct sc_dnscache *c, size_t *bytes) {
  lock(c);
  size_t n = c->entries.n;
  if (bytes) *bytes = c->bytes;
  unlock(c);
  return n;
}

/* ---- claims ---- */

static struct claim *claim_find(struct sc_dnscache *c, const char *key,
                                uint64_t hash) {
  return SC_HT_FIND(&c->claims, hash, key, struct claim, h, key);
}

static void claim_unref(struct claim *cl) {
  if (--cl->refs > 0) return;
  pthread_cond_destroy(&cl->done_cv);
  free(cl->text);
  free(cl);
}

int sc_dnscache_claim(struct sc_dnscache *c, const char *key,
                      double deadline_ms, int *value, long *ttl_ms,
                      struct sc_buf *text) {
  double now = sc_now_ms();
  uint64_t hash = sc_hash_str(c->seed, key);
  int rc;
  lock(c);
  struct entry *e = answering(c, key, now);
  struct claim *cl = e || !c->locked ? NULL : claim_find(c, key, hash);
  if (e) {
    hit(e, now, value, ttl_ms, text);
    rc = SC_DNSCACHE_HIT;
  } else if (!c->locked) {
    rc = SC_DNSCACHE_MINE;
  } else if (!cl) {
    size_t klen = strlen(key);
    cl = sc_xcalloc(1, sizeof *cl + klen + 1);
    memcpy(cl->key, key, klen + 1);
    cl->h.hash = hash;
    cl->refs = 1;
    pthread_cond_init(&cl->done_cv, &c->cattr);
    sc_ht_add(&c->claims, &cl->h);
    rc = SC_DNSCACHE_MINE;
  } else {
    long long ms = deadline_ms > 0 ? (long long)deadline_ms : 0;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    cl->refs++;
    /* 0: woken (maybe spuriously); ETIMEDOUT: the deadline passed. */
    while (!cl->done &&
           pthread_cond_timedwait(&cl->done_cv, &c->lock, &ts) == 0) {
    }
    rc = cl->done ? SC_DNSCACHE_SHARED : SC_DNSCACHE_LATE;
    if (cl->done) {
      *value = cl->value;
      sc_buf_adds(text, cl->text);
    }
    claim_unref(cl);
  }
  unlock(c);
  return rc;
}

void sc_dnscache_release(struct sc_dnscache *c, const char *key, int value,
                         const char *text) {
  lock(c);
  struct claim *cl = claim_find(c, key, sc_hash_str(c->seed, key));
  if (cl) {
    sc_ht_del(&c->claims, &cl->h);
    cl->done = 1;
    cl->value = value;
    cl->text = sc_xstrdup(text);
    pthread_cond_broadcast(&cl->done_cv);
    claim_unref(cl);
  }
  unlock(c);
}
