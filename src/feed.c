/* feed.c - see feed.h. */
#include "feed.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_kind.h"
#include "reader.h"
#include "run.h"
#include "url.h"
#include "util.h"

/* Lines read ahead by the reader thread: at most RING (a few hundred KiB
 * with ordinary URLs, 2 MiB with lines at the length cap). */
#define RING 256

struct pending {
  char *line;
  size_t len;
  uint64_t lineno;
  int input; /* index of its file */
  int overlong;
};

struct sc_feed {
  struct sc_source src;    /* first member: the feed is a source */
  pthread_mutex_t lock;    /* guards the ring and the flags below */
  pthread_cond_t not_full; /* the reader thread waits for room */
  struct pending ring[RING];
  unsigned head, count;
  int done;           /* the input is read to its end (or stopped) */
  atomic_int closing; /* feed_close: the reader thread must end */
  int threaded;       /* a reader thread fills the ring */
  pthread_t thread;
  /* The reader's own (the thread's, or the consumers' under the lock): */
  int nfiles, cur;
  int *fds;
  enum sc_utf16_bom *bom; /* per file: UTF-16 input to convert */
  struct sc_utf16 *u16;   /* the converter of files[cur], or NULL */
  struct sc_buf u8;       /* its output not yet handed to the reader */
  size_t u8_pos;
  const char **names;   /* for messages ("stdin" for -) */
  const char **inputs;  /* as given, for jobs ("-" for stdin): the
                           strings borrowed from the options */
  struct sc_reader *rd; /* reader of files[cur], NULL before/after */
  int read_error;
  int nowait;     /* next_line must not wait for input (blocking feed) */
  int would_wait; /* ... and it would have */
  /* The consumers': */
  atomic_uint_fast64_t taken;
  atomic_int eof;
};

static void *read_main(void *arg);
static int feed_next(struct sc_source *src, struct sc_job *job, int wait);
static uint64_t feed_taken(struct sc_source *src);
static int feed_eof(struct sc_source *src);
static int feed_close(struct sc_source *src);

struct sc_source *sc_feed_open(const struct sc_opts *o) {
  return sc_feed_open_files(o, o->files, o->nfiles);
}

/* The reader's read for a UTF-16 file: raw blocks converted to UTF-8. */
static long read_utf16(void *arg, int fd, void *buf, size_t cap) {
  struct sc_feed *f = arg;
  while (f->u8_pos == f->u8.len && f->u16) {
    char raw[32768];
    ssize_t n = read(fd, raw, sizeof raw);
    if (n < 0) return -1;
    f->u8.len = f->u8_pos = 0;
    if (n == 0) {
      sc_utf16_finish(f->u16, &f->u8);
      sc_utf16_free(f->u16);
      f->u16 = NULL;
    } else {
      sc_utf16_convert(f->u16, raw, (size_t)n, &f->u8);
    }
  }
  size_t k = f->u8.len - f->u8_pos;
  if (k > cap) k = cap;
  if (k) memcpy(buf, f->u8.data + f->u8_pos, k);
  f->u8_pos += k;
  return (long)k;
}

struct sc_source *sc_feed_open_files(const struct sc_opts *o,
                                     char *const *files, int nfiles) {
  struct sc_feed *f = sc_xcalloc(1, sizeof *f);
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->not_full, NULL);
  f->src.next = feed_next;
  f->src.taken = feed_taken;
  f->src.eof = feed_eof;
  f->src.close = feed_close;
  f->nfiles = nfiles;
  f->inputs = sc_xcalloc((size_t)nfiles, sizeof *f->inputs);
  for (int i = 0; i < nfiles; i++) f->inputs[i] = files[i];
  f->fds = sc_xcalloc((size_t)nfiles, sizeof *f->fds);
  f->names = sc_xcalloc((size_t)nfiles, sizeof *f->names);
  f->bom = sc_xcalloc((size_t)nfiles, sizeof *f->bom);
  for (int i = 0; i < nfiles; i++) {
    const char *name = files[i];
    if (strcmp(name, "-") == 0) {
      f->fds[i] = STDIN_FILENO;
      f->names[i] = "stdin";
      continue;
    }
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    struct stat st = {0};
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      close(fd);
      fd = -1;
      errno = EISDIR;
    }
    if (fd < 0) {
      fprintf(stderr, "sitecheck: cannot read %s: %s\n", name, strerror(errno));
      for (int k = 0; k < i; k++)
        if (f->fds[k] != STDIN_FILENO) close(f->fds[k]);
      free(f->fds);
      free(f->names);
      free(f->inputs);
      free(f->bom);
      pthread_mutex_destroy(&f->lock);
      pthread_cond_destroy(&f->not_full);
      free(f);
      return NULL;
    }
    f->fds[i] = fd;
    f->names[i] = name;
    unsigned char head[2];
    if (S_ISREG(st.st_mode) && pread(fd, head, 2, 0) == 2)
      f->bom[i] = sc_utf16_bom(head, 2);
  }
  /* The event model gets a reader thread: its loop must never block on
   * input. The blocking models wait for input on their own threads anyway,
   * and the process model forks workers during the run, which must not
   * happen while another thread may hold a lock (the ASan allocator's
   * deadlocked a forked worker in the sanitizer run). */
  f->threaded = o->model == SC_MODEL_EVENT;
  f->src.blocks = !f->threaded;
  if (f->threaded && pthread_create(&f->thread, NULL, read_main, f) != 0) {
    fprintf(stderr, "sitecheck: cannot start the input thread\n");
    exit(SC_EXIT_INTERNAL);
  }
  return &f->src;
}

/* Waits until fd has something to read (or an end or error, which read()
 * then reports), looking every 100 ms whether the run is stopping or the
 * feed closing: a silent pipe must hold up neither. Asked not to wait
 * (f->nowait), it only looks, and notes when it would have waited. */
static int wait_input(void *arg, int fd) {
  struct sc_feed *f = arg;
  for (;;) {
    if (atomic_load(&sc_stop) || atomic_load(&f->closing)) return -1;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, f->nowait ? 0 : 100);
    if (n > 0 || (n < 0 && errno != EINTR)) return 0;
    if (n == 0 && f->nowait) {
      f->would_wait = 1;
      return -1;
    }
  }
}

/* Reads the next non-blank, non-comment line from the current file or the
 * ones after it into *p. Returns 1, or 0 at the end of the last file or
 * when stopped, or -1 where it would have waited for input (f->nowait;
 * the reader keeps its place). Runs on the reader thread, or with the
 * lock held. */
static int next_line(struct sc_feed *f, struct pending *p) {
  while (f->cur < f->nfiles) {
    if (!f->rd) {
      f->rd = sc_reader_new(f->fds[f->cur]);
      sc_reader_set_wait(f->rd, wait_input, f);
      if (f->bom[f->cur] != SC_UTF16_NONE &&
          (f->u16 = sc_utf16_new(f->bom[f->cur]))) {
        f->u8.len = f->u8_pos = 0;
        sc_reader_set_read(f->rd, read_utf16, f);
      }
    }
    const char *line;
    size_t len;
    uint64_t lineno;
    int overlong = 0;
    int r = sc_reader_next(f->rd, &line, &len, &lineno, &overlong);
    if (r == 1) {
      p->line = sc_xstrndup(line, len);
      p->len = len;
      p->lineno = lineno;
      p->input = f->cur;
      p->overlong = overlong;
      return 1;
    }
    if (r < 0 && errno == ECANCELED) {
      if (!f->would_wait) return 0; /* stopping */
      f->would_wait = 0;
      return -1;
    }
    if (r < 0) {
      fprintf(stderr, "sitecheck: error reading %s: %s\n", f->names[f->cur],
              strerror(errno));
      f->read_error = 1;
    }
    sc_reader_free(f->rd);
    f->rd = NULL;
    sc_utf16_free(f->u16);
    f->u16 = NULL;
    f->cur++;
  }
  return 0;
}

/* The reader thread: reads ahead into the ring, so that a slow producer
 * on a pipe never blocks a loop with checks in flight (their clocks would
 * run, and their answers wait, while it read). */
static void *read_main(void *arg) {
  struct sc_feed *f = arg;
  pthread_setname_np(pthread_self(), "sc-input");
  for (;;) {
    struct pending p;
    int got = !atomic_load(&sc_stop) && next_line(f, &p) == 1;
    pthread_mutex_lock(&f->lock);
    while (got && f->count == RING && !atomic_load(&f->closing))
      pthread_cond_wait(&f->not_full, &f->lock);
    if (!got || atomic_load(&f->closing)) {
      if (got) free(p.line);
      f->done = 1;
      pthread_mutex_unlock(&f->lock);
      return NULL;
    }
    f->ring[(f->head + f->count) % RING] = p;
    f->count++;
    pthread_mutex_unlock(&f->lock);
  }
}

/* Takes the next line into *job: 1, or 0 at the end of the input, or -1
 * if none is ready yet: the reader thread has none, or (no reader thread)
 * reading it would have to wait and wait is 0. Without a reader thread
 * the line is read here, waiting for it if need be (a stop ends the
 * wait). */
static int take_line(struct sc_feed *f, struct sc_job *job, int *overlong,
                     int wait) {
  pthread_mutex_lock(&f->lock);
  if (!f->threaded && f->count == 0 && !f->done) {
    struct pending p;
    f->nowait = !wait;
    int got = next_line(f, &p);
    if (got < 0) {
      pthread_mutex_unlock(&f->lock);
      return -1;
    }
    if (got) {
      f->ring[f->head] = p;
      f->count = 1;
    } else {
      f->done = 1;
    }
  }
  if (f->count == 0) {
    int done = f->done;
    if (done) atomic_store(&f->eof, 1);
    pthread_mutex_unlock(&f->lock);
    return done ? 0 : -1;
  }
  struct pending p = f->ring[f->head]; /* a copy: the slot is reused */
  f->head = (f->head + 1) % RING;
  /* Wake the reader only once half the ring is free, not for every line. */
  if (f->count-- == RING / 2) pthread_cond_signal(&f->not_full);
  atomic_fetch_add(&f->taken, 1);
  pthread_mutex_unlock(&f->lock);
  job->line = p.line;
  job->len = p.len;
  job->lineno = p.lineno;
  job->input = f->inputs[p.input];
  job->input_no = (uint32_t)p.input;
  *overlong = p.overlong;
  return 1;
}

/* The source's next (source.h): the next line as a job, checkable or
 * decided. Runs under the scheduler's lock. */
static int feed_next(struct sc_source *src, struct sc_job *job, int wait) {
  struct sc_feed *f = (struct sc_feed *)src;
  int overlong = 0;
  memset(job, 0, sizeof *job);
  if (atomic_load(&sc_stop)) return 0;
  int got = take_line(f, job, &overlong, wait);
  if (got != 1) return got;
  struct sc_url u;
  enum sc_class cls =
      sc_url_normalize(job->line, job->len, overlong, &u, &job->why);
  if (cls == SC_OK) {
    job->url = u.url;
    job->host = u.host;
    job->port = u.port;
    job->ip_literal = u.ip_literal;
  }
  job->cls = (int16_t)cls; /* decided without the network unless SC_OK */
  return 1;
}

static uint64_t feed_taken(struct sc_source *src) {
  return atomic_load(&((struct sc_feed *)src)->taken);
}

static int feed_eof(struct sc_source *src) {
  return atomic_load(&((struct sc_feed *)src)->eof);
}

static int feed_close(struct sc_source *src) {
  struct sc_feed *f = (struct sc_feed *)src;
  pthread_mutex_lock(&f->lock);
  atomic_store(&f->closing, 1);
  pthread_cond_broadcast(&f->not_full);
  pthread_mutex_unlock(&f->lock);
  /* A reader thread still at work (stopped early, or a pipe that never
   * ends) waits for room, which closing ends, or for input, which it
   * gives up within 100 ms. */
  if (f->threaded) pthread_join(f->thread, NULL);
  for (; f->count; f->count--, f->head = (f->head + 1) % RING)
    free(f->ring[f->head].line);
  int err = f->read_error;
  sc_reader_free(f->rd);
  for (int i = 0; i < f->nfiles; i++)
    if (f->fds[i] != STDIN_FILENO) close(f->fds[i]);
  free(f->fds);
  free(f->names);
  free(f->inputs);
  free(f->bom);
  sc_utf16_free(f->u16);
  sc_buf_free(&f->u8);
  pthread_mutex_destroy(&f->lock);
  pthread_cond_destroy(&f->not_full);
  free(f);
  return err;
}
