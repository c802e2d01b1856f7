/* frontier.c - see frontier.h. */
#include "frontier.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "htab.h"
#include "list.h"
#include "msg.h"
#include "page.h"
#include "robots.h"
#include "run.h"
#include "url.h"
#include "util.h"

/* Why a link got no record (the summary's reasons, in its order). */
enum skip {
  SKIP_MAILTO,
  SKIP_TEL,
  SKIP_JAVASCRIPT,
  SKIP_DATA,
  SKIP_SCHEME,
  SKIP_RELATIVE,
  SKIP_EXCLUDED,
  SKIP_PRIVATE,
  SKIP_LOOPBACK,
  SKIP_ROBOTS,
  SKIP_MAX_URLS,
  SKIP_COUNT
};

static const char *const skip_names[SKIP_COUNT] = {
    "mailto",   "tel",     "javascript", "data",   "other scheme",   "relative",
    "excluded", "private", "loopback",   "robots", "past --max-urls"};

/* A place that links to a URL: a page (where is its entry's URL) or a
 * local document (where is its name). */
struct ref {
  const char *where;
  uint32_t line;
  uint32_t is_file;
};

#define FIRST_REFS 3

struct sc_refs {
  atomic_uint_fast64_t count;
  struct ref first[FIRST_REFS]; /* first[i] is set before count passes i */
};

/* Entry flags. */
#define E_SEED 1u     /* given on the command line: no referrer */
#define E_START 2u    /* the crawl's start page */
#define E_ROBOTS 4u   /* the frontier's own robots.txt job: no record */
#define E_FILE 8u     /* a file:// link of a local document: on disk */
#define E_INVALID 16u /* not a URL sitecheck can check (invalid_url) */
#define E_CRAWL 32u   /* found on a crawled page: may be read in turn */
#define E_OPENED 64u  /* its body was read */

/* One distinct URL. */
struct entry {
  struct sc_hnode h; /* in the seen-set, by url (first member) */
  struct sc_link q;  /* in the queue or the held list while waiting */
  struct sc_refs refs;
  uint32_t depth; /* links from the start page (crawl) */
  uint8_t mode;   /* enum sc_read_mode wanted */
  uint8_t flags;
  char url[]; /* the key: canonical, no fragment */
};

/* Queues of entries, first in first out, on the one list (list.h). */
static void fifo_push(struct sc_link *q, struct entry *e) {
  sc_link_add_tail(q, &e->q);
}

static void fifo_push_front(struct sc_link *q, struct entry *e) {
  sc_link_add_head(q, &e->q);
}

static struct entry *fifo_pop(struct sc_link *q) {
  struct sc_link *l = sc_link_first(q);
  if (!l) return NULL;
  sc_link_del(l);
  return SC_CONTAINER(l, struct entry, q);
}

/* A set of 64-bit hashes (never 0), open addressing: the ids of the
 * pages read and the fragment links seen, for --check-fragments. */
struct hset {
  uint64_t *v;
  size_t mask, n;
};

/* Adds h; returns 1 if it was not there. */
static int hset_add(struct hset *s, uint64_t h) {
  h |= 1;
  if (2 * (s->n + 1) > s->mask + 1) {
    size_t cap = s->mask ? 2 * (s->mask + 1) : 1024;
    uint64_t *t = sc_xcalloc(cap, sizeof *t);
    for (size_t i = 0; s->v && i <= s->mask; i++) {
      if (!s->v[i]) continue;
      size_t k = s->v[i] & (cap - 1);
      while (t[k]) k = (k + 1) & (cap - 1);
      t[k] = s->v[i];
    }
    free(s->v);
    s->v = t;
    s->mask = cap - 1;
  }
  size_t k = h & s->mask;
  for (; s->v[k]; k = (k + 1) & s->mask)
    if (s->v[k] == h) return 0;
  s->v[k] = h;
  s->n++;
  return 1;
}

static int hset_has(const struct hset *s, uint64_t h) {
  h |= 1;
  if (!s->v) return 0;
  for (size_t k = h & s->mask; s->v[k]; k = (k + 1) & s->mask)
    if (s->v[k] == h) return 1;
  return 0;
}

/* A link with a fragment (--check-fragments): target#frag, found at
 * where. */
struct frag {
  struct frag *next;
  const struct entry *target;
  const char *where;
  char name[];
};

/* A local document's name, kept for the referrers. */
struct doc {
  struct doc *next;
  char name[];
};

struct sc_frontier {
  struct sc_source src; /* first member: the frontier is a source */
  const struct sc_opts *o;
  struct sc_source *inner; /* the lists, handed out first */
  int inner_done;
  pthread_mutex_t lock;
  struct sc_htab seen;
  struct sc_link queue; /* entries to hand out, first found first */
  struct sc_link held;  /* in-scope entries waiting for robots.txt */
  uint64_t nseen;
  long pages_inflight; /* jobs handed out with read set, not done */
  long pages_started;  /* crawl pages handed out to read */
  long pages_read;     /* bodies read (any mode) */
  int pages_capped, urls_capped;
  uint64_t skipped[SKIP_COUNT];
  atomic_uint_fast64_t taken;
  atomic_int eof;
  /* The crawl: */
  int crawling;
  char *scope_origin; /* "scheme://host:port", lower-cased */
  char *scope_dir;    /* the directory path, ending in '/' */
  int robots_state;   /* 0 not needed, 1 pending, 2 known */
  struct sc_robots *robots;
  struct entry *robots_entry;
  regex_t *inc, *exc;
  size_t ninc, nexc;
  struct doc *docs;
  struct hset ids;       /* hash(page, id) of every id on the pages read */
  struct hset frag_seen; /* hash(target, fragment) of the links in frags */
  struct frag *frags;    /* fragment links to check, newest first */
  uint64_t nfrags;
};

static int fr_next(struct sc_source *src, struct sc_job *job, int wait);
static uint64_t fr_taken(struct sc_source *src);
static int fr_eof(struct sc_source *src);
static int fr_close(struct sc_source *src);

size_t sc_frontier_entry_size(void) {
  return sizeof(struct entry) + sizeof(struct sc_hnode *);
}

static regex_t *compile_all(const struct curl_slist *l, size_t *n) {
  *n = 0;
  for (const struct curl_slist *p = l; p; p = p->next) (*n)++;
  if (!*n) return NULL;
  regex_t *v = sc_xcalloc(*n, sizeof *v);
  size_t i = 0;
  for (const struct curl_slist *p = l; p; p = p->next, i++)
    if (regcomp(&v[i], p->data, REG_EXTENDED | REG_NOSUB) != 0)
      regcomp(&v[i], "$^", REG_EXTENDED | REG_NOSUB); /* opts.c checked */
  return v;
}

struct sc_frontier *sc_frontier_new(const struct sc_opts *o,
                                    struct sc_source *inner) {
  struct sc_frontier *f = sc_xcalloc(1, sizeof *f);
  f->src.next = fr_next;
  f->src.taken = fr_taken;
  f->src.eof = fr_eof;
  f->src.close = fr_close;
  f->src.blocks = inner && inner->blocks;
  f->o = o;
  f->inner = inner;
  f->inner_done = !inner;
  pthread_mutex_init(&f->lock, NULL);
  sc_link_init(&f->queue);
  sc_link_init(&f->held);
  sc_ht_init(&f->seen);
  f->inc = compile_all(o->include, &f->ninc);
  f->exc = compile_all(o->exclude, &f->nexc);
  return f;
}

struct sc_source *sc_frontier_source(struct sc_frontier *f) {
  return &f->src;
}

/* --- deciding about a URL -------------------------------------------- */

/* --include / --exclude: excluded when an --exclude matches and no
 * --include does, or when there are --include patterns and none matches
 * (lychee's rule: an include wins). */
static int excluded(const struct sc_frontier *f, const char *url) {
  int exc = 0;
  for (size_t i = 0; i < f->ninc; i++)
    if (regexec(&f->inc[i], url, 0, NULL, 0) == 0) return 0;
  for (size_t i = 0; i < f->nexc && !exc; i++)
    exc = regexec(&f->exc[i], url, 0, NULL, 0) == 0;
  return exc || f->ninc > 0;
}

/* The skip reason for host (as curl_url prints it) under
 * --exclude-private and --exclude-loopback, or SKIP_COUNT. Names are not
 * looked up: an address is judged as written, and localhost (with
 * *.localhost, RFC 6761) is loopback. */
static enum skip address_skip(const struct sc_opts *o, const char *host) {
  unsigned char a[16];
  char buf[64];
  size_t n = strlen(host);
  if (n && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    if (inet_pton(AF_INET6, buf, a) == 1) {
      static const unsigned char lo[16] = {[15] = 1};
      if (memcmp(a, lo, 16) == 0)
        return o->exclude_loopback ? SKIP_LOOPBACK : SKIP_COUNT;
      if ((a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80))
        return o->exclude_private ? SKIP_PRIVATE : SKIP_COUNT;
    }
    return SKIP_COUNT;
  }
  if (inet_pton(AF_INET, host, a) == 1) {
    if (a[0] == 127) return o->exclude_loopback ? SKIP_LOOPBACK : SKIP_COUNT;
    if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xF0) == 16) ||
        (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254))
      return o->exclude_private ? SKIP_PRIVATE : SKIP_COUNT;
    return SKIP_COUNT;
  }
  if (o->exclude_loopback &&
      (strcasecmp(host, "localhost") == 0 ||
       (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0)))
    return SKIP_LOOPBACK;
  return SKIP_COUNT;
}

/* Splits url into "scheme://host:port" (default port spelled out) and
 * its path and query; 0, or -1 if curl_url cannot parse it. */
static int split_url(const char *url, char **origin, char **path) {
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL, *p = NULL, *q = NULL;
  int rc = -1;
  *origin = *path = NULL;
  if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PATH, &p, 0) == CURLUE_OK) {
    struct sc_buf b = {0};
    sc_buf_printf(&b, "%s://%s:%s", scheme, host, port);
    for (char *c = b.data; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    *origin = b.data;
    b = (struct sc_buf){0};
    sc_buf_adds(&b, p);
    if (curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK)
      sc_buf_printf(&b, "?%s", q);
    *path = b.data;
    rc = 0;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_free(p);
  curl_free(q);
  curl_url_cleanup(u);
  return rc;
}

/* Whether url is in the crawl's scope; *path gets its path (caller
 * frees) when it is. */
static int in_scope(const struct sc_frontier *f, const char *url, char **path) {
  char *origin;
  *path = NULL;
  if (!f->scope_origin || split_url(url, &origin, path) != 0) return 0;
  int in = strcmp(origin, f->scope_origin) == 0 &&
           strncmp(*path, f->scope_dir, strlen(f->scope_dir)) == 0;
  free(origin);
  if (!in) {
    free(*path);
    *path = NULL;
  }
  return in;
}

/* --- the seen-set ------------------------------------------------------ */

static struct entry *find(struct sc_frontier *f, const char *url,
                          uint64_t hash) {
  return SC_HT_FIND(&f->seen, hash, url, struct entry, h, url);
}

static void add_ref(struct entry *e, const char *where, uint64_t line,
                    int is_file) {
  uint64_t n = atomic_load(&e->refs.count);
  if (n < FIRST_REFS)
    e->refs.first[n] = (struct ref){where, (uint32_t)line, (uint32_t)is_file};
  atomic_store(&e->refs.count, n + 1);
}

static struct entry *entry_new(const char *url, int mode, unsigned flags,
                               uint32_t depth) {
  size_t n = strlen(url);
  struct entry *e = sc_xcalloc(1, sizeof *e + n + 1);
  memcpy(e->url, url, n + 1);
  e->mode = (uint8_t)mode;
  e->flags = (uint8_t)flags;
  e->depth = depth;
  return e;
}

/* Adds url (a key) found at where:line, or a seed (where NULL). Returns
 * the entry, or NULL past --max-urls. Lock held. */
static struct entry *add_url(struct sc_frontier *f, const char *url, int mode,
                             unsigned flags, uint32_t depth, const char *where,
                             uint64_t line, int is_file) {
  uint64_t hash = sc_hash_str(0, url);
  struct entry *e = find(f, url, hash);
  if (!e) {
    if (f->nseen >= (uint64_t)f->o->max_urls) {
      f->urls_capped = 1;
      f->skipped[SKIP_MAX_URLS]++;
      return NULL;
    }
    e = entry_new(url, mode, flags, depth);
    e->h.hash = hash;
    sc_ht_add(&f->seen, &e->h);
    f->nseen++;
    fifo_push(&f->queue, e);
  } else if (depth < e->depth) {
    e->depth = depth;
  }
  if (where) add_ref(e, where, line, is_file);
  return e;
}

void sc_frontier_seed(struct sc_frontier *f, const char *url, int mode) {
  struct sc_url u;
  const char *why;
  unsigned flags = E_SEED | (mode == SC_READ_PAGE ? E_START : 0);
  pthread_mutex_lock(&f->lock);
  if (mode == SC_READ_PAGE) f->crawling = 1;
  enum sc_class cls = sc_url_normalize(url, strlen(url), 0, &u, &why);
  if (cls == SC_OK) {
    add_url(f, u.url, mode, flags, 0, NULL, 0, 0);
    free(u.url);
    free(u.host);
  } else { /* decided when handed out (make_job): invalid_url, dns */
    add_url(f, url, mode, flags | (cls == SC_INVALID_URL ? E_INVALID : 0), 0,
            NULL, 0, 0);
  }
  pthread_mutex_unlock(&f->lock);
}

/* Remembers that where links to target#name, once per pair, within
 * --max-urls pairs. Lock held. */
static void add_fragment(struct sc_frontier *f, const struct entry *target,
                         const char *name, const char *where) {
  if (f->nfrags >= (uint64_t)f->o->max_urls ||
      !hset_add(&f->frag_seen, sc_hash_str(target->h.hash, name)))
    return;
  size_t n = strlen(name);
  struct frag *g = sc_xmalloc(sizeof *g + n + 1);
  memcpy(g->name, name, n + 1);
  g->target = target;
  g->where = where;
  g->next = f->frags;
  f->frags = g;
  f->nfrags++;
}

/* A link found in a document: at where:line (is_file: a local document,
 * whose file:// links are looked up on disk), depth links from the start
 * page, crawl: found on a crawled page. Lock held. */
static void add_link(struct sc_frontier *f, const struct sc_doc_link *l,
                     const char *where, int is_file, uint32_t depth,
                     int crawl) {
  unsigned flags = crawl ? E_CRAWL : 0;
  if (l->flags & SC_LINK_FRAGMENT_ONLY) {
    /* Only a fragment of a URL this document already linked to. */
    struct sc_url u;
    const char *why;
    if (l->skip == SC_LINK_OK && f->o->check_fragments && f->crawling &&
        sc_url_normalize(l->url, strlen(l->url), 0, &u, &why) == SC_OK) {
      struct entry *e = find(f, u.url, sc_hash_str(0, u.url));
      if (e) add_fragment(f, e, l->fragment, where);
      free(u.url);
      free(u.host);
    }
    return;
  }
  int mode = (l->flags & SC_LINK_CHILD_SITEMAP) ? SC_READ_ANY : SC_READ_NONE;
  switch (l->skip) {
    case SC_LINK_OK:
      break;
    case SC_LINK_SCHEME:
      if (is_file && strncasecmp(l->url, "file:", 5) == 0) {
        add_url(f, l->url, SC_READ_NONE, E_FILE, depth, where, l->line, 1);
        return;
      }
      f->skipped[SKIP_SCHEME]++;
      return;
    case SC_LINK_MAILTO:
      f->skipped[SKIP_MAILTO]++;
      return;
    case SC_LINK_TEL:
      f->skipped[SKIP_TEL]++;
      return;
    case SC_LINK_JAVASCRIPT:
      f->skipped[SKIP_JAVASCRIPT]++;
      return;
    case SC_LINK_DATA:
      f->skipped[SKIP_DATA]++;
      return;
    case SC_LINK_RELATIVE:
      f->skipped[SKIP_RELATIVE]++;
      return;
    default: /* unparsable, too long: a broken link, worth a record */
      add_url(f, l->url, SC_READ_NONE, E_INVALID, depth, where, l->line,
              is_file);
      return;
  }
  if ((f->ninc || f->nexc) && excluded(f, l->url)) {
    f->skipped[SKIP_EXCLUDED]++;
    return;
  }
  if (f->o->exclude_private || f->o->exclude_loopback) {
    char *host = NULL;
    CURLU *u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, l->url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
      enum skip s = address_skip(f->o, host);
      curl_free(host);
      curl_url_cleanup(u);
      if (s != SKIP_COUNT) {
        f->skipped[s]++;
        return;
      }
    } else {
      curl_url_cleanup(u);
    }
  }
  /* The key is the URL as a list line would be checked: the punycode
   * host, curl_url's canonical form. */
  struct sc_url u;
  const char *why;
  enum sc_class cls = sc_url_normalize(l->url, strlen(l->url), 0, &u, &why);
  if (cls == SC_OK) {
    struct entry *e =
        add_url(f, u.url, mode, flags, depth, where, l->line, is_file);
    if (e && l->fragment && f->o->check_fragments && f->crawling)
      add_fragment(f, e, l->fragment, where);
    free(u.url);
    free(u.host);
  } else {
    add_url(f, l->url, SC_READ_NONE, cls == SC_INVALID_URL ? E_INVALID : 0,
            depth, where, l->line, is_file);
  }
}

void sc_frontier_link(struct sc_frontier *f, const struct sc_job *page,
                      const struct sc_doc_link *l) {
  struct entry *p = page->entry;
  if (!p) return;
  pthread_mutex_lock(&f->lock);
  add_link(f, l, p->url, 0, p->depth + 1, page->read == SC_READ_PAGE);
  pthread_mutex_unlock(&f->lock);
}

void sc_frontier_anchor(struct sc_frontier *f, const struct sc_job *page,
                        const char *id) {
  struct entry *p = page->entry;
  if (!p || !f->o->check_fragments) return;
  pthread_mutex_lock(&f->lock);
  hset_add(&f->ids, sc_hash_str(p->h.hash, id));
  pthread_mutex_unlock(&f->lock);
}

/* --- local documents --------------------------------------------------- */

struct local {
  struct sc_frontier *f;
  const char *name;
};

static void local_link(void *arg, const struct sc_doc_link *l) {
  struct local *lc = arg;
  pthread_mutex_lock(&lc->f->lock);
  add_link(lc->f, l, lc->name, !lc->f->o->base, 1, 0);
  pthread_mutex_unlock(&lc->f->lock);
}

/* The file:// URL of path (absolute), as curl_url spells it. */
static char *file_url(const char *path) {
  char real[PATH_MAX];
  if (!realpath(path, real)) return NULL;
  CURLU *u = curl_url();
  char *s = NULL, *out = NULL;
  if (u && curl_url_set(u, CURLUPART_SCHEME, "file", 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_PATH, real, CURLU_URLENCODE) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
    out = sc_xstrdup(s);
  curl_free(s);
  curl_url_cleanup(u);
  return out;
}

int sc_frontier_read_file(struct sc_frontier *f, const char *path, int kind) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    sc_error("cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  size_t n = strlen(path);
  struct doc *d = sc_xmalloc(sizeof *d + n + 1);
  memcpy(d->name, path, n + 1);
  d->next = f->docs;
  f->docs = d;
  struct local lc = {f, d->name};
  static const struct sc_page_out out = {local_link, NULL, NULL};
  char *base = f->o->base ? sc_xstrdup(f->o->base) : file_url(path);
  struct sc_page *p = sc_page_open(SC_READ_ANY, kind, base, NULL,
                                   (size_t)f->o->max_page_size, &out, &lc);
  char buf[65536], why[160];
  ssize_t k;
  int rc = 0;
  while ((k = read(fd, buf, sizeof buf)) != 0) {
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      sc_error("error reading %s: %s", path, strerror(errno));
      rc = -1;
      break;
    }
    if (sc_page_feed(p, buf, (size_t)k) != 0) break;
  }
  sc_page_close(p, rc == 0, why, sizeof why);
  if (why[0]) sc_warn("%s: %s", path, why);
  free(base);
  close(fd);
  return rc;
}

/* --- handing out jobs -------------------------------------------------- */

/* A decided job for e (no network): an invalid URL, or a local file. */
static void decide(struct entry *e, struct sc_job *job) {
  job->url = NULL;
  if (e->flags & E_INVALID) {
    job->cls = SC_INVALID_URL;
    job->why = "not an http(s) URL sitecheck can check";
    return;
  }
  char *path = NULL;
  struct stat st;
  CURLU *u = curl_url();
  job->cls = SC_MISSING_FILE;
  job->why = "no such file";
  if (u &&
      curl_url_set(u, CURLUPART_URL, e->url, CURLU_NON_SUPPORT_SCHEME) ==
          CURLUE_OK &&
      curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK &&
      stat(path, &st) == 0) {
    job->cls = SC_OK; /* found: no status */
    job->status = 0;
    job->why = NULL;
  }
  curl_free(path);
  curl_url_cleanup(u);
}

/* What e's job reads, deciding for a crawled URL; SKIP_COUNT when it is
 * handed out, SKIP_ROBOTS when robots.txt forbids it, or -1 when it must
 * wait for robots.txt. Lock held. */
static int plan(struct sc_frontier *f, struct entry *e) {
  if (e->flags & E_START) f->pages_started++;
  if (!(e->flags & E_CRAWL)) return SKIP_COUNT; /* e->mode stands */
  e->mode = SC_READ_NONE;
  char *path;
  if (!in_scope(f, e->url, &path)) return SKIP_COUNT;
  int rc = SKIP_COUNT;
  if (f->robots_state == 1) {
    rc = -1;
  } else if (f->robots && !sc_robots_allowed(f->robots, path)) {
    rc = SKIP_ROBOTS;
  } else if (f->o->depth >= 0 && e->depth > (uint32_t)f->o->depth) {
    /* checked, not read */
  } else if (f->pages_started >= f->o->max_pages) {
    f->pages_capped = 1;
  } else {
    e->mode = SC_READ_PAGE;
    f->pages_started++;
  }
  free(path);
  return rc;
}

/* Fills job from e. Lock held. */
static void make_job(struct sc_frontier *f, struct entry *e,
                     struct sc_job *job) {
  memset(job, 0, sizeof *job);
  job->len = strlen(e->url);
  job->line = sc_xstrndup(e->url, job->len);
  job->lineno = atomic_load(&e->refs.count) ? e->refs.first[0].line : 1;
  if (!job->lineno) job->lineno = 1;
  job->entry = e;
  if (e->flags & (E_INVALID | E_FILE)) {
    decide(e, job);
    return;
  }
  struct sc_url u;
  enum sc_class cls = sc_url_normalize(job->line, job->len, 0, &u, &job->why);
  if (cls != SC_OK) {
    job->cls = (int16_t)cls;
    return;
  }
  job->url = u.url;
  job->host = u.host;
  job->port = u.port;
  job->ip_literal = u.ip_literal;
  job->cls = SC_OK;
  job->read = e->mode;
  if (job->read) f->pages_inflight++;
}

static int fr_next(struct sc_source *src, struct sc_job *job, int wait) {
  struct sc_frontier *f = (struct sc_frontier *)src;
  memset(job, 0, sizeof *job);
  if (atomic_load(&sc_stop)) return 0;
  if (!f->inner_done) {
    int r = f->inner->next(f->inner, job, wait);
    if (r != 0) return r;
    f->inner_done = 1;
  }
  pthread_mutex_lock(&f->lock);
  for (struct entry *e; (e = fifo_pop(&f->queue));) {
    int p = plan(f, e);
    if (p < 0) {
      fifo_push(&f->held, e);
      continue;
    }
    if (p != SKIP_COUNT) {
      f->skipped[p]++;
      continue;
    }
    make_job(f, e, job);
    atomic_fetch_add(&f->taken, 1);
    pthread_mutex_unlock(&f->lock);
    return 1;
  }
  int more = f->pages_inflight > 0;
  if (!more) atomic_store(&f->eof, 1);
  pthread_mutex_unlock(&f->lock);
  return more ? -1 : 0;
}

static uint64_t fr_taken(struct sc_source *src) {
  struct sc_frontier *f = (struct sc_frontier *)src;
  return atomic_load(&f->taken) + (f->inner ? f->inner->taken(f->inner) : 0);
}

static int fr_eof(struct sc_source *src) {
  return atomic_load(&((struct sc_frontier *)src)->eof);
}

static int fr_close(struct sc_source *src) {
  struct sc_frontier *f = (struct sc_frontier *)src;
  int err = f->inner ? f->inner->close(f->inner) : 0;
  f->inner = NULL;
  return err;
}

/* --- pages ------------------------------------------------------------ */

void sc_frontier_opened(struct sc_frontier *f, const struct sc_job *page,
                        const char *final_url) {
  struct entry *e = page->entry;
  if (!e) return;
  pthread_mutex_lock(&f->lock);
  e->flags |= E_OPENED;
  if (!(e->flags & E_ROBOTS)) f->pages_read++;
  if ((e->flags & E_START) && !f->scope_origin) {
    char *path;
    if (split_url(final_url, &f->scope_origin, &path) == 0) {
      char *slash = strrchr(path, '/');
      f->scope_dir = sc_xstrndup(path, slash ? (size_t)(slash - path) + 1 : 0);
      free(path);
      if (!f->o->ignore_robots) {
        /* robots.txt before any other page: held ones wait for it. */
        struct sc_buf b = {0};
        sc_buf_printf(&b, "%s/robots.txt", f->scope_origin);
        struct entry *r = entry_new(b.data, SC_READ_ROBOTS, E_ROBOTS, 0);
        sc_buf_free(&b);
        f->robots_entry = r;
        f->robots_state = 1;
        fifo_push_front(&f->queue, r);
      }
    }
  }
  pthread_mutex_unlock(&f->lock);
}

void sc_frontier_robots(struct sc_frontier *f, const struct sc_job *job,
                        const char *text, size_t n) {
  struct entry *e = job->entry;
  if (!e || !(e->flags & E_ROBOTS)) return;
  struct sc_robots *r = sc_robots_parse(text, n, "sitecheck");
  pthread_mutex_lock(&f->lock);
  sc_robots_free(f->robots);
  f->robots = r;
  pthread_mutex_unlock(&f->lock);
}

/* robots.txt is known: the held entries go back to the queue, first. */
static void robots_known(struct sc_frontier *f, const struct sc_result *r) {
  if (!f->robots) {
    /* RFC 9309 2.3.1: unavailable (4xx) allows everything; unreachable
     * (5xx, no answer) allows nothing. */
    int missing =
        r && r->a.cls == SC_OK && r->a.status >= 400 && r->a.status < 500;
    if (!missing && r && r->a.cls == SC_OK && r->a.status >= 200 &&
        r->a.status < 300)
      missing = 1; /* read as empty */
    f->robots = sc_robots_all(missing);
    if (!missing)
      sc_warn("%s could not be read (%s): no page of the site is read",
              f->robots_entry->url,
              r && r->a.cls != SC_OK ? sc_class_name((enum sc_class)r->a.cls)
                                     : "server error");
  }
  f->robots_state = 2;
  for (struct entry *e; (e = fifo_pop(&f->held));) fifo_push(&f->queue, e);
}

int sc_frontier_done(struct sc_frontier *f, const struct sc_job *job,
                     struct sc_result *r, char *buf, size_t cap) {
  struct entry *e = job->entry;
  if (!e) return 1;
  pthread_mutex_lock(&f->lock);
  if (job->read) f->pages_inflight--;
  if (e->flags & E_ROBOTS) {
    robots_known(f, r);
    pthread_mutex_unlock(&f->lock);
    return 0;
  }
  pthread_mutex_unlock(&f->lock);
  if (!r) return 0;
  r->linked = 1;
  r->refs = &e->refs;
  r->referrers = atomic_load(&e->refs.count);
  if (r->referrers) {
    const struct ref *first = &e->refs.first[0];
    if (first->is_file) {
      snprintf(buf, cap, "%s:%u", first->where, first->line);
      r->source = buf;
    } else {
      r->source = first->where;
    }
  }
  return 1;
}

/* One summary line on stderr, unless -q. */
static void say(const struct sc_frontier *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct sc_frontier *f, const char *fmt, ...) {
  if (f->o->quiet) return;
  struct sc_buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  sc_buf_reserve(&b, (size_t)n + 2);
  va_start(ap, fmt);
  vsnprintf(b.data, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b.len = (size_t)n;
  sc_buf_addc(&b, '\n');
  fwrite(b.data, 1, b.len, stderr);
  sc_buf_free(&b);
}

void sc_frontier_summary(struct sc_frontier *f) {
  uint64_t total = 0;
  for (int i = 0; i < SKIP_COUNT; i++) total += f->skipped[i];
  if (f->pages_read)
    say(f, "read %ld page%s", f->pages_read, f->pages_read == 1 ? "" : "s");
  if (total) {
    struct sc_buf b = {0};
    sc_buf_printf(&b, "skipped %llu link%s:", (unsigned long long)total,
                  total == 1 ? "" : "s");
    const char *sep = " ";
    for (int i = 0; i < SKIP_COUNT; i++) {
      if (!f->skipped[i]) continue;
      sc_buf_printf(&b, "%s%llu %s", sep, (unsigned long long)f->skipped[i],
                    skip_names[i]);
      sep = ", ";
    }
    say(f, "%s", b.data);
    sc_buf_free(&b);
  }
  /* --check-fragments: targets on the pages read, in the crawl's scope
   * (a page read is in it), oldest link first. */
  struct frag *rev = NULL;
  for (struct frag *g = f->frags, *next; g; g = next) {
    next = g->next;
    g->next = rev;
    rev = g;
  }
  f->frags = rev;
  uint64_t missing = 0, checked = 0;
  for (const struct frag *g = f->frags; g; g = g->next) {
    if (!(g->target->flags & E_OPENED)) continue; /* not read */
    checked++;
    if (hset_has(&f->ids, sc_hash_str(g->target->h.hash, g->name))) continue;
    missing++;
    say(f, "fragment not found: %s#%s (linked from %s)", g->target->url,
        g->name, g->where);
  }
  if (checked)
    say(f, "checked %llu fragment%s: %llu not found",
        (unsigned long long)checked, checked == 1 ? "" : "s",
        (unsigned long long)missing);
  if (f->urls_capped)
    say(f, "stopped discovering at --max-urls %ld distinct URLs",
        f->o->max_urls);
  if (f->pages_capped)
    say(f, "stopped reading pages at --max-pages %ld", f->o->max_pages);
}

void sc_frontier_free(struct sc_frontier *f) {
  if (!f) return;
  for (size_t i = 0; i <= f->seen.mask && f->seen.b; i++)
    for (struct sc_hnode *n = f->seen.b[i], *next; n; n = next) {
      next = n->next;
      free(n);
    }
  sc_ht_free(&f->seen);
  free(f->robots_entry); /* not in the seen-set */
  for (struct frag *g = f->frags, *next; g; g = next) {
    next = g->next;
    free(g);
  }
  free(f->ids.v);
  free(f->frag_seen.v);
  for (struct doc *d = f->docs, *next; d; d = next) {
    next = d->next;
    free(d);
  }
  for (size_t i = 0; i < f->ninc; i++) regfree(&f->inc[i]);
  for (size_t i = 0; i < f->nexc; i++) regfree(&f->exc[i]);
  free(f->inc);
  free(f->exc);
  sc_robots_free(f->robots);
  free(f->scope_origin);
  free(f->scope_dir);
  pthread_mutex_destroy(&f->lock);
  free(f);
}

uint64_t sc_refs_count(const struct sc_refs *refs) {
  return refs ? atomic_load(&((struct sc_refs *)refs)->count) : 0;
}

int sc_refs_get(const struct sc_refs *refs, unsigned i, const char **where,
                uint64_t *line, int *is_file) {
  if (!refs || i >= FIRST_REFS || i >= sc_refs_count(refs)) return 0;
  *where = refs->first[i].where;
  *line = refs->first[i].line;
  *is_file = (int)refs->first[i].is_file;
  return 1;
}
