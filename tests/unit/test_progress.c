/* test_progress.c - the progress line: its text and how it shortens to
 * fit, the background count of the input's lines, and lines written
 * through sc_progress_emit while the line is drawn. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feed.h"
#include "opts.h"
#include "progress.h"
#include "run.h"
#include "scheduler.h"
#include "sink.h"
#include "util.h"
#include "unit.h"

static const struct sc_progress_view busy = {.done = 1234,
                                             .total = 5000,
                                             .failed = 12,
                                             .running = 8,
                                             .waiting = 4096,
                                             .why = SC_WHY_PER_HOST,
                                             .limit = 8,
                                             .rate = 340,
                                             .elapsed_s = 3.6};

static const char *render(const struct sc_progress_view *v, int cols) {
  static char buf[512];
  size_t len = sc_progress_render(buf, sizeof buf, v, cols);
  EXPECT_EQ(len, strlen(buf));
  return buf;
}

/* The whole line, and each step that shortens it, in order. */
TEST(progress_render_shortens) {
  const char *full =
      "1,234/5,000 done (24%), ETA 11 s, 12 failed, 8 running, 4,096 "
      "waiting for the per-host limit of 8, 340 URLs/s, 3.6 s";
  EXPECT_STR(render(&busy, 200), full);
  EXPECT_STR(render(&busy, (int)strlen(full) + 1), full);
  EXPECT_STR(render(&busy, (int)strlen(full)),
             "1,234/5,000 done (24%), ETA 11 s, 12 failed, 8 running, 4,096 "
             "waiting for the per-host limit of 8, 340 URLs/s");
  EXPECT_STR(render(&busy, 100),
             "1,234/5,000 done (24%), ETA 11 s, 12 failed, 8 running, 4,096 "
             "waiting (per-host), 340 URLs/s");
  EXPECT_STR(render(&busy, 81),
             "1,234/5,000 done (24%), ETA 11 s, 12 failed, 8 running, 4,096 "
             "waiting (per-host)");
  EXPECT_STR(render(&busy, 80),
             "1,234/5,000 done (24%), ETA 11 s, 12 failed, 8 running, 4,096 "
             "waiting");
  EXPECT_STR(render(&busy, 60),
             "1,234/5,000 done (24%), ETA 11 s, 12 failed, 8 running");
  EXPECT_STR(render(&busy, 54), "1,234/5,000 done (24%), ETA 11 s, 12 failed");
  EXPECT_STR(render(&busy, 43), "1,234/5,000 (24%), ETA 11 s, 12 failed");
  EXPECT_STR(render(&busy, 38), "1,234/5,000 (24%), ETA 11 s");
  EXPECT_STR(render(&busy, 18), "1,234/5,000 (24%)");
  EXPECT_STR(render(&busy, 15), "1,234/5,000");
  EXPECT_STR(render(&busy, 8), "1,234/5");
  EXPECT_STR(render(&busy, 1), "");
  EXPECT_STR(render(&busy, 0), "");
}

/* Never wider than cols - 1, whatever the numbers, at every width. */
TEST(progress_render_fits) {
  struct sc_progress_view v = busy;
  v.done = 123456789012ULL;
  v.total = 987654321098LL;
  v.failed = 99999999;
  v.running = 100000;
  v.waiting = 400000;
  v.why = SC_WHY_HOST_RATE;
  v.limit = 0.25;
  v.rate = 123456.7;
  v.elapsed_s = 1e7;
  for (int why = SC_WHY_NONE; why <= SC_WHY_SLOT; why++)
    for (int cols = 0; cols <= 300; cols++) {
      v.why = (enum sc_progress_why)why;
      const char *line = render(&v, cols);
      size_t max = cols > 1 ? (size_t)cols - 1 : 0;
      if (strlen(line) > max)
        unit_fail(__FILE__, __LINE__, "%zu columns at width %d: [%s]",
                  strlen(line), cols, line);
      EXPECT(!strchr(line, '\n') && !strchr(line, '\r'));
    }
}

/* Each reason, the unknown total, durations and small rates. */
TEST(progress_render_parts) {
  struct sc_progress_view v = {.done = 7,
                               .total = -1,
                               .failed = 0,
                               .running = 2,
                               .waiting = 30,
                               .why = SC_WHY_HOST_RATE,
                               .limit = 0.5,
                               .rate = 1.25,
                               .elapsed_s = 125};
  EXPECT_STR(render(&v, 200),
             "7/? done, 0 failed, 2 running, 30 waiting for the per-host "
             "rate of 0.5/s, 1.2 URLs/s, 2m05s");
  v.why = SC_WHY_RATE, v.limit = 10, v.elapsed_s = 3725;
  EXPECT_CONTAINS(render(&v, 200), "30 waiting for the rate of 10/s");
  EXPECT_CONTAINS(render(&v, 200), ", 1h02m");
  v.why = SC_WHY_SLOT, v.limit = 1000;
  EXPECT_CONTAINS(render(&v, 200), "30 waiting for a free slot of 1,000");
  v.waiting = 0, v.why = SC_WHY_RATE, v.limit = 2;
  EXPECT_CONTAINS(render(&v, 200),
                  ", 2 running, the next waiting for the rate of 2/s, ");
  v.why = SC_WHY_NONE, v.rate = -1, v.total = 7;
  EXPECT_STR(render(&v, 200), "7/7 done (100%), 0 failed, 2 running, 1h02m");
  v.running = 0, v.total = 0, v.done = 0;
  EXPECT_STR(render(&v, 200), "0/0 done, 0 failed, 1h02m");
  /* 100% only once all is done; an ETA of a second at least. */
  v = busy;
  v.done = 4999;
  EXPECT_CONTAINS(render(&v, 200), "4,999/5,000 done (99%), ETA 1 s,");
}

/* A run over lines (in a memfd) with the options args: what progress
 * reads, with no engine. */
struct rig {
  char path[64];
  char *argv[8]; /* o's strings point into it */
  struct sc_opts o;
  struct sc_run run;
  int fd;
};

static const long one_slot[] = {4};

static void no_decided(void *arg, struct sc_job *job) {
  (void)arg, (void)job;
}

static void rig_open_with(struct rig *r, const char *lines, size_t len,
                          const char *a1, const char *a2) {
  r->fd = memfd_create("progress", 0);
  if (r->fd < 0 || write(r->fd, lines, len) != (ssize_t)len) abort();
  snprintf(r->path, sizeof r->path, "/proc/self/fd/%d", r->fd);
  char *argv[] = {"sitecheck", "-m",       "thread",     "-q",
                  (char *)a1,  (char *)a2, "--progress", r->path};
  memcpy(r->argv, argv, sizeof argv);
  memset(&r->o, 0, sizeof r->o);
  if (sc_opts_parse(&r->o, 8, r->argv) != 0) abort();
  memset(&r->run, 0, sizeof r->run);
  r->run.o = &r->o;
  r->run.concurrency = 4;
  r->run.source = sc_feed_open(&r->o);
  r->run.sink = sc_sink_open(&r->o);
  r->run.sched =
      sc_sched_new(&r->o, r->run.source, one_slot, 1, no_decided, NULL);
}

static void rig_open(struct rig *r, const char *lines, size_t len) {
  rig_open_with(r, lines, len, "--per-host", "8");
}

static void rig_close(struct rig *r) {
  int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
  dup2(null, STDOUT_FILENO); /* the sink's tally */
  sc_sched_free(r->run.sched);
  r->run.source->close(r->run.source);
  sc_sink_close(r->run.sink, 0);
  dup2(out, STDOUT_FILENO);
  close(out);
  close(null);
  close(r->fd);
  sc_opts_free(&r->o);
}

/* Sends stderr to a memfd; returns the saved stderr. */
static int capture_stderr(int *mem) {
  int saved = dup(STDERR_FILENO);
  *mem = memfd_create("stderr", 0);
  dup2(*mem, STDERR_FILENO);
  return saved;
}

/* Puts stderr back; returns what was written to it (free it). */
static char *captured(int saved, int mem, size_t *len) {
  dup2(saved, STDERR_FILENO);
  close(saved);
  off_t n = lseek(mem, 0, SEEK_END);
  char *buf = sc_xmalloc((size_t)n + 1);
  if (pread(mem, buf, (size_t)n, 0) != n) abort();
  buf[n] = '\0';
  close(mem);
  *len = (size_t)n;
  return buf;
}

struct emitter {
  struct sc_progress *p;
  int id;
};

#define EMITTERS 4
#define EMITS 60

static void *emit_main(void *arg) {
  struct emitter *e = arg;
  for (int i = 0; i < EMITS; i++) {
    char text[96];
    /* Every other one without its newline: emit adds it. */
    snprintf(text, sizeof text, "emitted %d.%d: a line of its own%s", e->id, i,
             i % 2 ? "" : "\n");
    sc_progress_emit(e->p, text);
    usleep(10 * 1000);
  }
  return NULL;
}

/* Lines emitted from several threads while the line is drawn: each shows
 * whole, on a line of its own, as a terminal renders the bytes (a line
 * shows what follows its last CR); the progress line was drawn between
 * them. The total is the count of the reader's lines (a BOM, CRLF,
 * blanks and comments, no newline at the end). */
TEST(progress_emit_never_mixes) {
  static const char lines[] =
      "\xEF\xBB\xBFhttp://a.unit-sitecheck.org/1\r\n"
      "\n  # a comment\n   \nhttp://a.unit-sitecheck.org/2\n"
      "not a url\n#\nhttp://a.unit-sitecheck.org/3";
  struct rig r;
  rig_open(&r, lines, sizeof lines - 1);
  setenv("COLUMNS", "60", 1);
  int mem, saved = capture_stderr(&mem);
  struct sc_progress *p = sc_progress_start(&r.run, 1, sc_now_ms());
  pthread_t t[EMITTERS];
  struct emitter e[EMITTERS];
  for (int i = 0; i < EMITTERS; i++) {
    e[i] = (struct emitter){p, i};
    pthread_create(&t[i], NULL, emit_main, &e[i]);
  }
  for (int i = 0; i < EMITTERS; i++) pthread_join(t[i], NULL);
  sc_progress_stop(p);
  sc_progress_emit(p, "after the stop\n");
  sc_progress_close(p);
  size_t len;
  char *out = captured(saved, mem, &len);
  /* The line is cleared at the stop: the end is a plain line. */
  const char *end = "\r\033[Kafter the stop\n";
  EXPECT(len > strlen(end));
  EXPECT_STR(out + len - strlen(end), end);

  int seen[EMITTERS][EMITS] = {{0}}, draws = 0, counted = 0, bad = 0;
  char *line = out;
  for (char *nl; (nl = memchr(line, '\n', len - (size_t)(line - out)));
       line = nl + 1) {
    *nl = '\0';
    for (char *s = line; (s = strstr(s, "\r\033[K")); s += 4) {
      if (strncmp(s + 4, "0/", 2) == 0) draws++;
      if (strncmp(s + 4, "0/4 done (0%)", 13) == 0) counted++;
    }
    const char *shown = strrchr(line, '\r') ? strrchr(line, '\r') + 1 : line;
    if (strncmp(shown, "\033[K", 3) == 0) shown += 3;
    int id, i;
    char tail[64];
    if (sscanf(shown, "emitted %d.%d: %63[^\n]", &id, &i, tail) == 3 &&
        id >= 0 && id < EMITTERS && i >= 0 && i < EMITS &&
        strcmp(tail, "a line of its own") == 0)
      seen[id][i]++;
    else if (strcmp(shown, "after the stop") != 0 && bad++ < 3)
      unit_fail(__FILE__, __LINE__, "a line shows [%s]", shown);
  }
  for (int id = 0; id < EMITTERS; id++)
    for (int i = 0; i < EMITS; i++)
      if (seen[id][i] != 1 && bad++ < 6)
        unit_fail(__FILE__, __LINE__, "emitted %d.%d shown %d times", id, i,
                  seen[id][i]);
  EXPECT_EQ(bad, 0);
  EXPECT(draws > 0);   /* the line was there to be cleared */
  EXPECT(counted > 0); /* ... with the counted total */
  free(out);
  rig_close(&r);
}

/* Without the line, emit writes the text as it is; so does a NULL p. */
TEST(progress_emit_plain) {
  struct rig r;
  rig_open(&r, "http://a.unit-sitecheck.org/\n", 29);
  int mem, saved = capture_stderr(&mem);
  struct sc_progress *p = sc_progress_start(&r.run, 0, sc_now_ms());
  sc_progress_emit(p, "one\n");
  sc_progress_emit(NULL, "two");
  sc_progress_stop(p);
  sc_progress_close(p);
  size_t len;
  char *out = captured(saved, mem, &len);
  EXPECT_STR(out, "one\ntwo\n");
  free(out);
  rig_close(&r);
}

/* The scheduler's snapshot counts each waiting job once, by why it
 * waits: its host full, its host pausing, or ready. */
TEST(progress_sched_stats) {
  static const char five[] =
      "http://a.unit-sitecheck.org/1\nhttp://a.unit-sitecheck.org/2\n"
      "http://a.unit-sitecheck.org/3\nhttp://a.unit-sitecheck.org/4\n"
      "http://a.unit-sitecheck.org/5\n";
  struct rig r;
  struct sc_job j, k;
  struct sc_sched_stats st;
  long wait;
  rig_open_with(&r, five, sizeof five - 1, "--per-host", "1");
  EXPECT_EQ(sc_sched_take(r.run.sched, 0, &j, &wait), 1);
  EXPECT_EQ(sc_sched_take(r.run.sched, 0, &k, &wait), 0);
  EXPECT_EQ(sc_sched_stats(r.run.sched, &st), 0);
  EXPECT_EQ(st.running, 1);
  EXPECT_EQ(st.waiting, 4);
  EXPECT_EQ(st.per_host, 4);
  EXPECT_EQ(st.host_rate + st.ready + st.rate_pause, 0);
  sc_sched_done(r.run.sched, &j); /* room again: the host is ready */
  sc_job_clear(&j);
  EXPECT_EQ(sc_sched_stats(r.run.sched, &st), 0);
  EXPECT_EQ(st.running, 0);
  EXPECT_EQ(st.ready, 4);
  EXPECT_EQ(st.per_host + st.host_rate, 0);
  rig_close(&r);

  rig_open_with(&r, five, sizeof five - 1, "--host-rate", "0.5");
  EXPECT_EQ(sc_sched_take(r.run.sched, 0, &j, &wait), 1);
  EXPECT_EQ(sc_sched_take(r.run.sched, 0, &k, &wait), 0);
  EXPECT_EQ(sc_sched_stats(r.run.sched, &st), 0);
  EXPECT_EQ(st.running, 1);
  EXPECT_EQ(st.host_rate, 4);
  EXPECT_EQ(st.per_host + st.ready, 0);
  sc_sched_done(r.run.sched, &j);
  sc_job_clear(&j);
  rig_close(&r);

  rig_open_with(&r, five, sizeof five - 1, "--rate", "0.5");
  EXPECT_EQ(sc_sched_take(r.run.sched, 0, &j, &wait), 1);
  EXPECT_EQ(sc_sched_take(r.run.sched, 0, &k, &wait), 0);
  EXPECT_EQ(sc_sched_stats(r.run.sched, &st), 0);
  EXPECT_EQ(st.rate_pause, 1);
  EXPECT_EQ(st.waiting, 0); /* nothing is read while --rate pauses */
  sc_sched_done(r.run.sched, &j);
  sc_job_clear(&j);
  rig_close(&r);
}
