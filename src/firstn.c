/* firstn.c - see firstn.h. */
#include "firstn.h"

#include <stdlib.h>

#include "util.h"

/* a's key is smaller than b's. */
static int less(const struct sc_firstn_item *a,
                const struct sc_firstn_item *b) {
  return a->major < b->major || (a->major == b->major && a->minor < b->minor);
}

void sc_firstn_init(struct sc_firstn *k, size_t cap) {
  k->heap = NULL;
  k->n = k->alloc = 0;
  k->cap = cap;
  k->offered = 0;
}

int sc_firstn_fits(const struct sc_firstn *k, uint64_t major, uint64_t minor) {
  struct sc_firstn_item it = {major, minor, NULL};
  return k->n < k->cap || (k->n > 0 && less(&it, &k->heap[0]));
}

/* Restores the max-heap below position i, whose item may be too small. */
static void sift_down(struct sc_firstn_item *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, big = i;
    if (l < n && less(&h[big], &h[l])) big = l;
    if (r < n && less(&h[big], &h[r])) big = r;
    if (big == i) return;
    struct sc_firstn_item t = h[i];
    h[i] = h[big];
    h[big] = t;
    i = big;
  }
}

void *sc_firstn_add(struct sc_firstn *k, uint64_t major, uint64_t minor,
                    void *data) {
  struct sc_firstn_item it = {major, minor, data};
  k->offered++;
  if (k->n < k->cap) {
    /* The array grows as items come, up to cap: a short run of a big
     * --show-max costs what it keeps. */
    if (k->n == k->alloc) {
      k->alloc = k->alloc ? 2 * k->alloc : 8;
      if (k->alloc > k->cap) k->alloc = k->cap;
      k->heap = sc_xrealloc(k->heap, k->alloc * sizeof *k->heap);
    }
    size_t i = k->n++;
    while (i > 0 && less(&k->heap[(i - 1) / 2], &it)) {
      k->heap[i] = k->heap[(i - 1) / 2];
      i = (i - 1) / 2;
    }
    k->heap[i] = it;
    return NULL;
  }
  if (k->n == 0 || !less(&it, &k->heap[0])) return data;
  void *out = k->heap[0].data;
  k->heap[0] = it;
  sift_down(k->heap, k->n, 0);
  return out;
}

void sc_firstn_pass(struct sc_firstn *k) {
  k->offered++;
}

const struct sc_firstn_item *sc_firstn_sorted(struct sc_firstn *k, size_t *n) {
  /* Heapsort in place: the largest goes last, the heap shrinks by one. */
  for (size_t end = k->n; end > 1; end--) {
    struct sc_firstn_item t = k->heap[0];
    k->heap[0] = k->heap[end - 1];
    k->heap[end - 1] = t;
    sift_down(k->heap, end - 1, 0);
  }
  *n = k->n;
  return k->heap;
}

uint64_t sc_firstn_dropped(const struct sc_firstn *k) {
  return k->offered - k->n;
}

void sc_firstn_free(struct sc_firstn *k) {
  free(k->heap);
  k->heap = NULL;
  k->n = k->alloc = 0;
}
