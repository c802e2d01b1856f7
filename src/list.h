/* list.h - a circular doubly-linked list of intrusive links with a
 * sentinel head, shared by the resolver's queries and the DNS cache's age
 * order. A struct on a list holds a struct sc_link; SC_CONTAINER gets the
 * struct back from the link. Nothing here allocates. */
#ifndef SC_LIST_H
#define SC_LIST_H

#include <stddef.h>

struct sc_link {
  struct sc_link *prev, *next;
};

/* The struct of `type` whose `member` is the link p. */
#define SC_CONTAINER(p, type, member) \
  ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* Makes l an empty list (a head) or an unlinked link. */
static inline void sc_link_init(struct sc_link *l) {
  l->prev = l->next = l;
}

static inline int sc_link_empty(const struct sc_link *head) {
  return head->next == head;
}

/* Appends l to the list of head. */
static inline void sc_link_add_tail(struct sc_link *head, struct sc_link *l) {
  l->prev = head->prev;
  l->next = head;
  head->prev->next = l;
  head->prev = l;
}

/* Takes l off its list and leaves it unlinked (deleting twice is safe). */
static inline void sc_link_del(struct sc_link *l) {
  l->prev->next = l->next;
  l->next->prev = l->prev;
  sc_link_init(l);
}

#endif
