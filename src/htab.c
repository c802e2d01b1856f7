/* htab.c - see htab.h. */
#include "htab.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void sc_ht_init(struct sc_htab *t) {
  t->mask = 63;
  t->n = 0;
  t->b = sc_xcalloc(t->mask + 1, sizeof *t->b);
}

void sc_ht_free(struct sc_htab *t) {
  free(t->b);
  t->b = NULL;
  t->n = 0;
}

void sc_ht_add(struct sc_htab *t, struct sc_hnode *e) {
  if (t->n > t->mask) { /* load 1: double */
    size_t nmask = t->mask * 2 + 1;
    struct sc_hnode **nb = sc_xcalloc(nmask + 1, sizeof *nb);
    for (size_t i = 0; i <= t->mask; i++)
      for (struct sc_hnode *p = t->b[i], *next; p; p = next) {
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

void sc_ht_del(struct sc_htab *t, struct sc_hnode *e) {
  struct sc_hnode **p = &t->b[e->hash & t->mask];
  while (*p != e) p = &(*p)->next;
  *p = e->next;
  t->n--;
}

struct sc_hnode *sc_ht_chain(const struct sc_htab *t, uint64_t hash) {
  return t->b[hash & t->mask];
}

uint64_t sc_hash_u64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* One SipRound over the state v[0..3]. */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
static inline void sipround(uint64_t v[4]) {
  v[0] += v[1];
  v[1] = ROTL(v[1], 13);
  v[1] ^= v[0];
  v[0] = ROTL(v[0], 32);
  v[2] += v[3];
  v[3] = ROTL(v[3], 16);
  v[3] ^= v[2];
  v[0] += v[3];
  v[3] = ROTL(v[3], 21);
  v[3] ^= v[0];
  v[2] += v[1];
  v[1] = ROTL(v[1], 17);
  v[1] ^= v[2];
  v[2] = ROTL(v[2], 32);
}

/* The n <= 8 bytes at p as a little-endian number. */
static inline uint64_t load_le(const unsigned char *p, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) x |= (uint64_t)p[i] << (8 * i);
  return x;
}

static inline uint64_t siphash(uint64_t k0, uint64_t k1, int c, int d,
                               const unsigned char *p, size_t n) {
  uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                   k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
  size_t whole = n - n % 8;
  for (size_t i = 0; i <= whole; i += 8) {
    /* the last block: the 0-7 bytes left, the length's low byte on top */
    uint64_t m = i < whole ? load_le(p + i, 8)
                           : load_le(p + i, n - whole) | (uint64_t)n << 56;
    v[3] ^= m;
    for (int r = 0; r < c; r++) sipround(v);
    v[0] ^= m;
  }
  v[2] ^= 0xff;
  for (int r = 0; r < d; r++) sipround(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t sc_siphash(uint64_t k0, uint64_t k1, int c, int d, const void *data,
                    size_t n) {
  return siphash(k0, k1, c, d, data, n);
}

static uint64_t hash_key[2];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

/* Fills hash_key from the kernel's random source without blocking (a
 * fresh system may not have seeded getrandom yet; /dev/urandom never
 * waits). Without either, the clocks, the pid and two addresses (which
 * ASLR varies) are mixed: weaker, but no worse than a fixed key, and
 * silent, since nothing is wrong with the run. */
static void hash_key_init(void) {
  unsigned char b[16];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t r = getrandom(b + got, sizeof b - got, GRND_NONBLOCK);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got < sizeof b) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    got = 0;
    while (fd >= 0 && got < sizeof b) {
      ssize_t r = read(fd, b + got, sizeof b - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    if (fd >= 0) close(fd);
  }
  if (got == sizeof b) {
    hash_key[0] = load_le(b, 8);
    hash_key[1] = load_le(b + 8, 8);
    return;
  }
  struct timespec rt, mono;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  uint64_t x = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec;
  x = sc_hash_u64(x ^ (uint64_t)mono.tv_nsec << 32 ^ (uint64_t)getpid());
  hash_key[0] = x;
  hash_key[1] =
      sc_hash_u64(x ^ (uint64_t)(uintptr_t)&rt ^ (uint64_t)(uintptr_t)hash_key);
}

uint64_t sc_hash_str(uint64_t seed, const char *s) {
  pthread_once(&hash_key_once, hash_key_init);
  return siphash(hash_key[0] ^ seed, hash_key[1] ^ sc_hash_u64(seed), 1, 3,
                 (const unsigned char *)s, strlen(s));
}
