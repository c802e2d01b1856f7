/* htab.h - a chained hash table of intrusive nodes, shared by the
 * resolver's cache, the scheduler's hosts and the sink's --dedup table.
 * A struct that lives in a table starts with a struct hnode; callers hash
 * their keys with sc_hash_str and compare keys themselves while walking a
 * chain. The table grows at load 1 and never allocates per node. */
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

/* Mixes a 64-bit value into a well-spread hash (splitmix64's finalizer). */
uint64_t sc_hash_u64(uint64_t x);

/* FNV-1a over s, mixed; seed varies the table's layout. */
uint64_t sc_hash_str(uint64_t seed, const char *s);

#endif
