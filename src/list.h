/* list.h - a circular doubly-linked list of intrusive links with a
 * sentinel head: the one list of the program (the scheduler's per-host
 * queues and ready lists, the event loop's descriptor queue, the dedup
 * table's parked repeats, the resolver's queries, the DNS cache's age
 * order). A struct on a list holds a struct sc_link; SC_CONTAINER gets the
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

/* Puts l first on the list of head. */
static inline void sc_link_add_head(struct sc_link *head, struct sc_link *l) {
  l->next = head->next;
  l->prev = head;
  head->next->prev = l;
  head->next = l;
}

/* The first link of the list of head, or NULL if it is empty. */
static inline struct sc_link *sc_link_first(const struct sc_link *head) {
  return head->next == head ? NULL : head->next;
}

/* Takes l off its list and leaves it unlinked (deleting twice is safe). */
static inline void sc_link_del(struct sc_link *l) {
  l->prev->next = l->next;
  l->next->prev = l->prev;
  sc_link_init(l);
}

#endif
