/* topk.h - the heaviest keys of a stream in bounded memory (the report's
 * hosts with the most failures and the most check time).
 *
 * The summary holds at most `capacity` keys. Until more distinct keys than
 * that have been seen, every weight is exact. From the first key that does
 * not fit on, it is the Space-Saving algorithm (Metwally, Agrawal and El
 * Abbadi, 2005): the new key replaces the lightest one and inherits its
 * weight as its error, so a key's counted weight overestimates its true
 * weight by at most its `err`, and every key heavier than total / capacity
 * is in the summary. sc_topk_approx() says which of the two holds. */
#ifndef SC_TOPK_H
#define SC_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "htab.h"

struct sc_topk_item {
  struct sc_hnode node; /* by key */
  size_t heap;          /* position in the summary's min-heap */
  double weight;        /* counted weight: true weight <= weight <= + err */
  double err;           /* weight inherited from the key it replaced */
  uint64_t n;           /* adds counted since the key entered */
  double max;           /* the largest single weight added since then */
  char *key;
};

struct sc_topk {
  struct sc_htab ht;
  struct sc_topk_item **heap; /* min-heap by weight */
  size_t n, cap;
  uint64_t replaced; /* keys that replaced another: 0 while exact */
};

/* Makes an empty summary of at most capacity (>= 1) keys. */
void sc_topk_init(struct sc_topk *t, size_t capacity);
void sc_topk_free(struct sc_topk *t);

/* Adds weight w (>= 0) to key (NUL-terminated, copied). */
void sc_topk_add(struct sc_topk *t, const char *key, double w);

/* True once the summary has had to replace a key. */
int sc_topk_approx(const struct sc_topk *t);

/* Fills out[] with up to k items, heaviest first (ties by key); returns
 * how many. The items stay the summary's, valid until the next add. */
size_t sc_topk_top(const struct sc_topk *t, const struct sc_topk_item **out,
                   size_t k);

#endif
