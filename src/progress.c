/* progress.c - see progress.h. */
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "opts.h"
#include "reader.h"
#include "run.h"
#include "scheduler.h"
#include "sink.h"
#include "source.h"
#include "util.h"

#define TICK_MS 200
/* The rate (and so the ETA) is taken over the last RATE_TICKS ticks:
 * long enough to smooth the bursts of a run, short enough to follow a
 * run that slows down or speeds up. */
#define RATE_TICKS 50
#define ETA_MAX_S (100 * 86400.0) /* the longest ETA shown */
#define DRAW_MAX 512 /* the longest line drawn, whatever the width */
#define CLEAR "\r\033[K"

struct sc_progress {
  /* Set at the start, read-only after: */
  struct sc_source *src;
  struct sc_sink *sink;
  struct sc_sched *sched;
  double t0;
  int quiet;
  long slots, per_host;
  double rate, host_rate;
  int env_cols; /* $COLUMNS, for a line forced onto a non-terminal */

  /* The drawing thread; the lock guards the terminal and the members up
   * to drawn. */
  int show; /* the thread runs */
  pthread_t tid;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int stop;
  int drawn; /* a line is on the terminal */
  struct sc_progress_view view;
  /* Only the drawing thread's: done at the last ticks, for the rate. */
  double tick_at[RATE_TICKS];
  uint64_t tick_done[RATE_TICKS];
  int ticks;
  struct sc_sched_stats stats; /* the last snapshot */
  int ended; /* the input was seen read to its end (total_now) */

  /* Counting the input's lines: in a thread while the line shows, or
   * once the run was interrupted (count_by > 0: until then). */
  char **files;
  int nfiles;
  int regular;  /* every input is a regular file: it can be counted */
  int counting; /* the thread runs */
  pthread_t cid;
  atomic_int count_stop;
  double count_by;
  atomic_llong counted; /* lines of every input file, -1 until known */
  struct sc_reader *rd;

  /* Noted by sc_progress_stop for sc_progress_close. */
  uint64_t final_done;
  int64_t final_total;
};

/* The run's progress object while its line is drawn. A fork (the process
 * model starts workers during the run) waits until a draw or an emit is
 * over, so that a worker never starts with a lock taken mid-write: in the
 * child no thread would ever release it. The threads take no lock of
 * stdio or the allocator anyway; this keeps it so for what they call. */
static struct sc_progress *live;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void before_fork(void) {
  if (live) pthread_mutex_lock(&live->lock);
}

static void after_fork(void) {
  if (live) pthread_mutex_unlock(&live->lock);
}

static void hold_at_fork(void) {
  pthread_atfork(before_fork, after_fork, after_fork);
}

/* ----------------------------------------------------------- rendering */

/* v with thousands separators: 1234567 -> "1,234,567". */
static const char *group(char *b, size_t n, uint64_t v) {
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
  size_t o = 0;
  for (int i = 0; i < len && o + 1 < n; i++) {
    if (i && (len - i) % 3 == 0 && o + 2 < n) b[o++] = ',';
    b[o++] = digits[i];
  }
  b[o] = '\0';
  return b;
}

/* A duration: "3.6 s" (or "4 s" whole) under a minute, "2m05s" under an
 * hour, "1h02m" beyond. */
static void duration(char *b, size_t n, double s, int whole) {
  if (s < (whole ? 59.5 : 59.95)) {
    snprintf(b, n, whole ? "%.0f s" : "%.1f s", s);
    return;
  }
  long long t = (long long)(s + 0.5);
  if (t < 3600)
    snprintf(b, n, "%lldm%02llds", t / 60, t % 60);
  else
    snprintf(b, n, "%lldh%02lldm", t / 3600, t % 3600 / 60);
}

/* A limit as the line names it: "8", "0.5/s". */
static void limit_text(char *b, size_t n, enum sc_progress_why why,
                       double limit) {
  char g[32];
  if (why == SC_WHY_RATE || why == SC_WHY_HOST_RATE)
    snprintf(b, n, "%g/s", limit);
  else
    snprintf(b, n, "%s", group(g, sizeof g, (uint64_t)limit));
}

/* The parts of the line, each in its forms, longest first. */
struct parts {
  char done[3][96]; /* "1/5 done (20%)", "1/5 (20%)", "1/5" */
  char eta[32];
  char failed[48];
  char work[4][256]; /* running and waiting: with the reason, its short
                        name, without it, running only */
  char rate[48];
  char elapsed[32];
};

static void make_parts(struct parts *p, const struct sc_progress_view *v) {
  char d[32], t[32], g[32], lim[32];
  group(d, sizeof d, v->done);
  if (v->total >= 0)
    group(t, sizeof t, (uint64_t)v->total);
  else
    sc_strcpy_cut(t, sizeof t, "?");
  if (v->total > 0) {
    uint64_t total = (uint64_t)v->total;
    unsigned pct =
        v->done >= total ? 100 : (unsigned)(v->done * 100.0 / (double)total);
    snprintf(p->done[0], sizeof p->done[0], "%s/%s done (%u%%)", d, t, pct);
    snprintf(p->done[1], sizeof p->done[1], "%s/%s (%u%%)", d, t, pct);
  } else {
    snprintf(p->done[0], sizeof p->done[0], "%s/%s done", d, t);
    snprintf(p->done[1], sizeof p->done[1], "%s/%s", d, t);
  }
  snprintf(p->done[2], sizeof p->done[2], "%s/%s", d, t);

  p->eta[0] = '\0';
  double left = v->total >= 0 && (uint64_t)v->total > v->done && v->rate > 0
                    ? (double)((uint64_t)v->total - v->done) / v->rate
                    : -1;
  if (left >= 0 && left < ETA_MAX_S) { /* beyond it, no estimate is one */
    char dur[24];
    duration(dur, sizeof dur, left < 1 ? 1 : left, 1);
    snprintf(p->eta, sizeof p->eta, "ETA %s", dur);
  }
  snprintf(p->failed, sizeof p->failed, "%s failed",
           group(g, sizeof g, v->failed));

  static const char *const why_long[] = {
      [SC_WHY_PER_HOST] = "for the per-host limit of %s",
      [SC_WHY_HOST_RATE] = "for the per-host rate of %s",
      [SC_WHY_RATE] = "for the rate of %s",
      [SC_WHY_SLOT] = "for a free slot of %s"};
  static const char *const why_short[] = {[SC_WHY_PER_HOST] = "(per-host)",
                                          [SC_WHY_HOST_RATE] = "(host rate)",
                                          [SC_WHY_RATE] = "(rate)",
                                          [SC_WHY_SLOT] = "(slots)"};
  char run[48], wait[48], reason[96];
  snprintf(run, sizeof run, "%s running",
           group(g, sizeof g, (uint64_t)(v->running > 0 ? v->running : 0)));
  group(wait, sizeof wait, (uint64_t)(v->waiting > 0 ? v->waiting : 0));
  memset(p->work, 0, sizeof p->work);
  /* Nothing queued but a reason: the next line of the input waits (the
   * scheduler reads no further while --rate pauses). */
  if (v->waiting <= 0) sc_strcpy_cut(wait, sizeof wait, "the next");
  if (v->why != SC_WHY_NONE || v->waiting > 0) {
    if (v->why != SC_WHY_NONE) {
      limit_text(lim, sizeof lim, v->why, v->limit);
      snprintf(reason, sizeof reason, why_long[v->why], lim);
      snprintf(p->work[0], sizeof p->work[0], "%s, %s waiting %s", run, wait,
               reason);
      snprintf(p->work[1], sizeof p->work[1], "%s, %s waiting %s", run, wait,
               why_short[v->why]);
    } else {
      snprintf(p->work[0], sizeof p->work[0], "%s, %s waiting", run, wait);
      sc_strcpy_cut(p->work[1], sizeof p->work[1], p->work[0]);
    }
    if (v->waiting > 0)
      snprintf(p->work[2], sizeof p->work[2], "%s, %s waiting", run, wait);
    else
      sc_strcpy_cut(p->work[2], sizeof p->work[2], run);
    sc_strcpy_cut(p->work[3], sizeof p->work[3], run);
  } else if (v->running > 0) {
    for (int i = 0; i < 4; i++)
      sc_strcpy_cut(p->work[i], sizeof p->work[i], run);
  }

  p->rate[0] = '\0';
  if (v->rate >= 0) {
    if (v->rate < 9.95)
      snprintf(p->rate, sizeof p->rate, "%.1f URLs/s", v->rate);
    else
      snprintf(p->rate, sizeof p->rate, "%s URLs/s",
               group(g, sizeof g, (uint64_t)(v->rate + 0.5)));
  }
  duration(p->elapsed, sizeof p->elapsed, v->elapsed_s, 0);
}

/* Joins the non-empty parts with ", " into buf; returns the length it
 * needs (which may exceed size). */
static size_t join(char *buf, size_t size, const char *const *part, int n) {
  size_t len = 0;
  buf[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (!part[i] || !part[i][0]) continue;
    int w =
        snprintf(buf + (len < size ? len : size - 1),
                 len < size ? size - len : 1, "%s%s", len ? ", " : "", part[i]);
    len += (size_t)w;
  }
  return len;
}

/* The steps that shorten the line, in order (see progress.h). */
enum step {
  FULL,
  NO_ELAPSED,
  SHORT_REASON,
  NO_RATE,
  NO_REASON,
  RUNNING_ONLY,
  NO_WORK,
  NO_DONE_WORD,
  NO_FAILED,
  NO_ETA,
  NO_PERCENT,
  STEPS
};

size_t sc_progress_render(char *buf, size_t size,
                          const struct sc_progress_view *v, int cols) {
  struct parts p;
  size_t max = cols > 1 ? (size_t)cols - 1 : 0;
  if (max >= size) max = size - 1;
  make_parts(&p, v);
  size_t len = 0;
  for (int s = FULL; s < STEPS; s++) {
    int work = s < SHORT_REASON ? 0
               : s < NO_REASON  ? 1
               : s == NO_REASON ? 2
                                : 3;
    const char *part[] = {p.done[s < NO_DONE_WORD ? 0
                                 : s < NO_PERCENT ? 1
                                                  : 2],
                          s < NO_ETA ? p.eta : NULL,
                          s < NO_FAILED ? p.failed : NULL,
                          s < NO_WORK ? p.work[work] : NULL,
                          s < NO_RATE ? p.rate : NULL,
                          s < NO_ELAPSED ? p.elapsed : NULL};
    len = join(buf, size, part, (int)(sizeof part / sizeof part[0]));
    if (len <= max) return len;
  }
  buf[max] = '\0'; /* not even done/total fits: cut */
  return max;
}

/* ------------------------------------------------------------- drawing */

/* Writes the iovecs whole, going on after a short write; gives up on an
 * error (stderr is gone: nothing is worth more than the run). */
static void write_iov(struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(STDERR_FILENO, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++, n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
}

/* The terminal's width, read at every draw, so that a resized terminal
 * gets a line that fits at the next one. */
static int term_cols(const struct sc_progress *p) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return p->env_cols > 0 ? p->env_cols : 80;
}

/* The total the line shows: all lines taken once the input was read to
 * its end (exact, whatever the input), else the counted lines (a file
 * that grew since is at least what was taken), else not known. A source
 * also ends at a stop, which says nothing of the rest of the input: only
 * an end seen before any stop counts. The drawing thread's, or after it
 * ended. */
static int64_t total_now(struct sc_progress *p) {
  uint64_t taken = p->src->taken(p->src);
  if (!p->ended && p->src->eof(p->src) && !atomic_load(&sc_stop))
    p->ended = 1; /* sc_stop is set before a stop ends the source */
  if (p->ended) return (int64_t)taken;
  long long counted = atomic_load(&p->counted);
  if (counted < 0) return -1;
  return (uint64_t)counted < taken ? (int64_t)taken : (int64_t)counted;
}

/* The run as it stands, from the sink's counters and the scheduler's
 * snapshot; the rate over the last RATE_TICKS ticks. Drawing thread
 * only; takes the scheduler's lock, not the module's. */
static void snapshot(struct sc_progress *p, struct sc_progress_view *v) {
  double now = sc_now_ms();
  struct sc_sched_stats st;
  v->done = sc_sink_count(p->sink);
  v->failed = sc_sink_failures(p->sink);
  v->total = total_now(p);
  v->elapsed_s = (now - p->t0) / 1000.0;
  if (sc_sched_stats(p->sched, &st) == 0)
    p->stats = st;
  else
    st = p->stats; /* a taker waits for a slow pipe: as it was */
  v->running = st.running;
  v->waiting = st.waiting;
  /* The reason most waiting jobs wait; ready ones wait for --rate's turn
   * while it pauses, else for a taker with a free slot. */
  long ready_why[] = {[SC_WHY_NONE] = 0,
                      [SC_WHY_PER_HOST] = st.per_host,
                      [SC_WHY_HOST_RATE] = st.host_rate,
                      [SC_WHY_RATE] = st.rate_pause ? st.ready : 0,
                      [SC_WHY_SLOT] = st.rate_pause ? 0 : st.ready};
  static const enum sc_progress_why order[] = {
      SC_WHY_PER_HOST, SC_WHY_HOST_RATE, SC_WHY_RATE, SC_WHY_SLOT};
  v->why = SC_WHY_NONE;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (ready_why[order[i]] > ready_why[v->why]) v->why = order[i];
  /* --rate reads no further ahead while it pauses: the input waits. */
  if (v->why == SC_WHY_NONE && st.rate_pause && !p->src->eof(p->src))
    v->why = SC_WHY_RATE;
  v->limit = v->why == SC_WHY_PER_HOST    ? (double)p->per_host
             : v->why == SC_WHY_HOST_RATE ? p->host_rate
             : v->why == SC_WHY_RATE      ? p->rate
                                          : (double)p->slots;
  /* The oldest of the last RATE_TICKS ticks (the start before that). */
  int slot = p->ticks % RATE_TICKS;
  double then = p->ticks >= RATE_TICKS ? p->tick_at[slot] : p->t0;
  uint64_t done_then = p->ticks >= RATE_TICKS ? p->tick_done[slot] : 0;
  v->rate = now - then >= 100
                ? (double)(v->done - done_then) * 1000.0 / (now - then)
                : -1;
  p->tick_at[slot] = now;
  p->tick_done[slot] = v->done;
  p->ticks++;
}

/* Draws p->view. The lock is held. */
static void draw_locked(struct sc_progress *p) {
  char line[DRAW_MAX];
  size_t len = sc_progress_render(line, sizeof line, &p->view, term_cols(p));
  struct iovec iov[] = {{CLEAR, sizeof CLEAR - 1}, {line, len}};
  write_iov(iov, 2);
  p->drawn = 1;
}

/* Sleeps until ms after now on p->cond (the lock held); sc_progress_stop
 * wakes it early. */
static void sleep_locked(struct sc_progress *p, long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_nsec += ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/* The drawing thread: a snapshot and a draw every tick, and the line
 * cleared when it stops. */
static void *draw_main(void *arg) {
  struct sc_progress *p = arg;
  pthread_setname_np(pthread_self(), "sc-progress");
  pthread_mutex_lock(&p->lock);
  while (!p->stop) {
    sleep_locked(p, TICK_MS);
    if (p->stop) break;
    struct sc_progress_view v;
    pthread_mutex_unlock(&p->lock); /* the scheduler's is taken alone */
    snapshot(p, &v);
    pthread_mutex_lock(&p->lock);
    if (p->stop) break;
    p->view = v;
    draw_locked(p);
  }
  if (p->drawn) {
    struct iovec iov = {CLEAR, sizeof CLEAR - 1};
    write_iov(&iov, 1);
    p->drawn = 0;
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

void sc_progress_emit(struct sc_progress *p, const char *text) {
  size_t n = strlen(text);
  if (n == 0) return;
  int add_nl = text[n - 1] != '\n';
  char line[DRAW_MAX];
  struct iovec iov[4];
  int k = 0;
  if (p) pthread_mutex_lock(&p->lock);
  if (p && p->drawn) iov[k++] = (struct iovec){CLEAR, sizeof CLEAR - 1};
  iov[k++] = (struct iovec){(char *)text, n};
  if (add_nl) iov[k++] = (struct iovec){"\n", 1};
  if (p && p->drawn) {
    size_t len = sc_progress_render(line, sizeof line, &p->view, term_cols(p));
    iov[k++] = (struct iovec){line, len};
  }
  write_iov(iov, k);
  if (p) pthread_mutex_unlock(&p->lock);
}

/* ------------------------------------------------------------ counting */

/* The time an interrupted run may spend counting the input's lines for
 * its last line: a list of millions of lines in the page cache. */
#define INTERRUPTED_COUNT_MS 500

/* The reader's wait function while counting: the thread stops at the
 * next block once the run ends or stops; a count after an interrupt
 * once its time is up. */
static int count_wait(void *arg, int fd) {
  struct sc_progress *p = arg;
  (void)fd;
  if (p->count_by > 0) return sc_now_ms() > p->count_by ? -1 : 0;
  return atomic_load(&p->count_stop) || atomic_load(&sc_stop) ? -1 : 0;
}

/* Whether every input is a regular file (only those are counted: stdin,
 * a pipe or a device can be read only once). */
static int all_regular(char *const *files, int n) {
  for (int i = 0; i < n; i++) {
    struct stat st;
    if (strcmp(files[i], "-") == 0 || stat(files[i], &st) != 0 ||
        !S_ISREG(st.st_mode))
      return 0;
  }
  return n > 0;
}

/* Counts the lines the run's reader returns, file after file, each
 * opened anew (the run's descriptors keep their places), into
 * p->counted. A file that cannot be read, or a stop, leaves it unknown.
 * Allocates nothing: p->rd is made beforehand. */
static void count_lines(struct sc_progress *p) {
  unsigned long long n = 0;
  for (int i = 0; i < p->nfiles; i++) {
    int fd = open(p->files[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    sc_reader_reset(p->rd, fd);
    sc_reader_set_wait(p->rd, count_wait, p);
    const char *line;
    size_t len;
    uint64_t lineno;
    int overlong, r;
    while ((r = sc_reader_next(p->rd, &line, &len, &lineno, &overlong)) == 1)
      n++;
    close(fd);
    if (r < 0) return;
  }
  atomic_store(&p->counted, (long long)n);
}

/* The counting thread, at the lowest CPU priority, so that it takes no
 * time the checks could use. */
static void *count_main(void *arg) {
  struct sc_progress *p = arg;
  pthread_setname_np(pthread_self(), "sc-count");
  setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
  count_lines(p);
  return NULL;
}

/* ------------------------------------------------------------ the rest */

/* msg.h's writer while the line is shown: errors and warnings printed
 * during the run go out around the line, as sc_progress_emit's text. */
static void msg_write(void *arg, const char *text) {
  sc_progress_emit(arg, text);
}

struct sc_progress *sc_progress_start(const struct sc_run *run, int show,
                                      double t0_ms) {
  struct sc_progress *p = sc_xcalloc(1, sizeof *p);
  const struct sc_opts *o = run->o;
  p->src = run->source;
  p->sink = run->sink;
  p->sched = run->sched;
  p->t0 = t0_ms;
  p->quiet = o->quiet;
  p->slots = run->concurrency;
  p->per_host = o->per_host;
  p->rate = o->rate;
  p->host_rate = o->host_rate;
  const char *cols = getenv("COLUMNS");
  p->env_cols = cols ? atoi(cols) : 0;
  p->final_total = -1;
  atomic_init(&p->counted, -1);
  pthread_mutex_init(&p->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->cond, &ca);
  pthread_condattr_destroy(&ca);
  p->files = o->files;
  p->nfiles = o->nfiles;
  p->regular = all_regular(o->files, o->nfiles);
  if (!show) return p;
  pthread_once(&atfork_once, hold_at_fork);
  p->show = pthread_create(&p->tid, NULL, draw_main, p) == 0;
  if (p->show) {
    live = p; /* started and stopped on the thread that forks */
    /* Threads already run (the event model's reader): msg publishes the
     * writer atomically; p outlives them (sc_progress_close comes after
     * sc_run_close has joined every thread of the run). */
    sc_msg_set_writer(msg_write, p);
  }
  if (p->show && p->regular) {
    p->rd = sc_reader_new(-1);
    p->counting = pthread_create(&p->cid, NULL, count_main, p) == 0;
  }
  return p;
}

void sc_progress_stop(struct sc_progress *p) {
  if (!p) return;
  if (p->counting) {
    atomic_store(&p->count_stop, 1);
    pthread_join(p->cid, NULL);
    p->counting = 0;
  }
  if (p->show) {
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->tid, NULL);
    /* The line is gone: lines go to stderr again. A call in flight still
     * finds p, which is freed only by sc_progress_close. */
    sc_msg_set_writer(NULL, NULL);
    live = NULL;
    p->show = 0;
  }
  p->final_done = sc_sink_count(p->sink);
  /* An interrupted run counts what it did not (see sc_progress_close),
   * if it can in a moment: the engine has returned, nothing forks. */
  if (atomic_load(&sc_stop) > 0 && !p->quiet && p->regular &&
      total_now(p) < 0) {
    if (!p->rd) p->rd = sc_reader_new(-1);
    p->count_by = sc_now_ms() + INTERRUPTED_COUNT_MS;
    count_lines(p);
  }
  p->final_total = total_now(p);
}

void sc_progress_close(struct sc_progress *p) {
  if (!p) return;
  int sig = atomic_load(&sc_stop);
  /* A closed pipe (SIGPIPE) is not an interruption to report: the reader
   * went away, and nothing more is printed (sink.h). */
  if (sig > 0 && sig != SIGPIPE && !p->quiet) {
    char name[24], text[160];
    if (sig == SIGINT || sig == SIGTERM)
      snprintf(name, sizeof name, "%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    else
      snprintf(name, sizeof name, "signal %d", sig);
    if (p->final_total >= 0) {
      uint64_t total = (uint64_t)p->final_total;
      uint64_t left = total > p->final_done ? total - p->final_done : 0;
      snprintf(text, sizeof text,
               "interrupted by %s: %llu of %llu URLs unchecked\n", name,
               (unsigned long long)left, (unsigned long long)total);
    } else {
      snprintf(text, sizeof text,
               "interrupted by %s: the rest of the input went unchecked\n",
               name);
    }
    sc_progress_emit(p, text);
  }
  sc_reader_free(p->rd);
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
