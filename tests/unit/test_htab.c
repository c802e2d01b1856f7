/* test_htab.c - the keyed string hash (SipHash) the hash tables use. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "htab.h"
#include "unit.h"

/* The reference test input: message i is the bytes 0, 1, ..., i-1. */
static const unsigned char *message(void) {
  static unsigned char m[64];
  for (int i = 0; i < 64; i++) m[i] = (unsigned char)i;
  return m;
}

/* SipHash-2-4 with the key 00 01 ... 0f, from the reference
 * implementation's vectors (the paper's example is length 15). */
TEST(siphash_2_4_vectors) {
  static const struct {
    size_t len;
    uint64_t want;
  } v[] = {
      {0, 0x726fdb47dd0e0e31ULL},  {1, 0x74f839c593dc67fdULL},
      {2, 0x0d6c8009d9a94f5aULL},  {3, 0x85676696d7fb7e2dULL},
      {4, 0xcf2794e0277187b7ULL},  {5, 0x18765564cd99a68dULL},
      {6, 0xcbc9466e58fee3ceULL},  {7, 0xab0200f58b01d137ULL},
      {8, 0x93f5f5799a932462ULL},  {9, 0x9e0082df0ba9e4b0ULL},
      {15, 0xa129ca6149be45e5ULL}, {16, 0x3f2acc7f57c29bdbULL},
      {31, 0x32d892fad841c342ULL}, {63, 0x958a324ceb064572ULL},
  };
  const uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    uint64_t got = sc_siphash(k0, k1, 2, 4, message(), v[i].len);
    if (got != v[i].want)
      unit_fail(__FILE__, __LINE__, "len %zu: got %016llx, want %016llx",
                v[i].len, (unsigned long long)got,
                (unsigned long long)v[i].want);
  }
}

/* SipHash-1-3, the variant sc_hash_str uses, against the reference
 * implementation's output for the all-zero key and for k0 = 1. */
TEST(siphash_1_3_vectors) {
  static const struct {
    uint64_t k0;
    size_t len;
    uint64_t want;
  } v[] = {
      {0, 0, 0xd1fba762150c532cULL},  {0, 1, 0x68a914128e01e473ULL},
      {0, 2, 0x010bac45c41e3669ULL},  {0, 7, 0x2f098ab0c751325aULL},
      {0, 8, 0xead411e67ebe2eeaULL},  {0, 9, 0x75927f9d95124362ULL},
      {0, 15, 0xf30eb725bb91c9eaULL}, {0, 16, 0x8972188433a5c5b7ULL},
      {0, 17, 0x4883c49a2c009c1dULL}, {0, 63, 0x385d3e39e5f37359ULL},
      {1, 0, 0xc44a0ebf4e962581ULL},  {1, 8, 0x51738227823e2309ULL},
      {1, 63, 0xa35bf11b84b78be0ULL},
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    uint64_t got = sc_siphash(v[i].k0, 0, 1, 3, message(), v[i].len);
    if (got != v[i].want)
      unit_fail(__FILE__, __LINE__,
                "k0 %llu len %zu: got %016llx, want %016llx",
                (unsigned long long)v[i].k0, v[i].len, (unsigned long long)got,
                (unsigned long long)v[i].want);
  }
}

/* sc_hash_str is keyed: stable within the process, different for another
 * seed, and not the unkeyed SipHash of the string. */
TEST(hash_str_keyed) {
  const char *s = "www.example.com";
  uint64_t h = sc_hash_str(0, s);
  EXPECT(h == sc_hash_str(0, s));
  EXPECT(h != sc_hash_str(1, s));
  EXPECT(sc_hash_str(1, s) != sc_hash_str(2, s));
  EXPECT(sc_hash_str(0x8000000000000000ULL, s) != h);
  EXPECT(h != sc_siphash(0, 0, 1, 3, s, strlen(s)));
  EXPECT(sc_hash_str(0, "") != sc_siphash(0, 0, 1, 3, "", 0));
  EXPECT(sc_hash_str(0, "a") != sc_hash_str(0, "b"));
}

/* Every part of the hash is spread: similar host names land in as many
 * distinct low-bit buckets (what the tables mask) and high-bit buckets as
 * random numbers would (4096 keys in 4096 buckets: about 2589). */
TEST(hash_str_spread) {
  static unsigned char low[4096], high[4096];
  int nlow = 0, nhigh = 0;
  char name[32];
  for (int i = 0; i < 4096; i++) {
    snprintf(name, sizeof name, "host%d.example", i);
    uint64_t h = sc_hash_str(0, name);
    nlow += !low[h & 4095];
    nhigh += !high[h >> 52];
    low[h & 4095] = high[h >> 52] = 1;
  }
  EXPECT(nlow > 2450 && nlow < 2730);
  EXPECT(nhigh > 2450 && nhigh < 2730);
}
