/* pins.c - see pins.h. */
#include "pins.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "util.h"

#define HOST_MAX 255 /* longest host name libcurl takes in an entry */
#define ADDR_MAX 63  /* longest address it takes (its buffer is 64) */

struct pin {
  struct sc_hnode h; /* hash of host, seeded with port */
  char host[HOST_MAX + 1];
  long port;
  struct curl_slist node; /* the entry, then the every-transfer ones */
};

struct sc_pins {
  struct sc_htab t;
  struct pin *pins; /* one per entry at most */
  size_t npins;
  struct curl_slist *every; /* entries every transfer gets, chained */
};

static char ascii_lower(char ch) {
  return (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
}

/* Whether the address list "A[,A...]" (s, n bytes) is one libcurl takes:
 * addresses, IPv6 ones optionally in brackets, at least one, empty items
 * skipped. */
static int addresses_ok(const char *s, size_t n) {
  int count = 0;
  const char *end = s + n;
  while (s <= end) {
    const char *comma = memchr(s, ',', (size_t)(end - s));
    const char *e = comma ? comma : end;
    const char *a = s;
    size_t len = (size_t)(e - a);
    if (len && a[0] == '[') {
      if (len < 2 || a[len - 1] != ']') return 0;
      a++, len -= 2;
    }
    if (len) {
      char buf[ADDR_MAX + 1];
      unsigned char bin[16];
      if (len > ADDR_MAX) return 0;
      memcpy(buf, a, len);
      buf[len] = '\0';
      if (inet_pton(AF_INET, buf, bin) != 1 &&
          inet_pton(AF_INET6, buf, bin) != 1)
        return 0;
      count++;
    }
    if (!comma) break;
    s = comma + 1;
  }
  return count > 0;
}

/* Splits entry s into its lower-cased host and its port when it names one
 * host:port in a form libcurl accepts. Returns 1, or 0 for an entry to
 * hand with every transfer. */
static int key_of(const char *s, char *host, long *port) {
  int removal = s[0] == '-';
  if (s[0] == '+' || removal) s++;
  const char *colon = strchr(s, ':');
  size_t hlen = colon ? (size_t)(colon - s) : 0;
  if (!colon || hlen == 0 || hlen > HOST_MAX || (hlen == 1 && s[0] == '*'))
    return 0;
  long p = 0;
  const char *d = colon + 1;
  while (*d >= '0' && *d <= '9' && p <= 65535) p = p * 10 + (*d++ - '0');
  if (d == colon + 1 || p > 65535 || *d != ':') return 0;
  if (!removal && !addresses_ok(d + 1, strlen(d + 1))) return 0;
  for (size_t i = 0; i < hlen; i++) host[i] = ascii_lower(s[i]);
  host[hlen] = '\0';
  *port = p;
  return 1;
}

static uint64_t hash_of(const char *lower_host, long port) {
  return sc_hash_str((uint64_t)port, lower_host);
}

/* The pin of host:port (host lower-cased), or NULL. */
static struct pin *find(const struct sc_pins *p, const char *host, long port) {
  uint64_t h = hash_of(host, port);
  for (struct sc_hnode *n = sc_ht_chain(&p->t, h); n; n = n->next) {
    struct pin *e = (struct pin *)n;
    if (n->hash == h && e->port == port && strcmp(e->host, host) == 0) return e;
  }
  return NULL;
}

struct sc_pins *sc_pins_new(const struct curl_slist *list) {
  size_t n = 0;
  for (const struct curl_slist *l = list; l; l = l->next) n++;
  if (!n) return NULL;
  struct sc_pins *p = sc_xcalloc(1, sizeof *p);
  struct curl_slist **every_tail = &p->every;
  p->pins = sc_xcalloc(n, sizeof *p->pins);
  sc_ht_init(&p->t);
  for (const struct curl_slist *l = list; l; l = l->next) {
    struct pin *e = &p->pins[p->npins];
    if (!key_of(l->data, e->host, &e->port)) {
      /* Chained in a node of its own: the pins' nodes point at this
       * chain, built in list order. */
      struct curl_slist *node = sc_xcalloc(1, sizeof *node);
      node->data = l->data;
      *every_tail = node;
      every_tail = &node->next;
      continue;
    }
    struct pin *old = find(p, e->host, e->port);
    if (old) { /* a later entry for the same host:port wins */
      old->node.data = l->data;
      continue;
    }
    e->node.data = l->data;
    e->h.hash = hash_of(e->host, e->port);
    sc_ht_add(&p->t, &e->h);
    p->npins++;
  }
  for (size_t i = 0; i < p->npins; i++) p->pins[i].node.next = p->every;
  return p;
}

void sc_pins_free(struct sc_pins *p) {
  if (!p) return;
  for (struct curl_slist *l = p->every, *next; l; l = next) {
    next = l->next;
    free(l);
  }
  sc_ht_free(&p->t);
  free(p->pins);
  free(p);
}

/* Copies host lower-cased into buf[HOST_MAX + 1]; 0 if it is too long to
 * have an entry. */
static int lower_host(const char *host, char *buf) {
  size_t i = 0;
  for (; host[i]; i++) {
    if (i == HOST_MAX) return 0;
    buf[i] = ascii_lower(host[i]);
  }
  buf[i] = '\0';
  return 1;
}

struct curl_slist *sc_pins_for(const struct sc_pins *p, const char *host,
                               long port) {
  char key[HOST_MAX + 1];
  if (!p) return NULL;
  struct pin *e = lower_host(host, key) ? find(p, key, port) : NULL;
  /* The nodes are the index's, read-only; libcurl only reads the list. */
  return e ? &e->node : p->every;
}

int sc_pins_has(const struct sc_pins *p, const char *host, long port) {
  char key[HOST_MAX + 1];
  return p && lower_host(host, key) && find(p, key, port) != NULL;
}
