/* firstn.h - the first n items of a stream by a key, in O(n) memory
 * whatever the stream's length and whatever order the items arrive in.
 *
 * Used for the failure list (faillist.h): the first --show-max results
 * that are not OK, by (input, line), though checks complete in any order.
 * The items kept are a max-heap on the key, at most n of them: an item
 * goes in while there is room, or if its key is smaller than the largest
 * kept, which then leaves. Each offer costs O(log n). Items are opaque
 * pointers the caller owns: whatever leaves or never enters is handed
 * back to be freed. Not thread-safe (the sink calls it under its lock). */
#ifndef SC_FIRSTN_H
#define SC_FIRSTN_H

#include <stddef.h>
#include <stdint.h>

struct sc_firstn_item {
  uint64_t major, minor; /* the key: ordered by major, then minor */
  void *data;
};

struct sc_firstn {
  struct sc_firstn_item *heap; /* max-heap on the key while adding */
  size_t n, alloc, cap;        /* kept, room allocated, room at most */
  uint64_t offered;            /* items offered in all */
};

/* Makes an empty keeper of at most cap items (0 keeps none). */
void sc_firstn_init(struct sc_firstn *k, size_t cap);

/* Whether an item with this key would be kept now: there is room, or its
 * key is smaller than the largest kept. Lets the caller skip building an
 * item that would be handed straight back. */
int sc_firstn_fits(const struct sc_firstn *k, uint64_t major, uint64_t minor);

/* Offers data under key (major, minor). Returns what is not kept, for the
 * caller to free: data itself if it does not fit, the data of the item it
 * pushed out, or NULL. Every offer counts in k->offered, kept or not. */
void *sc_firstn_add(struct sc_firstn *k, uint64_t major, uint64_t minor,
                    void *data);

/* Counts an offer that sc_firstn_fits said would not be kept, without
 * making it. */
void sc_firstn_pass(struct sc_firstn *k);

/* Sorts the kept items by key, smallest first, and returns them (*n of
 * them; they stay the keeper's). No more adds after this. */
const struct sc_firstn_item *sc_firstn_sorted(struct sc_firstn *k, size_t *n);

/* Offers that are not kept: k->offered - k->n. */
uint64_t sc_firstn_dropped(const struct sc_firstn *k);

/* Frees the keeper's array; the items' data stay the caller's. */
void sc_firstn_free(struct sc_firstn *k);

#endif
