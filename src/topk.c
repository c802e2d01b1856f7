/* topk.c - see topk.h. */
#include "topk.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SEED 0x746f706bULL

void sc_topk_init(struct sc_topk *t, size_t capacity) {
  memset(t, 0, sizeof *t);
  sc_ht_init(&t->ht);
  t->cap = capacity ? capacity : 1;
}

void sc_topk_free(struct sc_topk *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->heap[i]->key);
    free(t->heap[i]);
  }
  free(t->heap);
  sc_ht_free(&t->ht);
  memset(t, 0, sizeof *t);
}

static void put(struct sc_topk *t, size_t i, struct sc_topk_item *it) {
  t->heap[i] = it;
  it->heap = i;
}

/* Moves item i towards the root while it is lighter than its parent. */
static void sift_up(struct sc_topk *t, size_t i) {
  struct sc_topk_item *it = t->heap[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (t->heap[p]->weight <= it->weight) break;
    put(t, i, t->heap[p]);
    i = p;
  }
  put(t, i, it);
}

/* Moves item i towards the leaves while a child is lighter: an item only
 * ever gains weight, so this restores the heap after an add. */
static void sift_down(struct sc_topk *t, size_t i) {
  struct sc_topk_item *it = t->heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= t->n) break;
    if (c + 1 < t->n && t->heap[c + 1]->weight < t->heap[c]->weight) c++;
    if (it->weight <= t->heap[c]->weight) break;
    put(t, i, t->heap[c]);
    i = c;
  }
  put(t, i, it);
}

static struct sc_topk_item *find(const struct sc_topk *t, const char *key,
                                 uint64_t hash) {
  for (struct sc_hnode *p = sc_ht_chain(&t->ht, hash); p; p = p->next) {
    struct sc_topk_item *it = (struct sc_topk_item *)p;
    if (p->hash == hash && strcmp(it->key, key) == 0) return it;
  }
  return NULL;
}

void sc_topk_add(struct sc_topk *t, const char *key, double w) {
  if (!(w > 0)) w = 0;
  uint64_t hash = sc_hash_str(SEED, key);
  struct sc_topk_item *it = find(t, key, hash);
  if (it) {
    it->weight += w;
    it->n++;
    if (w > it->max) it->max = w;
    sift_down(t, it->heap);
    return;
  }
  size_t len = strlen(key);
  if (t->n < t->cap) {
    if (!t->heap) t->heap = sc_xcalloc(t->cap, sizeof *t->heap);
    it = sc_xcalloc(1, sizeof *it);
    it->key = sc_xstrndup(key, len);
    it->weight = w;
    it->n = 1;
    it->max = w;
    it->node.hash = hash;
    sc_ht_add(&t->ht, &it->node);
    t->n++;
    put(t, t->n - 1, it);
    sift_up(t, t->n - 1);
    return;
  }
  /* Space-Saving: the lightest key makes room and lends its weight. */
  it = t->heap[0];
  sc_ht_del(&t->ht, &it->node);
  free(it->key);
  it->key = sc_xstrndup(key, len);
  it->err = it->weight;
  it->weight += w;
  it->n = 1;
  it->max = w;
  it->node.hash = hash;
  sc_ht_add(&t->ht, &it->node);
  sift_down(t, 0);
  t->replaced++;
}

int sc_topk_approx(const struct sc_topk *t) {
  return t->replaced > 0;
}

/* Heavier first, then by key, so the order never depends on the heap. */
static int before(const struct sc_topk_item *a, const struct sc_topk_item *b) {
  if (a->weight != b->weight) return a->weight > b->weight;
  return strcmp(a->key, b->key) < 0;
}

size_t sc_topk_top(const struct sc_topk *t, const struct sc_topk_item **out,
                   size_t k) {
  size_t got = 0;
  for (size_t i = 0; i < t->n && k; i++) {
    const struct sc_topk_item *it = t->heap[i];
    if (got == k && !before(it, out[k - 1])) continue;
    size_t j = got < k ? got++ : k - 1;
    while (j > 0 && before(it, out[j - 1])) {
      out[j] = out[j - 1];
      j--;
    }
    out[j] = it;
  }
  return got;
}
