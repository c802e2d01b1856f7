/* htab.h - a chained hash table of intrusive nodes, shared by the
 * resolver's cache, the scheduler's hosts and the sink's --dedup table.
 * A struct that lives in a table starts with a struct hnode; callers hash
 * their keys with sc_hash_str (keyed, see below) and compare keys
 * themselves while walking a chain. The table grows at load 1 and never
 * allocates per node. */
#ifndef SC_HTAB_H
#define SC_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hnode {
  struct hnode *next;
  uint64_t hash;
};

struct htab {
  struct hnode **b;
  size_t mask; /* buckets - 1 */
  size_t n;
};

void ht_init(struct htab *t);
/* Frees the buckets only; the nodes are the caller's. */
void ht_free(struct htab *t);
void ht_add(struct htab *t, struct hnode *e); /* e->hash set by the caller */
void ht_del(struct htab *t, struct hnode *e);
/* The chain where nodes of this hash live. */
struct hnode *ht_chain(const struct htab *t, uint64_t hash);

/* Mixes a 64-bit value into a well-spread hash (splitmix64's finalizer).
 * Not keyed: only for values an outsider does not choose. */
uint64_t sc_hash_u64(uint64_t x);

/* A keyed hash of s: SipHash-1-3 under a 128-bit key drawn once per
 * process from getrandom(2) (else /dev/urandom, else the clock, the pid
 * and the stack's address), with seed mixed into the key. Keys in these
 * tables come from the input list and from servers, so an unkeyed hash
 * would let a crafted list put every key in one chain; without the key
 * no one can tell which strings collide. All 64 bits are well mixed, so
 * callers may mask any of them. Forked workers share their parent's key,
 * which is harmless: the key is never shown and only tables hash with it.
 * Thread-safe. */
uint64_t sc_hash_str(uint64_t seed, const char *s);

/* SipHash-c-d (Aumasson and Bernstein, 2012) of data[0..n) under the key
 * k0 (key bytes 0-7, little-endian) and k1 (bytes 8-15): c rounds per
 * 8-byte block, d rounds to finish. sc_hash_str uses 1-3; the rounds are
 * parameters so that the unit tests can also hold the code to the
 * published SipHash-2-4 vectors. */
uint64_t sc_siphash(uint64_t k0, uint64_t k1, int c, int d, const void *data,
                    size_t n);

#endif
