/* htab.c - see htab.h. */
#include "htab.h"

#include <stdlib.h>

#include "util.h"

void ht_init(struct htab *t) {
  t->mask = 63;
  t->n = 0;
  t->b = sc_xcalloc(t->mask + 1, sizeof *t->b);
}

void ht_free(struct htab *t) {
  free(t->b);
  t->b = NULL;
  t->n = 0;
}

void ht_add(struct htab *t, struct hnode *e) {
  if (t->n > t->mask) { /* load 1: double */
    size_t nmask = t->mask * 2 + 1;
    struct hnode **nb = sc_xcalloc(nmask + 1, sizeof *nb);
    for (size_t i = 0; i <= t->mask; i++)
      for (struct hnode *p = t->b[i], *next; p; p = next) {
        next = p->next;
        p->next = nb[p->hash & nmask];
        nb[p->hash & nmask] = p;
      }
    free(t->b);
    t->b = nb;
    t->mask = nmask;
  }
  e->next = t->b[e->hash & t->mask];
  t->b[e->hash & t->mask] = e;
  t->n++;
}

void ht_del(struct htab *t, struct hnode *e) {
  struct hnode **p = &t->b[e->hash & t->mask];
  while (*p != e) p = &(*p)->next;
  *p = e->next;
  t->n--;
}

struct hnode *ht_chain(const struct htab *t, uint64_t hash) {
  return t->b[hash & t->mask];
}

uint64_t sc_hash_u64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t sc_hash_str(uint64_t seed, const char *s) {
  uint64_t h = seed ^ 0xcbf29ce484222325ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
  return sc_hash_u64(h);
}
