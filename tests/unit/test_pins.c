/* test_pins.c - the --resolve index: which entries a transfer is handed. */
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pins.h"
#include "unit.h"

/* A list of the given entries, NULL-terminated. */
static struct curl_slist *list_of(const char *const *entries) {
  struct curl_slist *l = NULL;
  for (; *entries; entries++) l = curl_slist_append(l, *entries);
  return l;
}

/* The entries of l, each followed by '|'. */
static const char *joined(const struct curl_slist *l) {
  static char buf[1024];
  size_t n = 0;
  buf[0] = '\0';
  for (; l && n < sizeof buf; l = l->next)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s|", l->data);
  return buf;
}

TEST(pins_hand_a_host_its_own_entry) {
  static const char *const e[] = {"a.test:80:127.0.0.1", "b.test:80:::1",
                                  "a.test:443:127.0.0.2,[::2]", NULL};
  struct curl_slist *l = list_of(e);
  struct sc_pins *p = sc_pins_new(l);
  EXPECT_STR(joined(sc_pins_for(p, "a.test", 80)), "a.test:80:127.0.0.1|");
  EXPECT_STR(joined(sc_pins_for(p, "A.Test", 443)),
             "a.test:443:127.0.0.2,[::2]|");
  EXPECT_STR(joined(sc_pins_for(p, "b.test", 80)), "b.test:80:::1|");
  EXPECT(sc_pins_for(p, "b.test", 443) == NULL);
  EXPECT(sc_pins_for(p, "c.test", 80) == NULL);
  EXPECT_EQ(sc_pins_has(p, "B.TEST", 80), 1);
  EXPECT_EQ(sc_pins_has(p, "b.test", 8080), 0);
  sc_pins_free(p);
  curl_slist_free_all(l);
}

TEST(pins_last_entry_for_a_host_wins) {
  static const char *const e[] = {"a.test:80:127.0.0.1", "+A.test:80:127.0.0.2",
                                  "-a.test:81:", "a.test:81:127.0.0.3", NULL};
  struct curl_slist *l = list_of(e);
  struct sc_pins *p = sc_pins_new(l);
  EXPECT_STR(joined(sc_pins_for(p, "a.test", 80)), "+A.test:80:127.0.0.2|");
  EXPECT_STR(joined(sc_pins_for(p, "a.test", 81)), "a.test:81:127.0.0.3|");
  sc_pins_free(p);
  curl_slist_free_all(l);
}

TEST(pins_removal_entry_counts_as_the_hosts_own) {
  static const char *const e[] = {"-a.test:80:", NULL};
  struct curl_slist *l = list_of(e);
  struct sc_pins *p = sc_pins_new(l);
  EXPECT_EQ(sc_pins_has(p, "a.test", 80), 1);
  EXPECT_STR(joined(sc_pins_for(p, "a.test", 80)), "-a.test:80:|");
  sc_pins_free(p);
  curl_slist_free_all(l);
}

/* Wildcards and entries libcurl rejects go with every transfer, after
 * the host's own entry, in the order given. */
TEST(pins_unkeyed_entries_go_with_every_transfer) {
  static const char *const e[] = {"*:80:127.0.0.9",
                                  "a.test:80:127.0.0.1",
                                  "b.test:x:127.0.0.1",
                                  "c.test:80:nohost",
                                  "d.test:80:",
                                  "e.test:99999:127.0.0.1",
                                  "f.test:80:[::1",
                                  ":80:127.0.0.1",
                                  "g.test: 80:127.0.0.1",
                                  "h.test:80:127.0.0.1,",
                                  NULL};
  struct curl_slist *l = list_of(e);
  struct sc_pins *p = sc_pins_new(l);
  const char *every =
      "*:80:127.0.0.9|b.test:x:127.0.0.1|c.test:80:nohost|d.test:80:|"
      "e.test:99999:127.0.0.1|f.test:80:[::1|:80:127.0.0.1|"
      "g.test: 80:127.0.0.1|";
  EXPECT_STR(joined(sc_pins_for(p, "zzz.test", 80)), every);
  char want[1024];
  snprintf(want, sizeof want, "a.test:80:127.0.0.1|%s", every);
  EXPECT_STR(joined(sc_pins_for(p, "a.test", 80)), want);
  /* An empty item in the address list is skipped, as libcurl does. */
  EXPECT_EQ(sc_pins_has(p, "h.test", 80), 1);
  EXPECT_EQ(sc_pins_has(p, "c.test", 80), 0);
  EXPECT_EQ(sc_pins_has(p, "*", 80), 0);
  sc_pins_free(p);
  curl_slist_free_all(l);
}

TEST(pins_many_entries_and_none) {
  struct curl_slist *l = NULL;
  char entry[64];
  for (int i = 0; i < 5000; i++) {
    snprintf(entry, sizeof entry, "h%d.test:%d:127.0.%d.%d", i, 1000 + i % 7,
             i / 250, i % 250);
    l = curl_slist_append(l, entry);
  }
  struct sc_pins *p = sc_pins_new(l);
  EXPECT_STR(joined(sc_pins_for(p, "h4321.test", 1000 + 4321 % 7)),
             "h4321.test:1002:127.0.17.71|");
  EXPECT(sc_pins_for(p, "h4321.test", 1000) == NULL);
  sc_pins_free(p);
  curl_slist_free_all(l);
  EXPECT(sc_pins_new(NULL) == NULL);
  EXPECT(sc_pins_for(NULL, "a.test", 80) == NULL);
  EXPECT_EQ(sc_pins_has(NULL, "a.test", 80), 0);
}
