/* test_dnscache.c - the run's DNS cache: answers and their TTLs, the
 * limits in entries and bytes, failure memory, and blocking lookups of one
 * name meeting in a claim. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dnscache.h"
#include "util.h"
#include "unit.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* get() at time `now` as a string: "KIND:data", or "-" on a miss. */
static const char *got(struct sc_dnscache *c, const char *key, double now,
                       long *ttl) {
  static char out[512];
  struct sc_buf d = {0};
  int kind;
  long t = 0;
  if (sc_dnscache_get(c, key, now, &kind, &t, &d))
    snprintf(out, sizeof out, "%d:%s", kind, d.len ? d.data : "");
  else
    snprintf(out, sizeof out, "-");
  if (ttl) *ttl = t;
  sc_buf_free(&d);
  return out;
}

/* The caches below run on a made-up clock: t, in milliseconds. */

TEST(dnscache_answers_and_ttl) {
  struct sc_dnscache *c = sc_dnscache_new(100, 1 << 20, 1);
  double t = 1000;
  long ttl;
  sc_dnscache_put(c, "a.test", t, SC_DNS_ADDRS, "127.0.0.1,[::1]", 60000);
  sc_dnscache_put(c, "nx.test", t, SC_DNS_NXDOMAIN, "", 5000);
  sc_dnscache_put(c, "nd.test", t, SC_DNS_NODATA, "", 60000);
  EXPECT_STR(got(c, "a.test", t + 1000, &ttl), "0:127.0.0.1,[::1]");
  EXPECT_EQ(ttl, 59000);
  EXPECT_STR(got(c, "nx.test", t, NULL), "1:");
  EXPECT_STR(got(c, "nd.test", t, NULL), "2:");
  EXPECT_STR(got(c, "b.test", t, NULL), "-");
  /* A new answer replaces the old one. */
  sc_dnscache_put(c, "a.test", t, SC_DNS_ADDRS, "127.0.0.2", 60000);
  EXPECT_STR(got(c, "a.test", t, NULL), "0:127.0.0.2");
  EXPECT_EQ(sc_dnscache_count(c, NULL), 3);
  EXPECT_STR(got(c, "nx.test", t + 4999, &ttl), "1:");
  EXPECT_EQ(ttl, 1);
  EXPECT_STR(got(c, "nx.test", t + 5000, NULL), "-"); /* expired: dropped */
  EXPECT_EQ(sc_dnscache_count(c, NULL), 2);
  sc_dnscache_free(c);
}

/* At the entry limit the oldest go first, down to 15/16 of the limit. */
TEST(dnscache_entry_limit) {
  struct sc_dnscache *c = sc_dnscache_new(32, 1 << 20, 0);
  char key[32];
  for (int i = 0; i < 40; i++) {
    snprintf(key, sizeof key, "h%d.test", i);
    sc_dnscache_put(c, key, 1000 + i, SC_DNS_ADDRS, "127.0.0.1", 60000);
  }
  EXPECT(sc_dnscache_count(c, NULL) <= 32);
  EXPECT_STR(got(c, "h0.test", 1100, NULL), "-");
  EXPECT_STR(got(c, "h7.test", 1100, NULL), "-");
  EXPECT_STR(got(c, "h39.test", 1100, NULL), "0:127.0.0.1");
  EXPECT_STR(got(c, "h20.test", 1100, NULL), "0:127.0.0.1");
  sc_dnscache_free(c);
}

/* Expired entries go before live ones, however old. */
TEST(dnscache_expired_first) {
  struct sc_dnscache *c = sc_dnscache_new(16, 1 << 20, 0);
  char key[32];
  sc_dnscache_put(c, "old.test", 1000, SC_DNS_ADDRS, "127.0.0.1", 60000);
  for (int i = 0; i < 15; i++) {
    snprintf(key, sizeof key, "short%d.test", i);
    sc_dnscache_put(c, key, 1000, SC_DNS_NXDOMAIN, "", 20);
  }
  sc_dnscache_put(c, "new.test", 1100, SC_DNS_ADDRS, "127.0.0.2", 60000);
  EXPECT_EQ(sc_dnscache_count(c, NULL), 2);
  EXPECT_STR(got(c, "old.test", 1100, NULL), "0:127.0.0.1");
  sc_dnscache_free(c);
}

/* The byte limit counts names, data and the per-entry overhead; an entry
 * over a sixteenth of it is not stored at all. */
TEST(dnscache_byte_limit) {
  const size_t max = 16384;
  struct sc_dnscache *c = sc_dnscache_new(1000, max, 1);
  char key[32], data[201];
  size_t bytes, cost = 0;
  memset(data, '1', sizeof data - 1);
  data[sizeof data - 1] = '\0';
  for (int i = 0; i < 200; i++) {
    snprintf(key, sizeof key, "b%03d.test", i);
    sc_dnscache_put(c, key, 1000, SC_DNS_ADDRS, data, 60000);
    if (i == 0) sc_dnscache_count(c, &cost);
  }
  size_t n = sc_dnscache_count(c, &bytes);
  EXPECT_EQ(cost,
            strlen("b000.test") + 1 + 200 + 1 + SC_DNSCACHE_ENTRY_OVERHEAD);
  EXPECT(bytes <= max);
  EXPECT_EQ(bytes, n * cost);
  EXPECT(n >= max / cost - max / cost / 8);
  EXPECT_STR(got(c, "b000.test", 1000, NULL), "-");
  EXPECT(strcmp(got(c, "b199.test", 1000, NULL), "-") != 0);

  static char big[2000];
  memset(big, '2', sizeof big - 1);
  sc_dnscache_put(c, "big.test", 1000, SC_DNS_ADDRS, big, 60000);
  EXPECT_STR(got(c, "big.test", 1000, NULL), "-");
  EXPECT_EQ(sc_dnscache_count(c, NULL), n);
  sc_dnscache_free(c);
}

/* fail_after failures in a row make a name answer SC_DNS_FAILED, with the
 * last message, until the failure TTL has passed since the last one. */
TEST(dnscache_failure_memory) {
  struct sc_dnscache *c = sc_dnscache_new(100, 1 << 20, 1);
  double t = 1000;
  long ttl;
  sc_dnscache_remember_failures(c, 2, 30000);
  EXPECT_EQ(sc_dnscache_failed(c, "dead.test", t, "dead.test: first"), 0);
  EXPECT_STR(got(c, "dead.test", t, NULL), "-");
  t += 20000;
  EXPECT_EQ(sc_dnscache_failed(c, "dead.test", t, "dead.test: second"), 1);
  EXPECT_STR(got(c, "dead.test", t + 1000, &ttl), "3:dead.test: second");
  EXPECT_EQ(ttl, 29000);
  EXPECT_STR(got(c, "dead.test", t + 30000, NULL), "-");
  /* The count starts again once the memory has run out. */
  t += 30000;
  EXPECT_EQ(sc_dnscache_failed(c, "dead.test", t, "dead.test: third"), 0);
  EXPECT_STR(got(c, "dead.test", t, NULL), "-");
  /* Failures in a row more than the TTL apart do not add up either. */
  EXPECT_EQ(sc_dnscache_failed(c, "dead.test", t + 30000, "fourth"), 0);

  /* An answer in between ends the row. */
  sc_dnscache_failed(c, "flaky.test", t, "flaky.test: failed");
  sc_dnscache_put(c, "flaky.test", t, SC_DNS_ADDRS, "127.0.0.1", 60000);
  EXPECT_EQ(sc_dnscache_failed(c, "flaky.test", t, "flaky.test: failed"), 0);
  EXPECT_STR(got(c, "flaky.test", t, NULL), "0:127.0.0.1");
  /* ... and a live answer stays: another thread found the name. */
  EXPECT_EQ(sc_dnscache_failed(c, "flaky.test", t, "flaky.test: failed"), 0);
  EXPECT_STR(got(c, "flaky.test", t, NULL), "0:127.0.0.1");
  sc_dnscache_free(c);

  /* Off by default; a stored failure (a front copy) answers at once. */
  c = sc_dnscache_new(100, 1 << 20, 0);
  for (int i = 0; i < 5; i++) sc_dnscache_failed(c, "dead.test", t, "x");
  EXPECT_STR(got(c, "dead.test", t, NULL), "-");
  EXPECT_EQ(sc_dnscache_count(c, NULL), 0);
  sc_dnscache_put(c, "dead.test", t, SC_DNS_FAILED, "dead.test: copied", 1000);
  EXPECT_STR(got(c, "dead.test", t, NULL), "3:dead.test: copied");
  sc_dnscache_free(c);
}

struct claimer {
  struct sc_dnscache *c;
  double deadline_ms;
  int rc, value;
  char text[64];
};

static void *claim_thread(void *arg) {
  struct claimer *t = arg;
  struct sc_buf text = {0};
  long ttl;
  t->value = -100;
  t->rc = sc_dnscache_claim(t->c, "one.test", t->deadline_ms, &t->value, &ttl,
                            &text);
  snprintf(t->text, sizeof t->text, "%s", text.len ? text.data : "");
  sc_buf_free(&text);
  return NULL;
}

/* The first thread to claim a name looks it up; the others wait for its
 * answer, or until their deadline. */
TEST(dnscache_claims) {
  struct sc_dnscache *c = sc_dnscache_new(100, 1 << 20, 1);
  struct sc_buf text = {0};
  int value;
  long ttl;
  EXPECT_EQ(
      sc_dnscache_claim(c, "one.test", sc_now_ms() + 1000, &value, &ttl, &text),
      SC_DNSCACHE_MINE);
  struct claimer w[4];
  pthread_t tid[4];
  double t0 = sc_now_ms();
  for (int i = 0; i < 4; i++) {
    w[i].c = c;
    /* The last one gives up before the answer comes. */
    w[i].deadline_ms = t0 + (i == 3 ? 50 : 5000);
    pthread_create(&tid[i], NULL, claim_thread, &w[i]);
  }
  sleep_ms(300); /* every waiter is in by now */
  sc_dnscache_release(c, "one.test", 7, "127.0.0.9");
  for (int i = 0; i < 4; i++) pthread_join(tid[i], NULL);
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(w[i].rc, SC_DNSCACHE_SHARED);
    EXPECT_EQ(w[i].value, 7);
    EXPECT_STR(w[i].text, "127.0.0.9");
  }
  EXPECT_EQ(w[3].rc, SC_DNSCACHE_LATE);
  EXPECT_EQ(w[3].value, -100);

  /* Released: the next claim is the caller's again; a cached answer is a
   * hit. */
  EXPECT_EQ(
      sc_dnscache_claim(c, "one.test", sc_now_ms() + 10, &value, &ttl, &text),
      SC_DNSCACHE_MINE);
  sc_dnscache_put(c, "one.test", sc_now_ms(), SC_DNS_ADDRS, "127.0.0.9", 60000);
  sc_dnscache_release(c, "one.test", 0, "127.0.0.9");
  EXPECT_EQ(
      sc_dnscache_claim(c, "one.test", sc_now_ms() + 10, &value, &ttl, &text),
      SC_DNSCACHE_HIT);
  EXPECT_EQ(value, SC_DNS_ADDRS);
  EXPECT_STR(text.data, "127.0.0.9");
  sc_buf_free(&text);
  sc_dnscache_free(c);
}
