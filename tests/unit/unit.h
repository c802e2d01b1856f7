/* unit.h - the unit-test harness.
 *
 * TEST(name) { ... } defines a test and registers it by name (a
 * constructor runs before main). tests/unit/main.c runs each selected test
 * in its own child process under a time limit, so a crash or a hang fails
 * that test alone. The EXPECT_* checks record a failure, print where it
 * happened and both sides, and let the test go on. */
#ifndef SC_UNIT_H
#define SC_UNIT_H

#include <string.h>

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                 \
  static void test_##name(void);                                   \
  __attribute__((constructor)) static void register_##name(void) { \
    unit_register(#name, test_##name);                             \
  }                                                                \
  static void test_##name(void)

/* cond holds. */
#define EXPECT(cond)                                         \
  do {                                                       \
    if (!(cond)) unit_fail(__FILE__, __LINE__, "%s", #cond); \
  } while (0)

/* Two integers are equal (compared as long long). */
#define EXPECT_EQ(got, want)                                               \
  do {                                                                     \
    long long g_ = (long long)(got), w_ = (long long)(want);               \
    if (g_ != w_)                                                          \
      unit_fail(__FILE__, __LINE__, "%s == %s: got %lld, want %lld", #got, \
                #want, g_, w_);                                            \
  } while (0)

/* Two C strings are equal (NULL equals nothing). */
#define EXPECT_STR(got, want)                                        \
  do {                                                               \
    const char *g_ = (got), *w_ = (want);                            \
    if (!g_ || !w_ || strcmp(g_, w_) != 0)                           \
      unit_fail(__FILE__, __LINE__, "%s: got [%s], want [%s]", #got, \
                g_ ? g_ : "(null)", w_ ? w_ : "(null)");             \
  } while (0)

/* haystack contains needle. */
#define EXPECT_CONTAINS(haystack, needle)                             \
  do {                                                                \
    const char *h_ = (haystack), *n_ = (needle);                      \
    if (!h_ || !strstr(h_, n_))                                       \
      unit_fail(__FILE__, __LINE__, "%s: [%s] does not contain [%s]", \
                #haystack, h_ ? h_ : "(null)", n_);                   \
  } while (0)

#endif
