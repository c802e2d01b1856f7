/* main.c - the unit-test runner: `build/unit [--list] [--no-fork] [NAME...]`.
 *
 * Runs every registered test, or those whose names contain one of the
 * NAMEs, each in a child process limited to TEST_SECONDS, and prints a
 * line per test and "N passed, N failed" at the end; exits 1 if any test
 * failed. --no-fork runs them in this process (for a debugger). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define MAX_TESTS 512
#define TEST_SECONDS 60

struct test {
  const char *name;
  void (*fn)(void);
};

static struct test tests[MAX_TESTS];
static int ntests;
static int failures; /* in the running test */

void unit_register(const char *name, void (*fn)(void)) {
  if (ntests == MAX_TESTS) {
    fputs("unit: too many tests\n", stderr);
    exit(2);
  }
  tests[ntests].name = name;
  tests[ntests].fn = fn;
  ntests++;
}

void unit_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  failures++;
  fprintf(stderr, "  %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static int selected(const char *name, int argc, char **argv) {
  int any = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') continue;
    any = 1;
    if (strstr(name, argv[i])) return 1;
  }
  return !any;
}

/* Runs test t; returns 1 if it passed. */
static int run_one(const struct test *t, int fork_it) {
  if (!fork_it) {
    failures = 0;
    t->fn();
    return failures == 0;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("unit: fork");
    return 0;
  }
  if (pid == 0) {
    alarm(TEST_SECONDS);
    failures = 0;
    t->fn();
    fflush(NULL);
    _exit(failures ? 1 : 0);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) continue;
  if (WIFSIGNALED(st))
    fprintf(stderr, "  killed by signal %d%s\n", WTERMSIG(st),
            WTERMSIG(st) == SIGALRM ? " (time limit)" : "");
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv) {
  int fork_it = 1, passed = 0, failed = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--list") == 0) {
      for (int k = 0; k < ntests; k++) puts(tests[k].name);
      return 0;
    }
    if (strcmp(argv[i], "--no-fork") == 0) fork_it = 0;
  }
  for (int k = 0; k < ntests; k++) {
    if (!selected(tests[k].name, argc, argv)) continue;
    int ok = run_one(&tests[k], fork_it);
    printf("%s %s\n", ok ? "ok  " : "FAIL", tests[k].name);
    fflush(stdout);
    if (ok)
      passed++;
    else
      failed++;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
