/* htab.h - the one chained hash table of intrusive nodes (scheduler
 * hosts, --dedup, the resolver and the DNS cache, the report's tables).
 * A struct that lives in a table holds a struct sc_hnode; callers hash their
 * keys with sc_hash_str (keyed, see below) and find a node by its string
 * key with SC_HT_FIND. The table grows at load 1 and never allocates per
 * node. */
#ifndef SC_HTAB_H
#define SC_HTAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sc_hnode {
  struct sc_hnode *next;
  uint64_t hash;
};

struct sc_htab {
  struct sc_hnode **b;
  size_t mask; /* buckets - 1 */
  size_t n;
};

void sc_ht_init(struct sc_htab *t);
/* Frees the buckets only; the nodes are the caller's. */
void sc_ht_free(struct sc_htab *t);
void sc_ht_add(struct sc_htab *t,
               struct sc_hnode *e); /* e->hash set by the caller */
void sc_ht_del(struct sc_htab *t, struct sc_hnode *e);
/* The chain where nodes of this hash live. */
struct sc_hnode *sc_ht_chain(const struct sc_htab *t, uint64_t hash);

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

/* The node of t with this hash whose string key equals key; NULL if none.
 * A node's key is the string key_at bytes from its hnode (a char array
 * member), or with indirect the string a char * member there points to.
 * Use SC_HT_FIND or SC_HT_FIND_PTR, which work key_at out. */
static inline struct sc_hnode *sc_ht_find_str(const struct sc_htab *t,
                                              uint64_t hash, const char *key,
                                              ptrdiff_t key_at, int indirect) {
  for (struct sc_hnode *n = sc_ht_chain(t, hash); n; n = n->next) {
    const char *at = (const char *)n + key_at;
    if (n->hash == hash &&
        strcmp(indirect ? *(char *const *)(const void *)at : at, key) == 0)
      return n;
  }
  return NULL;
}

static inline void *sc_ht_entry_or_null(struct sc_hnode *n, size_t node_at) {
  return n ? (void *)((char *)n - node_at) : NULL;
}

#define SC_HT_FIND_(t, hash, k, type, node, key, indirect)                  \
  ((type *)sc_ht_entry_or_null(                                             \
      sc_ht_find_str(                                                       \
          (t), (hash), (k),                                                 \
          (ptrdiff_t)offsetof(type, key) - (ptrdiff_t)offsetof(type, node), \
          (indirect)),                                                      \
      offsetof(type, node)))

/* The struct `type` in table t whose key equals the string k (hash is
 * k's sc_hash_str), found through its struct sc_hnode member `node`; NULL if
 * there is none. SC_HT_FIND for a `char key[]` member, SC_HT_FIND_PTR for
 * a `char *key` member. */
#define SC_HT_FIND(t, hash, k, type, node, key) \
  SC_HT_FIND_(t, hash, k, type, node, key, 0)
#define SC_HT_FIND_PTR(t, hash, k, type, node, key) \
  SC_HT_FIND_(t, hash, k, type, node, key, 1)

#endif
