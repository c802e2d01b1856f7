/* run.c - see run.h. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dedup.h"
#include "feed.h"
#include "frontier.h"
#include "input_kind.h"
#include "job.h"
#include "msg.h"
#include "opts.h"
#include "page.h"
#include "result.h"
#include "scheduler.h"
#include "sink.h"
#include "util.h"

atomic_int sc_stop;

/* A repeat of a URL that was just answered (dedup.c): its record. */
static void complete_repeat(void *arg, struct sc_job *repeat) {
  struct sc_run *run = arg;
  struct sc_result r;
  sc_result_decided(&r, repeat);
  sc_sink_add(run->sink, &r);
}

/* Writes r (a copy the links source may annotate) unless it is the
 * frontier's own (robots.txt). */
static void record(struct sc_run *run, const struct sc_job *job,
                   const struct sc_result *r) {
  char source[SC_LINK_MAX + 32];
  struct sc_result mine;
  if (job->entry && run->frontier) {
    if (r) mine = *r;
    if (!sc_frontier_done(run->frontier, job, r ? &mine : NULL, source,
                          sizeof source) ||
        !r)
      return;
    r = &mine;
  }
  if (!r) return;
  if (run->on_result) {
    run->on_result(run->on_result_arg, job, r);
    return;
  }
  struct sc_result rel = *r; /* start_ms from the run's start */
  if (rel.a.start_ms >= 0) rel.a.start_ms -= run->t0;
  sc_sink_add(run->sink, &rel);
}

void sc_run_complete(struct sc_run *run, struct sc_job *job,
                     const struct sc_result *r) {
  struct sc_result decided;
  if (!job->url) {
    sc_result_decided(&decided, job);
    record(run, job, &decided);
    return;
  }
  record(run, job, r);
  if (r && run->dedup && !job->entry)
    sc_dedup_answer(run->dedup, job, r, complete_repeat, run);
  sc_sched_done(run->sched, job);
}

/* The scheduler's complete function: a decided job read by a take. */
static void complete_decided(void *arg, struct sc_job *job) {
  sc_run_complete(arg, job, NULL);
}

int sc_run_keep_connection(void *arg, const struct sc_job *job) {
  struct sc_run *run = arg;
  return sc_sched_keep_connection(run->sched, job);
}

/* --- pages read in this process (the body mode of check.h) ------------ */

/* One page being read: what the frontier needs of its job (a copy: the
 * job may be cleared before the page is closed, when a run stops). */
struct run_page {
  struct sc_run *run;
  struct sc_job job; /* entry and read only */
  struct sc_page *page;
  char *url;
};

static void page_link(void *arg, const struct sc_doc_link *l) {
  struct run_page *p = arg;
  sc_frontier_link(p->run->frontier, &p->job, l);
}

static void page_anchor(void *arg, const char *id) {
  struct run_page *p = arg;
  sc_frontier_anchor(p->run->frontier, &p->job, id);
}

static void page_text(void *arg, const char *text, size_t n) {
  struct run_page *p = arg;
  sc_frontier_robots(p->run->frontier, &p->job, text, n);
}

static const struct sc_page_out page_out = {page_link, page_anchor, page_text};
static const struct sc_page_out page_out_no_ids = {page_link, NULL, page_text};

static void *body_open(void *arg, const struct sc_job *job,
                       const char *final_url, const char *content_type) {
  struct sc_run *run = arg;
  if (!run->frontier || !job->entry || !sc_page_wanted(job->read, content_type))
    return NULL;
  struct run_page *p = sc_xcalloc(1, sizeof *p);
  p->run = run;
  p->job.entry = job->entry;
  p->job.read = job->read;
  p->url = sc_xstrdup(final_url);
  sc_frontier_opened(run->frontier, &p->job, final_url);
  p->page = sc_page_open(
      job->read, -1, final_url, content_type, (size_t)run->o->max_page_size,
      run->o->check_fragments && job->read == SC_READ_PAGE ? &page_out
                                                           : &page_out_no_ids,
      p);
  return p;
}

static int body_data(void *page, const void *data, size_t n) {
  struct run_page *p = page;
  return sc_page_feed(p->page, data, n);
}

static void body_close(void *page, int complete) {
  struct run_page *p = page;
  char why[160];
  sc_page_close(p->page, complete, why, sizeof why);
  if (why[0]) sc_warn("%s: %s", p->url, why);
  free(p->url);
  free(p);
}

const struct sc_body_ops sc_run_body_ops = {body_open, body_data, body_close};

void sc_run_page_opened(struct sc_run *run, const struct sc_job *job,
                        const char *final_url) {
  if (run->frontier) sc_frontier_opened(run->frontier, job, final_url);
}

void sc_run_page_link(struct sc_run *run, const struct sc_job *job,
                      const struct sc_doc_link *l) {
  if (run->frontier) sc_frontier_link(run->frontier, job, l);
}

void sc_run_page_anchor(struct sc_run *run, const struct sc_job *job,
                        const char *id) {
  if (run->frontier) sc_frontier_anchor(run->frontier, job, id);
}

void sc_run_page_text(struct sc_run *run, const struct sc_job *job,
                      const char *text, size_t n) {
  if (run->frontier) sc_frontier_robots(run->frontier, job, text, n);
}

/* --- the input --------------------------------------------------------- */

static int is_web_url(const char *s) {
  return strncasecmp(s, "http://", 7) == 0 ||
         strncasecmp(s, "https://", 8) == 0;
}

/* The kind of the existing file name (--input-format, else its content
 * and name), or -1 if it cannot be opened (errno set). */
static int file_kind(const struct sc_opts *o, const char *name) {
  unsigned char head[1024];
  int fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, head, sizeof head);
  close(fd);
  if (o->input_format >= 0) return o->input_format;
  return (int)sc_input_kind(name, head, n > 0 ? (size_t)n : 0);
}

/* What the input arguments are, sorted. */
struct inputs {
  char **lists; /* URL lists, for the feed */
  int nlists;
  const char **docs; /* local documents to read */
  int *kinds;
  int ndocs;
  const char **urls; /* URLs to check */
  int nurls;
};

static void inputs_free(struct inputs *in) {
  free(in->lists);
  free(in->docs);
  free(in->kinds);
  free(in->urls);
}

/* A local document (an argument or --links FILE): a list goes to the feed
 * unless forced_doc (--links reads a list's lines as links). Says on
 * stderr how a file that is not a list is read. */
static void add_file(struct inputs *in, const struct sc_opts *o,
                     const char *name, int kind, int forced_doc) {
  if (kind == SC_INPUT_LIST && !forced_doc) {
    in->lists[in->nlists++] = (char *)name;
    return;
  }
  if (!forced_doc && o->input_format < 0 && !o->quiet)
    fprintf(stderr,
            "sitecheck: %s is %s: checking its links "
            "(--input-format list reads it as a URL list)\n",
            name,
            kind == SC_INPUT_HTML       ? "an HTML page"
            : kind == SC_INPUT_MARKDOWN ? "a Markdown document"
                                        : "a sitemap");
  in->docs[in->ndocs] = name;
  in->kinds[in->ndocs++] = kind;
}

/* Sorts the arguments and --links into *in. Returns 0 or SC_EXIT_USAGE
 * after printing why. */
static int sort_inputs(const struct sc_opts *o, struct inputs *in) {
  size_t cap = (size_t)o->nfiles + 1;
  for (const struct curl_slist *l = o->links; l; l = l->next) cap++;
  in->lists = sc_xcalloc(cap, sizeof *in->lists);
  in->docs = sc_xcalloc(cap, sizeof *in->docs);
  in->kinds = sc_xcalloc(cap, sizeof *in->kinds);
  in->urls = sc_xcalloc(cap, sizeof *in->urls);
  for (int i = 0; i < o->nfiles; i++) {
    const char *name = o->files[i];
    struct stat st;
    if (strcmp(name, "-") == 0) {
      if (o->input_format > SC_INPUT_LIST)
        add_file(in, o, "/dev/stdin", o->input_format, 1);
      else
        in->lists[in->nlists++] = (char *)name;
      continue;
    }
    int err = 0;
    if (stat(name, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        sc_error("cannot read %s: %s", name, strerror(EISDIR));
        return SC_EXIT_USAGE;
      }
      int kind = file_kind(o, name);
      if (kind >= 0) {
        add_file(in, o, name, kind, 0);
        continue;
      }
      err = errno;
    } else {
      err = errno;
    }
    if (is_web_url(name)) {
      in->urls[in->nurls++] = name;
      continue;
    }
    if (err == ENOENT)
      sc_error(
          "cannot read %s: %s (nor is it an http:// or https:// URL to "
          "check)",
          name, strerror(err));
    else
      sc_error("cannot read %s: %s", name, strerror(err));
    return SC_EXIT_USAGE;
  }
  for (const struct curl_slist *l = o->links; l; l = l->next) {
    if (is_web_url(l->data) && access(l->data, F_OK) != 0) continue;
    int kind = file_kind(o, l->data);
    if (kind < 0) {
      sc_error("cannot read %s: %s", l->data, strerror(errno));
      return SC_EXIT_USAGE;
    }
    add_file(in, o, l->data, kind, 1);
  }
  return 0;
}

/* The checks are split evenly over the loops; the event engine sizes
 * each loop by it and the scheduler each lane. */
static void open_sched(struct sc_run *run) {
  int loops = run->loops;
  long concurrency = run->concurrency;
  run->lane_slots = sc_xcalloc((size_t)loops, sizeof *run->lane_slots);
  for (int i = 0; i < loops; i++)
    run->lane_slots[i] = concurrency / loops + (i < concurrency % loops);
  run->sched = sc_sched_new(run->o, run->source, run->lane_slots, loops,
                            complete_decided, run);
}

int sc_run_open(struct sc_run *run, const struct sc_opts *o, long concurrency,
                long fd_budget, int loops) {
  *run = (struct sc_run){.o = o,
                         .concurrency = concurrency,
                         .fd_budget = fd_budget,
                         .loops = loops,
                         .t0 = sc_now_ms()};
  struct inputs in = {0};
  if (sort_inputs(o, &in) != 0) {
    inputs_free(&in);
    return SC_EXIT_USAGE;
  }
  int links = in.ndocs || in.nurls || o->crawl;
  for (const struct curl_slist *l = o->links; l; l = l->next)
    if (is_web_url(l->data) && access(l->data, F_OK) != 0) links = 1;
  if (in.nlists || !links) {
    run->source = sc_feed_open_files(o, in.lists, in.nlists);
    if (!run->source) {
      inputs_free(&in);
      return SC_EXIT_USAGE;
    }
  }
  if (o->dedup && run->source) {
    run->dedup = sc_dedup_new(run->source);
    run->source = sc_dedup_source(run->dedup);
  }
  int rc = 0;
  if (links) {
    sc_extract_global_init();
    run->frontier = sc_frontier_new(o, run->source);
    run->source = sc_frontier_source(run->frontier);
    for (int i = 0; i < in.nurls; i++)
      sc_frontier_seed(run->frontier, in.urls[i], SC_READ_NONE);
    for (const struct curl_slist *l = o->links; l; l = l->next)
      if (is_web_url(l->data) && access(l->data, F_OK) != 0)
        sc_frontier_seed(run->frontier, l->data, SC_READ_ANY);
    if (o->crawl) sc_frontier_seed(run->frontier, o->crawl, SC_READ_PAGE);
    for (int i = 0; i < in.ndocs && !rc; i++)
      if (sc_frontier_read_file(run->frontier, in.docs[i], in.kinds[i]) != 0)
        rc = SC_EXIT_USAGE;
  }
  inputs_free(&in);
  if (!rc && !(run->sink = sc_sink_open(o))) rc = SC_EXIT_USAGE;
  if (rc) {
    run->source->close(run->source);
    sc_frontier_free(run->frontier);
    return rc;
  }
  open_sched(run);
  return 0;
}

int sc_run_open_source(struct sc_run *run, const struct sc_opts *o,
                       struct sc_source *src,
                       void (*on_result)(void *arg, const struct sc_job *job,
                                         const struct sc_result *r),
                       void *arg, long concurrency, long fd_budget, int loops) {
  *run = (struct sc_run){.o = o,
                         .source = src,
                         .concurrency = concurrency,
                         .fd_budget = fd_budget,
                         .loops = loops,
                         .t0 = sc_now_ms(),
                         .on_result = on_result,
                         .on_result_arg = arg};
  open_sched(run);
  return 0;
}

int sc_run_close(struct sc_run *run, double elapsed_ms, int failed) {
  sc_sched_free(run->sched);
  int read_error = run->source->close(run->source); /* dedup's too */
  int rc = run->sink ? sc_sink_close(run->sink, elapsed_ms) : SC_EXIT_OK;
  if (run->frontier) sc_frontier_summary(run->frontier);
  sc_frontier_free(run->frontier); /* after the sink: records point to it */
  free(run->lane_slots);
  int sig = atomic_load(&sc_stop);
  if (sig > 0) return 128 + sig;
  if (failed) return SC_EXIT_INTERNAL;
  if (read_error && rc == SC_EXIT_OK) return SC_EXIT_USAGE;
  return rc;
}
