/* watch.c - see watch.h. */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "htab.h"
#include "list.h"
#include "msg.h"
#include "reader.h"
#include "record.h"
#include "redact.h"
#include "run.h"
#include "scheduler.h"
#include "url.h"

/* Job ids (a job's lineno): a watched URL's, or a probe's with this bit. */
#define PROBE_BIT (UINT64_C(1) << 63)

/* How long a probe may wait for its check beyond the check's own time
 * limit before it is answered as failed: it may have waited for a host
 * slot, or the check may be finishing just now. */
#define PROBE_GRACE_MS 250

/* How long an idle source tells the scheduler to sleep when nothing is
 * scheduled at all (an empty list): wakes come anyway. */
#define IDLE_EMPTY_MS 1000

/* Seeds the hash that places a URL in the interval (sc_hash_str is keyed
 * per process; this keeps it apart from the tables' use of it). */
#define OFFSET_SEED 0x77617463680aULL

enum state { UNKNOWN, UP, DOWN };
static const char *const state_names[] = {"unknown", "up", "down"};

/* One watched URL: about 350 bytes plus its three strings (URL, label,
 * host) and its slots in the heap and the two tables. */
struct entry {
  struct sc_hnode by_key; /* in w->keys, by label */
  struct sc_hnode by_id;  /* in w->ids, by id */
  struct sc_link order;   /* in w->order: the list's order, for /metrics */
  char *url;              /* normalized, what is checked */
  char *label;            /* target="URL", password masked, escaped */
  char *host;
  long port;
  int ip_literal;
  uint64_t id;
  double due;         /* next start, sc_now_ms() */
  double started_due; /* the due time of the check in flight */
  long heap_at;       /* index in w->heap; -1 once no longer listed */
  int in_flight;
  int removed; /* no longer listed; freed when its check comes back */
  int listed;  /* seen by the load under way */
  enum state state;
  enum state leaning; /* UNKNOWN: the way the results in a row go */
  long streak;        /* results in a row against state (or leaning) */
  int have;           /* a result is in: last holds it */
  struct sc_probe last;
};

/* A /probe request, from sc_watch_probe until done is called. */
struct probe {
  struct sc_link link; /* in w->probes_queued, then w->probes_running */
  uint64_t id;
  double t0, deadline;
  struct sc_job job; /* until the source hands it out */
  void (*done)(void *arg, const struct sc_probe *p);
  void *arg;
};

/* Counters of /metrics. Outcome i: 0-4 the status classes 1xx-5xx,
 * 5 + enum sc_class the failure classes. */
enum { OUTCOMES = 5 + SC_CLASS_COUNT };

struct sc_watch {
  struct sc_source src; /* first member: the watch is a source */
  const struct sc_opts *o;
  pthread_mutex_t lock;
  struct sc_htab keys, ids;
  struct sc_link order;
  long nentries;
  struct entry **heap; /* min-heap on due */
  long nheap, heap_cap;
  uint64_t next_id;
  double t0;     /* the schedule's origin */
  regex_t allow; /* --probe-allow */
  int has_allow;
  struct sc_link probes_queued, probes_running;
  long nprobes; /* queued + running */
  uint64_t next_probe;
  int closing;
  struct sc_sched *sched;
  long outstanding; /* jobs handed out, not yet back */
  uint64_t taken;
  /* Counters. */
  uint64_t outcomes[OUTCOMES];
  uint64_t skipped, changes;
  struct sc_metric_hist check_time, start_delay;
  double started_wall; /* Unix time of the start */
  /* The events (-o), under their own lock. */
  pthread_mutex_t out_lock;
  int out_fd; /* -1: none */
  int out_error;
};

/* ---------------------------------------------------------------- heap */

static void heap_set(struct sc_watch *w, long i, struct entry *e) {
  w->heap[i] = e;
  e->heap_at = i;
}

static void heap_up(struct sc_watch *w, long i) {
  struct entry *e = w->heap[i];
  while (i > 0 && w->heap[(i - 1) / 2]->due > e->due) {
    heap_set(w, i, w->heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_set(w, i, e);
}

static void heap_down(struct sc_watch *w, long i) {
  struct entry *e = w->heap[i];
  for (;;) {
    long l = 2 * i + 1, r = l + 1, m = l;
    if (l >= w->nheap) break;
    if (r < w->nheap && w->heap[r]->due < w->heap[l]->due) m = r;
    if (w->heap[m]->due >= e->due) break;
    heap_set(w, i, w->heap[m]);
    i = m;
  }
  heap_set(w, i, e);
}

static void heap_push(struct sc_watch *w, struct entry *e) {
  if (w->nheap == w->heap_cap) {
    w->heap_cap = w->heap_cap ? 2 * w->heap_cap : 64;
    w->heap = sc_xrealloc(w->heap, (size_t)w->heap_cap * sizeof *w->heap);
  }
  heap_set(w, w->nheap++, e);
  heap_up(w, e->heap_at);
}

static void heap_remove(struct sc_watch *w, struct entry *e) {
  long i = e->heap_at;
  struct entry *last = w->heap[--w->nheap];
  e->heap_at = -1;
  if (last == e) return;
  heap_set(w, i, last);
  heap_up(w, i);
  heap_down(w, last->heap_at);
}

/* ------------------------------------------------------------- entries */

static struct entry *find_key(struct sc_watch *w, const char *label) {
  uint64_t h = sc_hash_str(0, label);
  for (struct sc_hnode *n = sc_ht_chain(&w->keys, h); n; n = n->next) {
    struct entry *e = SC_CONTAINER(n, struct entry, by_key);
    if (n->hash == h && strcmp(e->label, label) == 0) return e;
  }
  return NULL;
}

static struct entry *find_id(struct sc_watch *w, uint64_t id) {
  uint64_t h = sc_hash_u64(id);
  for (struct sc_hnode *n = sc_ht_chain(&w->ids, h); n; n = n->next) {
    struct entry *e = SC_CONTAINER(n, struct entry, by_id);
    if (e->id == id) return e;
  }
  return NULL;
}

static void entry_free(struct entry *e) {
  free(e->url);
  free(e->label);
  free(e->host);
  free(e);
}

/* The label of a URL: target="URL" with its password masked, escaped. */
static char *make_label(const char *url) {
  struct sc_buf masked = {0}, label = {0};
  sc_redact_url(url, strlen(url), 0, &masked);
  sc_buf_adds(&label, "target=\"");
  sc_metric_label(&label, masked.data, masked.len);
  sc_buf_addc(&label, '"');
  sc_buf_free(&masked);
  return label.data;
}

/* The first due time of e after now: its offset inside the interval, a
 * keyed hash of its label, counted in whole intervals from the start. */
static double first_due(const struct sc_watch *w, const struct entry *e,
                        double now) {
  double every = (double)w->o->every_ms;
  double offset =
      (double)(sc_hash_str(OFFSET_SEED, e->label) % (uint64_t)every);
  double due = w->t0 + offset;
  if (due < now) due += ceil((now - due) / every) * every;
  return due;
}

/* Appends s[0..n) as text that is safe on a terminal: every character
 * that is not shown (control characters, invalid UTF-8, the C1 and bidi
 * controls) becomes U+FFFD. */
static void add_shown(struct sc_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    size_t len =
        s[i] < 0x20 || s[i] == 0x7F ? 0 : sc_utf8_shown_len(s + i, n - i);
    if (!len) {
      sc_buf_adds(b, "\xEF\xBF\xBD");
      i++;
    } else {
      sc_buf_add(b, s + i, len);
      i += len;
    }
  }
}

/* Appends url, its password masked, as text safe on a terminal. */
static void add_masked(struct sc_buf *b, const char *url) {
  struct sc_buf m = {0};
  sc_redact_url(url, strlen(url), 0, &m);
  add_shown(b, m.data, m.len);
  sc_buf_free(&m);
}

/* ---------------------------------------------------------------- load */

/* One URL of the list as read, before it joins the watch. */
struct candidate {
  struct sc_url u;
  char *label;
  const char *file;
  uint64_t lineno;
};

struct candidates {
  struct candidate *v;
  size_t n, cap;
};

/* Reads one list file into c, warning about each line that is not a
 * checkable URL. Returns 0, or -1 if it cannot be read. */
static int read_list(const char *name, struct candidates *c) {
  int fd = open(name, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    fd = -1;
    errno = EISDIR;
  }
  if (fd < 0) {
    sc_error("cannot read %s: %s", name, strerror(errno));
    return -1;
  }
  struct sc_reader *rd = sc_reader_new(fd);
  const char *line;
  size_t len;
  uint64_t lineno;
  int overlong, r;
  while ((r = sc_reader_next(rd, &line, &len, &lineno, &overlong)) == 1) {
    struct candidate k = {.file = name, .lineno = lineno};
    const char *why = NULL;
    if (sc_url_normalize(line, len, overlong, &k.u, &why) != SC_OK) {
      sc_warn("%s:%llu: not a URL sitecheck can check (%s); not watched", name,
              (unsigned long long)lineno, why ? why : "invalid");
      continue;
    }
    k.label = make_label(k.u.url);
    if (c->n == c->cap) {
      c->cap = c->cap ? 2 * c->cap : 64;
      c->v = sc_xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = k;
  }
  int err = r < 0 ? errno : 0;
  sc_reader_free(rd);
  close(fd);
  if (err) {
    sc_error("error reading %s: %s", name, strerror(err));
    return -1;
  }
  return 0;
}

static void candidates_free(struct candidates *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->v[i].u.url);
    free(c->v[i].u.host);
    free(c->v[i].label);
  }
  free(c->v);
}

/* Adds candidate k to the watch (its strings move into the entry). */
static void add_entry(struct sc_watch *w, struct candidate *k, double now) {
  struct entry *e = sc_xcalloc(1, sizeof *e);
  e->url = k->u.url;
  e->host = k->u.host;
  e->port = k->u.port;
  e->ip_literal = k->u.ip_literal;
  e->label = k->label;
  k->u.url = k->u.host = k->label = NULL;
  e->id = ++w->next_id;
  e->listed = 1;
  e->by_key.hash = sc_hash_str(0, e->label);
  sc_ht_add(&w->keys, &e->by_key);
  e->by_id.hash = sc_hash_u64(e->id);
  sc_ht_add(&w->ids, &e->by_id);
  sc_link_add_tail(&w->order, &e->order);
  w->nentries++;
  e->due = first_due(w, e, now);
  heap_push(w, e);
}

/* Takes e out of the watch: off the schedule, the list and the key
 * table. A check in flight still finds it by id; it is freed then. */
static void remove_entry(struct sc_watch *w, struct entry *e) {
  if (e->heap_at >= 0) heap_remove(w, e);
  sc_ht_del(&w->keys, &e->by_key);
  sc_link_del(&e->order);
  w->nentries--;
  if (e->in_flight) {
    e->removed = 1;
    return;
  }
  sc_ht_del(&w->ids, &e->by_id);
  entry_free(e);
}

long sc_watch_load(struct sc_watch *w) {
  struct candidates c = {0};
  for (int i = 0; i < w->o->nfiles; i++)
    if (read_list(w->o->files[i], &c) != 0) {
      candidates_free(&c);
      return -1;
    }
  double now = sc_now_ms();
  pthread_mutex_lock(&w->lock);
  for (struct sc_link *l = w->order.next; l != &w->order; l = l->next)
    SC_CONTAINER(l, struct entry, order)->listed = 0;
  for (size_t i = 0; i < c.n; i++) {
    struct candidate *k = &c.v[i];
    struct entry *e = find_key(w, k->label);
    if (!e) {
      add_entry(w, k, now);
    } else if (e->listed) {
      struct sc_buf shown = {0};
      add_masked(&shown, k->u.url);
      sc_warn("%s:%llu: %s is listed twice; watched once", k->file,
              (unsigned long long)k->lineno, shown.data);
      sc_buf_free(&shown);
    } else {
      e->listed = 1;
      if (strcmp(e->url, k->u.url) != 0) { /* only its password changed */
        free(e->url);
        e->url = k->u.url;
        k->u.url = NULL;
      }
    }
  }
  for (struct sc_link *l = w->order.next, *next; l != &w->order; l = next) {
    next = l->next;
    struct entry *e = SC_CONTAINER(l, struct entry, order);
    if (!e->listed) remove_entry(w, e);
  }
  long n = w->nentries;
  pthread_mutex_unlock(&w->lock);
  candidates_free(&c);
  if (w->sched) sc_sched_input_ready(w->sched);
  return n;
}

long sc_watch_count(struct sc_watch *w) {
  pthread_mutex_lock(&w->lock);
  long n = w->nentries;
  pthread_mutex_unlock(&w->lock);
  return n;
}

/* -------------------------------------------------------------- events */

int sc_watch_open_events(struct sc_watch *w) {
  const char *name = w->o->output;
  if (!name) return 0;
  int fd = STDOUT_FILENO;
  if (strcmp(name, "-") != 0) {
    fd = open(name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      sc_error("cannot write %s: %s", name, strerror(errno));
      return -1;
    }
  }
  pthread_mutex_lock(&w->out_lock);
  if (w->out_fd >= 0 && w->out_fd != STDOUT_FILENO) close(w->out_fd);
  w->out_fd = fd;
  w->out_error = 0;
  pthread_mutex_unlock(&w->out_lock);
  return 0;
}

/* The time now as ISO 8601 UTC ("2025-03-01T12:00:00Z"). */
static void add_utc_now(struct sc_buf *b) {
  char t[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
  sc_buf_adds(b, t);
}

/* Formats a state change of the URL url (from -> to, because of r): the
 * stderr line into line, the JSON line of -o into json. */
static void format_change(struct sc_buf *line, struct sc_buf *json,
                          const char *url, enum state from, enum state to,
                          const struct sc_result *r) {
  struct sc_buf masked = {0}, detail = {0};
  const char *cls = sc_class_name((enum sc_class)r->a.cls);
  sc_redact_url(url, strlen(url), 0, &masked);
  if (r->a.detail[0])
    sc_redact_url(r->a.detail, strlen(r->a.detail), SC_REDACT_TEXT, &detail);
  add_utc_now(line);
  sc_buf_addc(line, ' ');
  add_shown(line, masked.data, masked.len);
  sc_buf_printf(line, ": %s -> %s: ", state_names[from], state_names[to]);
  if (cls)
    sc_buf_adds(line, cls);
  else
    sc_buf_printf(line, "%d", r->a.status);
  if (detail.len) {
    sc_buf_adds(line, " (");
    add_shown(line, detail.data, detail.len);
    sc_buf_addc(line, ')');
  }
  sc_buf_addc(line, '\n');

  sc_buf_adds(json, "{\"time\":\"");
  add_utc_now(json);
  sc_buf_adds(json, "\",\"url\":");
  sc_json_str(json, masked.data, masked.len);
  sc_buf_printf(json,
                ",\"from\":\"%s\",\"to\":\"%s\",\"status\":", state_names[from],
                state_names[to]);
  if (cls)
    sc_buf_adds(json, "null,\"error\":");
  else
    sc_buf_printf(json, "%d,\"error\":null", r->a.status);
  if (cls) sc_json_str(json, cls, strlen(cls));
  sc_buf_adds(json, ",\"detail\":");
  if (detail.len)
    sc_json_str(json, detail.data, detail.len);
  else
    sc_buf_adds(json, "null");
  sc_buf_printf(json, ",\"time_ms\":%.1f}\n", r->a.time_ms);
  sc_buf_free(&masked);
  sc_buf_free(&detail);
}

/* Writes a change: line to stderr (unless -q), json to -o. */
static void emit_change(struct sc_watch *w, const struct sc_buf *line,
                        const struct sc_buf *json) {
  if (!w->o->quiet) fwrite(line->data, 1, line->len, stderr);
  pthread_mutex_lock(&w->out_lock);
  if (w->out_fd >= 0) {
    const char *p = json->data;
    size_t n = json->len;
    while (n) {
      ssize_t k = write(w->out_fd, p, n);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        if (!w->out_error)
          sc_error("error writing events to %s: %s", w->o->output,
                   strerror(k < 0 ? errno : EIO));
        w->out_error = 1;
        break;
      }
      p += k;
      n -= (size_t)k;
    }
    if (!n) w->out_error = 0;
  }
  pthread_mutex_unlock(&w->out_lock);
}

/* -------------------------------------------------------------- source */

/* A job for entry e (the source's next). */
static void entry_job(const struct entry *e, struct sc_job *job) {
  memset(job, 0, sizeof *job);
  job->line = sc_xstrdup(e->url);
  job->len = strlen(e->url);
  job->lineno = e->id;
  job->url = sc_xstrdup(e->url);
  job->host = sc_xstrdup(e->host);
  job->port = e->port;
  job->ip_literal = e->ip_literal;
  job->cls = SC_OK;
}

/* The source's next: a queued probe, else the first due URL that is not
 * still being checked (a due one that is, skips its round). */
static int watch_next(struct sc_source *src, struct sc_job *job, int wait) {
  struct sc_watch *w = (struct sc_watch *)src;
  (void)wait;
  if (atomic_load(&sc_stop)) return 0;
  pthread_mutex_lock(&w->lock);
  int got = -1;
  if (!sc_link_empty(&w->probes_queued)) {
    struct probe *p = SC_CONTAINER(w->probes_queued.next, struct probe, link);
    sc_link_del(&p->link);
    sc_link_add_tail(&w->probes_running, &p->link);
    *job = p->job;
    memset(&p->job, 0, sizeof p->job);
    got = 1;
  }
  double now = sc_now_ms(), every = (double)w->o->every_ms;
  while (got < 0 && w->nheap && w->heap[0]->due <= now) {
    struct entry *e = w->heap[0];
    double due = e->due;
    /* Rounds missed altogether (the scheduler did not ask in time). */
    double missed = floor((now - due) / every);
    if (missed > 0) {
      w->skipped += (uint64_t)missed;
      due += missed * every;
    }
    e->due = due + every;
    heap_down(w, 0);
    if (e->in_flight) {
      w->skipped++;
      continue;
    }
    e->in_flight = 1;
    e->started_due = due;
    entry_job(e, job);
    got = 1;
  }
  if (got > 0) {
    w->outstanding++;
    w->taken++;
  }
  pthread_mutex_unlock(&w->lock);
  return got;
}

static long watch_idle_ms(struct sc_source *src) {
  struct sc_watch *w = (struct sc_watch *)src;
  pthread_mutex_lock(&w->lock);
  long ms = IDLE_EMPTY_MS;
  if (!sc_link_empty(&w->probes_queued)) {
    ms = 0;
  } else if (w->nheap) {
    double left = w->heap[0]->due - sc_now_ms();
    ms = left <= 0 ? 0 : (long)ceil(left);
  }
  pthread_mutex_unlock(&w->lock);
  return ms;
}

static uint64_t watch_taken(struct sc_source *src) {
  struct sc_watch *w = (struct sc_watch *)src;
  pthread_mutex_lock(&w->lock);
  uint64_t n = w->taken;
  pthread_mutex_unlock(&w->lock);
  return n;
}

static int watch_eof(struct sc_source *src) {
  (void)src;
  return atomic_load(&sc_stop) != 0;
}

static int watch_close(struct sc_source *src) {
  (void)src;
  return 0;
}

struct sc_source *sc_watch_source(struct sc_watch *w) {
  return &w->src;
}

void sc_watch_set_sched(struct sc_watch *w, struct sc_sched *s) {
  w->sched = s;
}

/* -------------------------------------------------------------- results */

/* Outcome index of r (see OUTCOMES). */
static int outcome_of(const struct sc_result *r) {
  if (r->a.cls != SC_OK) return 5 + r->a.cls;
  int k = r->a.status / 100 - 1;
  return k < 0 ? 0 : k > 4 ? 4 : k;
}

/* Counts a result of e (up or not) towards its state. When the state
 * changes, says from what to what and returns 1 if that change is to be
 * reported (any change but a first state of up); else returns 0. */
static int judge(const struct sc_watch *w, struct entry *e, int up,
                 enum state *from, enum state *to) {
  enum state now = up ? UP : DOWN;
  long need = w->o->down_after;
  if (e->state == now) {
    e->streak = 0;
    return 0;
  }
  if (e->state == UNKNOWN) {
    if (e->leaning != now) e->leaning = now, e->streak = 0;
  }
  if (++e->streak < need) return 0;
  *from = e->state;
  *to = now;
  e->state = now;
  e->streak = 0;
  e->leaning = UNKNOWN;
  return *from != UNKNOWN || now == DOWN;
}

/* A probe's result: its request is answered. */
static void probe_result(struct sc_watch *w, uint64_t id,
                         const struct sc_result *r) {
  struct probe *p = NULL;
  pthread_mutex_lock(&w->lock);
  w->outstanding--;
  w->outcomes[outcome_of(r)]++;
  sc_metric_hist_add(&w->check_time, r->a.time_ms / 1000.0);
  for (struct sc_link *l = w->probes_running.next; l != &w->probes_running;
       l = l->next)
    if (SC_CONTAINER(l, struct probe, link)->id == id) {
      p = SC_CONTAINER(l, struct probe, link);
      sc_link_del(&p->link);
      w->nprobes--;
      break;
    }
  pthread_mutex_unlock(&w->lock);
  if (!p) return; /* answered already: past its time, or closing */
  struct sc_probe v;
  sc_probe_from_result(&v, r);
  v.duration_s = (sc_now_ms() - p->t0) / 1000.0;
  p->done(p->arg, &v);
  free(p);
}

void sc_watch_on_result(void *arg, const struct sc_job *job,
                        const struct sc_result *res) {
  struct sc_watch *w = arg;
  /* Up means OK as --accept says, as for the check command's records. */
  struct sc_result ok_res = *res;
  const struct sc_result *r = &ok_res;
  ok_res.ok = sc_result_ok(w->o->accept, res);
  if (job->lineno & PROBE_BIT) {
    probe_result(w, job->lineno, r);
    return;
  }
  struct sc_buf line = {0}, json = {0};
  int report = 0;
  double now = sc_now_ms();
  pthread_mutex_lock(&w->lock);
  w->outstanding--;
  w->outcomes[outcome_of(r)]++;
  sc_metric_hist_add(&w->check_time, r->a.time_ms / 1000.0);
  struct entry *e = find_id(w, job->lineno);
  if (e && e->removed) {
    sc_ht_del(&w->ids, &e->by_id);
    entry_free(e);
    e = NULL;
  }
  if (e) {
    double delay = now - r->a.time_ms - e->started_due;
    sc_metric_hist_add(&w->start_delay, delay > 0 ? delay / 1000.0 : 0);
    e->in_flight = 0;
    e->have = 1;
    sc_probe_from_result(&e->last, r);
    enum state from, to;
    if (judge(w, e, sc_probe_up(r), &from, &to)) {
      w->changes++;
      report = 1;
      format_change(&line, &json, e->url, from, to, r);
    }
  }
  pthread_mutex_unlock(&w->lock);
  if (report) emit_change(w, &line, &json);
  sc_buf_free(&line);
  sc_buf_free(&json);
}

/* --------------------------------------------------------------- probes */

enum sc_probe_rc sc_watch_probe(
    struct sc_watch *w, const char *target, long timeout_ms,
    void (*done)(void *arg, const struct sc_probe *p), void *arg) {
  struct sc_url u;
  const char *why;
  if (sc_url_normalize(target, strlen(target), 0, &u, &why) != SC_OK)
    return SC_PROBE_BAD;
  char *label = make_label(u.url);
  enum sc_probe_rc rc = SC_PROBE_QUEUED;
  pthread_mutex_lock(&w->lock);
  struct entry *e = find_key(w, label);
  int allowed = (e && strcmp(e->url, u.url) == 0) ||
                (w->has_allow && regexec(&w->allow, u.url, 0, NULL, 0) == 0);
  if (!allowed)
    rc = SC_PROBE_FORBIDDEN;
  else if (w->closing || w->nprobes >= SC_PROBE_MAX)
    rc = SC_PROBE_BUSY;
  if (rc == SC_PROBE_QUEUED) {
    struct probe *p = sc_xcalloc(1, sizeof *p);
    p->id = PROBE_BIT | ++w->next_probe;
    p->t0 = sc_now_ms();
    p->deadline = p->t0 + (double)timeout_ms + PROBE_GRACE_MS;
    p->done = done;
    p->arg = arg;
    p->job.line = sc_xstrdup(u.url);
    p->job.len = strlen(u.url);
    p->job.lineno = p->id;
    p->job.url = u.url;
    p->job.host = u.host;
    p->job.port = u.port;
    p->job.ip_literal = u.ip_literal;
    p->job.timeout_ms =
        (int32_t)(timeout_ms < INT32_MAX ? timeout_ms : INT32_MAX);
    p->job.no_retry = 1;
    u.url = u.host = NULL;
    sc_link_add_tail(&w->probes_queued, &p->link);
    w->nprobes++;
  }
  pthread_mutex_unlock(&w->lock);
  free(label);
  free(u.url);
  free(u.host);
  if (rc == SC_PROBE_QUEUED && w->sched) sc_sched_input_ready(w->sched);
  return rc;
}

/* Answers probe p (already off the lists) as failed. */
static void probe_fail(struct probe *p) {
  struct sc_probe v;
  memset(&v, 0, sizeof v);
  v.duration_s = (sc_now_ms() - p->t0) / 1000.0;
  p->done(p->arg, &v);
  sc_job_clear(&p->job);
  free(p);
}

/* Takes every probe of list that is past its deadline (or all) off it,
 * into out[*n] (room for SC_PROBE_MAX: there are never more). */
static void take_probes(struct sc_watch *w, struct sc_link *list, double now,
                        int all, struct probe **out, int *n) {
  for (struct sc_link *l = list->next, *next; l != list; l = next) {
    next = l->next;
    struct probe *p = SC_CONTAINER(l, struct probe, link);
    if (!all && p->deadline > now) continue;
    sc_link_del(&p->link);
    out[(*n)++] = p;
    w->nprobes--;
  }
}

/* Answers the probes past their time, or all and refuses more. */
static void expire_probes(struct sc_watch *w, int all) {
  struct probe *out[SC_PROBE_MAX];
  int n = 0;
  pthread_mutex_lock(&w->lock);
  double now = sc_now_ms();
  if (all) w->closing = 1;
  take_probes(w, &w->probes_queued, now, all, out, &n);
  take_probes(w, &w->probes_running, now, all, out, &n);
  pthread_mutex_unlock(&w->lock);
  for (int i = 0; i < n; i++) probe_fail(out[i]);
}

void sc_watch_tick(struct sc_watch *w) {
  expire_probes(w, 0);
}

void sc_watch_close_probes(struct sc_watch *w) {
  expire_probes(w, 1);
}

/* --------------------------------------------------------------- render */

/* What the render copies of one URL under the lock. */
struct snap {
  struct sc_probe last;
  enum state state;
  size_t label_at; /* in the snapshot's text */
};

/* The process's own metrics, as Prometheus' client libraries name them. */
static void render_process(struct sc_buf *out, double started_wall) {
  struct rusage ru;
  long pages = 0, rss_pages = 0;
  getrusage(RUSAGE_SELF, &ru);
  double cpu =
      (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &rss_pages) != 2) rss_pages = 0;
    fclose(f);
  }
  sc_metric_family(out, "process_cpu_seconds_total", "counter",
                   "Total user and system CPU time spent in seconds.");
  sc_metric_sample(out, "process_cpu_seconds_total", "", cpu);
  sc_metric_family(out, "process_resident_memory_bytes", "gauge",
                   "Resident memory size in bytes.");
  sc_metric_sample(out, "process_resident_memory_bytes", "",
                   (double)rss_pages * (double)sysconf(_SC_PAGESIZE));
  sc_metric_family(out, "process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.");
  sc_metric_sample(out, "process_start_time_seconds", "", started_wall);
}

void sc_watch_render(struct sc_watch *w, struct sc_buf *out) {
  static const char *const outcome_names[OUTCOMES] = {"1xx",
                                                      "2xx",
                                                      "3xx",
                                                      "4xx",
                                                      "5xx",
                                                      "connect",
                                                      "dns",
                                                      "invalid_url",
                                                      "other",
                                                      "protocol",
                                                      "timeout",
                                                      "tls",
                                                      "too_many_redirects"};
  long waiting = w->sched ? sc_sched_waiting(w->sched) : 0;
  struct sc_buf labels = {0};
  pthread_mutex_lock(&w->lock);
  struct snap *snap = sc_xcalloc((size_t)w->nentries + 1, sizeof *snap);
  long n = 0, up_known = 0;
  for (struct sc_link *l = w->order.next; l != &w->order; l = l->next) {
    struct entry *e = SC_CONTAINER(l, struct entry, order);
    if (!e->have) continue;
    snap[n].last = e->last;
    snap[n].state = e->state;
    snap[n].label_at = labels.len;
    sc_buf_add(&labels, e->label, strlen(e->label) + 1);
    up_known += e->state != UNKNOWN;
    n++;
  }
  uint64_t outcomes[OUTCOMES];
  memcpy(outcomes, w->outcomes, sizeof outcomes);
  struct sc_metric_hist check_time = w->check_time, delay = w->start_delay;
  uint64_t skipped = w->skipped, changes = w->changes;
  long outstanding = w->outstanding, targets = w->nentries;
  long probes = w->nprobes;
  pthread_mutex_unlock(&w->lock);

  for (int f = 0; f < SC_PROBE_FAMILIES; f++) {
    size_t before = out->len;
    sc_probe_family_head(out, f);
    size_t head = out->len;
    for (long i = 0; i < n; i++)
      sc_probe_family_samples(out, f, labels.data + snap[i].label_at,
                              &snap[i].last);
    if (out->len == head) out->len = before;
  }
  if (up_known) {
    sc_metric_family(out, "sitecheck_watch_up", "gauge",
                     "Whether the URL is up (1) or down (0) after "
                     "--down-after results in a row");
    for (long i = 0; i < n; i++)
      if (snap[i].state != UNKNOWN)
        sc_metric_sample(out, "sitecheck_watch_up",
                         labels.data + snap[i].label_at, snap[i].state == UP);
  }
  sc_metric_family(out, "sitecheck_checks_total", "counter",
                   "Checks finished, by outcome: the final status class or "
                   "the failure class");
  for (int i = 0; i < OUTCOMES; i++) {
    char l[48];
    snprintf(l, sizeof l, "outcome=\"%s\"", outcome_names[i]);
    sc_metric_sample(out, "sitecheck_checks_total", l, (double)outcomes[i]);
  }
  sc_metric_hist_text(out, "sitecheck_check_duration_seconds",
                      "How long checks took, retries included", &check_time);
  long in_flight = outstanding - waiting;
  sc_metric_family(out, "sitecheck_checks_in_flight", "gauge",
                   "Checks running now");
  sc_metric_sample(out, "sitecheck_checks_in_flight", "",
                   (double)(in_flight > 0 ? in_flight : 0));
  sc_metric_family(out, "sitecheck_checks_waiting", "gauge",
                   "Checks due but waiting for a host slot or --rate");
  sc_metric_sample(out, "sitecheck_checks_waiting", "", (double)waiting);
  sc_metric_family(out, "sitecheck_watch_skipped_total", "counter",
                   "Rounds a URL was not checked in: its previous check was "
                   "still running, or the checks were all busy");
  sc_metric_sample(out, "sitecheck_watch_skipped_total", "", (double)skipped);
  sc_metric_family(out, "sitecheck_watch_state_changes_total", "counter",
                   "URLs that went down or came back up");
  sc_metric_sample(out, "sitecheck_watch_state_changes_total", "",
                   (double)changes);
  sc_metric_hist_text(out, "sitecheck_watch_start_delay_seconds",
                      "How long after its due time a check started", &delay);
  sc_metric_family(out, "sitecheck_probes_in_flight", "gauge",
                   "/probe requests waiting for their check");
  sc_metric_sample(out, "sitecheck_probes_in_flight", "", (double)probes);
  sc_metric_family(out, "sitecheck_watch_targets", "gauge", "URLs watched");
  sc_metric_sample(out, "sitecheck_watch_targets", "", (double)targets);
  render_process(out, w->started_wall);
  sc_buf_free(&labels);
  free(snap);
}

/* ------------------------------------------------------------ lifetime */

struct sc_watch *sc_watch_new(const struct sc_opts *o) {
  struct sc_watch *w = sc_xcalloc(1, sizeof *w);
  w->src.next = watch_next;
  w->src.taken = watch_taken;
  w->src.eof = watch_eof;
  w->src.close = watch_close;
  w->src.idle_ms = watch_idle_ms;
  w->src.wakes = 1;
  w->o = o;
  pthread_mutex_init(&w->lock, NULL);
  pthread_mutex_init(&w->out_lock, NULL);
  sc_ht_init(&w->keys);
  sc_ht_init(&w->ids);
  sc_link_init(&w->order);
  sc_link_init(&w->probes_queued);
  sc_link_init(&w->probes_running);
  w->out_fd = -1;
  w->t0 = sc_now_ms();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  w->started_wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  /* The expression must match a whole URL, not a part of it (an
   * unanchored "example.com" would let http://any/?example.com through).
   * It compiled alone already (opts.c, regex_ok). */
  if (o->probe_allow) {
    struct sc_buf re = {0};
    sc_buf_printf(&re, "^(%s)$", o->probe_allow);
    w->has_allow = regcomp(&w->allow, re.data, REG_EXTENDED | REG_NOSUB) == 0;
    sc_buf_free(&re);
  }
  return w;
}

void sc_watch_free(struct sc_watch *w) {
  if (!w) return;
  sc_watch_close_probes(w);
  for (size_t i = 0; i <= w->ids.mask; i++)
    for (struct sc_hnode *n = w->ids.b[i], *next; n; n = next) {
      next = n->next;
      entry_free(SC_CONTAINER(n, struct entry, by_id));
    }
  sc_ht_free(&w->keys);
  sc_ht_free(&w->ids);
  free(w->heap);
  if (w->has_allow) regfree(&w->allow);
  if (w->out_fd >= 0 && w->out_fd != STDOUT_FILENO) close(w->out_fd);
  pthread_mutex_destroy(&w->lock);
  pthread_mutex_destroy(&w->out_lock);
  free(w);
}
