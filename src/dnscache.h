/* dnscache.h - a bounded cache of DNS answers by host name, which also
 * remembers names whose lookups keep failing, and the place where blocking
 * lookups of one name wait for the one query.
 *
 * A run has one, created locked and shared by every event loop and thread
 * of the run (a worker process of the process model has its own, the copy
 * fork made of the parent's empty one). Each event-loop resolver keeps an
 * unlocked one of its own in front of it, so that a hit there costs no
 * lock; only its misses reach the shared one (resolver.c).
 *
 * Keys are host names as the resolver makes them (lowercase, no brackets).
 * An entry lives until its TTL runs out. When a limit (entries or bytes) is
 * reached, expired entries go first, then the oldest, down to fifteen
 * sixteenths of the limit. An entry costs its name and data (both with a
 * NUL) plus SC_DNSCACHE_ENTRY_OVERHEAD bytes.
 *
 * Failures: with failure memory on, sc_dnscache_failed() counts lookups of
 * a name that timed out or failed at the server. Once fail_after of them
 * in a row (no answer in between) are counted, the name answers
 * SC_DNS_FAILED until fail_ttl_ms after the last one, so later lookups of
 * it fail at once instead of each waiting out its own time limit. */
#ifndef SC_DNSCACHE_H
#define SC_DNSCACHE_H

#include <stddef.h>

#include "util.h"

/* Kinds of entry. */
enum sc_dns_kind {
  SC_DNS_ADDRS,    /* data: the address list, "a1,a2,[a3]" */
  SC_DNS_NXDOMAIN, /* no such name; data "" */
  SC_DNS_NODATA,   /* no address of the family; data "" */
  SC_DNS_FAILED    /* lookups failed; data: the last one's message */
};

/* The limits and failure memory of a run's shared cache (main.c). */
#define SC_DNSCACHE_MAX_ENTRIES 1000000
#define SC_DNSCACHE_MAX_BYTES ((size_t)128 << 20)
#define SC_DNSCACHE_FAIL_TTL_MS 30000L

/* Bytes an entry costs besides its name and data: its header (48 bytes on
 * 64-bit), the allocator's header and rounding, and its share of the hash
 * table's buckets (one to two pointers). */
#define SC_DNSCACHE_ENTRY_OVERHEAD 80

struct sc_dnscache;

/* An empty cache holding at most max_entries entries and max_bytes bytes
 * (both > 0), with failure memory off. locked: whether several threads
 * use it (then every call takes its mutex); an unlocked one belongs to one
 * thread. */
struct sc_dnscache *sc_dnscache_new(size_t max_entries, size_t max_bytes,
                                    int locked);

/* Turns failure memory on (see above): fail_after >= 1 failed lookups in
 * a row make a name fail at once for ttl_ms after the last. Call before
 * the cache is used. */
void sc_dnscache_remember_failures(struct sc_dnscache *c, int fail_after,
                                   long ttl_ms);

/* Frees the cache and its entries. No thread may be inside a call. */
void sc_dnscache_free(struct sc_dnscache *c);

/* The calls below take the time, now_ms, on sc_now_ms's clock (a uv
 * loop's uv_now is on the same clock, in whole milliseconds, and costs
 * nothing to read). */

/* If a live entry answers key, sets *kind and *ttl_ms (milliseconds it has
 * left, >= 1), appends its data to data and returns 1. Returns 0 if none
 * does (no entry, an expired one, or failures not yet fail_after). */
int sc_dnscache_get(struct sc_dnscache *c, const char *key, double now_ms,
                    int *kind, long *ttl_ms, struct sc_buf *data);

/* Stores an answer of `kind` with data for ttl_ms (>= 1), replacing any
 * entry of key. A SC_DNS_FAILED entry stored this way answers at once (a
 * front cache copying the shared one's). An entry over a sixteenth of
 * max_bytes is not stored. */
void sc_dnscache_put(struct sc_dnscache *c, const char *key, double now_ms,
                     int kind, const char *data, long ttl_ms);

/* Counts a failed lookup of key (msg: how it failed). Does nothing with
 * failure memory off, or while a live answer of another kind is cached
 * (another thread found the name meanwhile). Returns 1 if key now answers
 * SC_DNS_FAILED, else 0. */
int sc_dnscache_failed(struct sc_dnscache *c, const char *key, double now_ms,
                       const char *msg);

/* Entries held, live or expired, and the bytes they cost. */
size_t sc_dnscache_count(struct sc_dnscache *c, size_t *bytes);

/* ---- blocking lookups of one name share one query (locked caches) ---- */

enum sc_dnscache_claim {
  SC_DNSCACHE_HIT,    /* the cache answers: *value is the kind, text the data */
  SC_DNSCACHE_SHARED, /* the lookup of the thread that claimed key ended:
                       *value and text as it passed them to release */
  SC_DNSCACHE_LATE,   /* deadline_ms passed with that lookup still running */
  SC_DNSCACHE_MINE    /* nobody was looking key up: the caller now is, and
                         must call sc_dnscache_release when done */
};

/* Answers key from the cache (at sc_now_ms()), or waits (until
 * deadline_ms, on that clock) for the lookup another thread claimed, or
 * makes the caller the
 * one that looks key up. Returns one of the above; *value and text are
 * set only for HIT (with *ttl_ms as sc_dnscache_get sets it) and SHARED.
 * An unlocked cache never waits: it answers HIT or MINE. */
int sc_dnscache_claim(struct sc_dnscache *c, const char *key,
                      double deadline_ms, int *value, long *ttl_ms,
                      struct sc_buf *text);

/* Ends the caller's claim of key: every thread waiting for it gets value
 * and text (copied). The cache itself is filled by the lookup, not here. */
void sc_dnscache_release(struct sc_dnscache *c, const char *key, int value,
                         const char *text);

#endif
