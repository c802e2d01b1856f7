/* report_main.c - `sitecheck report`: JSON Lines records in (read with
 * jansson), one HTML report out. Input is streamed a line at a time into
 * the accumulator, so memory does not grow with the number of records.
 * A line that is not a JSON object with a "url" string is skipped and
 * counted; one warning per file says how many. */
#include "report_main.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "run.h"
#include "util.h"

#define LINE_LIMIT (1 << 20) /* a longer line is not a record */

static const char usage[] =
    "usage: sitecheck report [-q] [--title TEXT] -o FILE.html RECORDS...\n"
    "Reads the JSON Lines records of `sitecheck -o` (- for stdin) and\n"
    "writes one self-contained HTML report (-o - for stdout).\n";

/* Reads one line of f into line (without the newline), keeping at most
 * LINE_LIMIT bytes and skipping the rest (*long_line set). Returns 1, 0 at
 * the end of the input, -1 on a read error. */
static int read_line(FILE *f, struct sc_buf *line, int *long_line) {
  char chunk[65536];
  line->len = 0;
  *long_line = 0;
  int any = 0;
  while (fgets(chunk, sizeof chunk, f)) {
    size_t n = strlen(chunk); /* a NUL byte makes the line not JSON */
    any = 1;
    int end = n > 0 && chunk[n - 1] == '\n';
    if (end) n--;
    if (line->len + n > LINE_LIMIT)
      *long_line = 1;
    else
      sc_buf_add(line, chunk, n);
    if (end) break;
  }
  if (ferror(f)) return -1;
  sc_buf_reserve(line, 1);
  line->data[line->len] = '\0';
  return any;
}

static const char *get_str(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static double get_num(json_t *o, const char *key, double absent) {
  json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : absent;
}

/* A number in [min, max], or absent: a value out of range (say a
 * hostile 1e300) must not reach a cast. */
static double get_range(json_t *o, const char *key, double absent, double min,
                        double max) {
  double v = get_num(o, key, absent);
  return v >= min && v <= max ? v : absent;
}

/* The chain array [{"url": U, "status": S}, ...] as struct sc_result has
 * it: "S U\n" per response (a newline inside U becomes a space). */
static void chain_text(json_t *arr, struct sc_buf *out) {
  size_t i;
  json_t *hop;
  json_array_foreach(arr, i, hop) {
    const char *u = get_str(hop, "url");
    if (!u) continue;
    sc_buf_printf(out, "%d ", (int)get_range(hop, "status", 0, 0, 999));
    size_t start = out->len;
    sc_buf_add(out, u, json_string_length(json_object_get(hop, "url")));
    for (size_t j = start; j < out->len; j++)
      if (out->data[j] == '\n' || out->data[j] == '\0') out->data[j] = ' ';
    sc_buf_addc(out, '\n');
  }
  sc_buf_addc(out, '\0');
}

/* An ISO 8601 UTC time ("2026-01-02T03:04:05Z") as Unix time, or 0. */
static int64_t iso_time(const char *s) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  if (!end) return 0;
  return (int64_t)timegm(&tm);
}

/* Where the record's URL was found: a link's when it has a "referrers"
 * count (then "source" is its first place, null for an argument) or a
 * "source"; also when "referrers" lists the places themselves (their
 * first stands for a missing source); else a list's line when it names
 * its "input"; else not known. */
static void where_found(json_t *o, struct sc_report_rec *v) {
  json_t *refs = json_object_get(o, "referrers");
  if (v->source || json_is_number(refs) || json_is_string(refs) ||
      json_is_array(refs))
    v->linked = 1;
  else
    v->linked = v->input ? 0 : -1;
  if (json_is_number(refs)) {
    v->referrers = (uint64_t)get_range(o, "referrers", 0, 0, 1e18);
  } else if (json_is_string(refs)) {
    if (!v->source) v->source = json_string_value(refs);
    v->referrers = 1;
  } else if (json_is_array(refs)) {
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) if (!v->source && json_is_string(r))
        v->source = json_string_value(r);
    v->referrers = json_array_size(refs);
  }
}

/* Fills v from record o; returns -1 when o is not a record. chain holds
 * the chain's text for as long as v is used. */
static int to_rec(json_t *o, struct sc_report_rec *v, struct sc_buf *chain) {
  json_t *url = json_object_get(o, "url");
  if (!json_is_object(o) || !json_is_string(url)) return -1;
  sc_report_rec_init(v);
  v->url = json_string_value(url);
  v->url_len = json_string_length(url);
  v->line = (uint64_t)get_range(o, "line", 0, 0, 1e18);
  v->status = (int)get_range(o, "status", 0, 0, 1e9);
  v->error = get_str(o, "error");
  json_t *ok = json_object_get(o, "ok");
  if (json_is_boolean(ok)) v->ok = json_is_true(ok);
  v->detail = get_str(o, "detail");
  v->time_ms = get_range(o, "time_ms", -1, 0, 1e12);
  v->redirects = (int64_t)get_range(o, "redirects", -1, 0, 1e18);
  v->attempts = (int)get_range(o, "attempts", -1, 0, 1e9);
  json_t *ch = json_object_get(o, "chain");
  if (json_is_array(ch) && json_array_size(ch) > 0) {
    chain->len = 0;
    chain_text(ch, chain);
    v->chain = chain->data;
  }
  json_t *exp = json_object_get(o, "cert_expiry");
  v->cert_expiry = json_is_string(exp)
                       ? iso_time(json_string_value(exp))
                       : (int64_t)get_range(o, "cert_expiry", 0, 0, 1e15);
  v->cert_days_left =
      (int32_t)get_range(o, "cert_days_left", SC_NO_DAYS, -1e9, 1e9);
  v->dns_ms = get_range(o, "dns_ms", -1, 0, 1e12);
  v->connect_ms = get_range(o, "connect_ms", -1, 0, 1e12);
  v->tls_ms = get_range(o, "tls_ms", -1, 0, 1e12);
  v->ttfb_ms = get_range(o, "ttfb_ms", -1, 0, 1e12);
  v->duplicate_of = (uint64_t)get_range(o, "duplicate_of", 0, 0, 1e18);
  v->input = get_str(o, "input");
  v->tried_url = get_str(o, "tried_url");
  v->source = get_str(o, "source");
  v->start_ms = get_range(o, "start_ms", -1, 0, 1e12);
  v->worker = get_str(o, "worker");
  where_found(o, v);
  return 0;
}

int sc_report_read(struct sc_report *rep, FILE *f, const char *name,
                   int quiet) {
  struct sc_buf line = {0}, chain = {0};
  uint64_t lineno = 0, bad = 0, first_bad = 0;
  int long_line, rc = 0, got;
  while ((got = read_line(f, &line, &long_line)) == 1) {
    lineno++;
    if (line.len && line.data[line.len - 1] == '\r') line.data[--line.len] = 0;
    if (lineno == 1 && strncmp(line.data, "url,line,", 9) == 0) {
      fprintf(stderr,
              "sitecheck: %s: these are CSV records; the report reads JSON "
              "Lines (write them with -o and the default --format jsonl)\n",
              name);
      rc = -1;
      break;
    }
    const char *p = line.data;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p && !long_line) continue; /* blank lines are not records */
    json_t *o = long_line ? NULL : json_loadb(line.data, line.len, 0, NULL);
    struct sc_report_rec v;
    if (o && to_rec(o, &v, &chain) == 0) {
      sc_report_add(rep, &v);
    } else if (!bad++) {
      first_bad = lineno;
    }
    json_decref(o);
  }
  if (got < 0) {
    fprintf(stderr, "sitecheck: cannot read %s: %s\n", name, strerror(errno));
    rc = -1;
  }
  if (bad) {
    sc_report_skipped(rep, bad);
    if (!quiet)
      fprintf(stderr,
              "sitecheck: warning: %s: skipped %llu line%s that %s not a "
              "JSON record (the first: line %llu)\n",
              name, (unsigned long long)bad, bad == 1 ? "" : "s",
              bad == 1 ? "is" : "are", (unsigned long long)first_bad);
  }
  sc_buf_free(&line);
  sc_buf_free(&chain);
  return rc;
}

/* Writes the report to path ("-": stdout). Returns 0, or -1 after saying
 * why. */
static int write_report(struct sc_report *rep, const char *path) {
  if (sc_report_save(rep, path) == 0) return 0;
  if (strcmp(path, "-") == 0)
    fprintf(stderr, "sitecheck: cannot write the report: %s\n",
            strerror(errno));
  else
    fprintf(stderr, "sitecheck: cannot write %s: %s\n", path, strerror(errno));
  return -1;
}

int sc_report_main(int argc, char **argv) {
  const char *out = NULL, *title = NULL;
  int quiet = 0, nin = 0;
  const char **in = sc_xcalloc((size_t)argc + 1, sizeof *in);
  int opts_done = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
      in[nin++] = a;
    } else if (strcmp(a, "--") == 0) {
      opts_done = 1;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      free(in);
      return SC_EXIT_OK;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      quiet = 1;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                strcmp(a, "--title") == 0) &&
               i + 1 < argc) {
      *(a[2] == 't' ? &title : &out) = argv[++i];
    } else if (strncmp(a, "--output=", 9) == 0) {
      out = a + 9;
    } else if (strncmp(a, "--title=", 8) == 0) {
      title = a + 8;
    } else {
      fprintf(stderr, "sitecheck report: bad option %s\n%s", a, usage);
      free(in);
      return SC_EXIT_USAGE;
    }
  }
  if (!out || !*out || nin == 0) {
    fprintf(
        stderr, "sitecheck report: %s\n%s",
        !out || !*out ? "-o FILE.html is required" : "no records file given",
        usage);
    free(in);
    return SC_EXIT_USAGE;
  }
  /* Every input must open before anything is read or written. */
  FILE **files = sc_xcalloc((size_t)nin, sizeof *files);
  int rc = SC_EXIT_OK;
  for (int i = 0; i < nin && rc == SC_EXIT_OK; i++) {
    struct stat st;
    files[i] = strcmp(in[i], "-") == 0 ? stdin : fopen(in[i], "r");
    if (files[i] && fstat(fileno(files[i]), &st) == 0 && S_ISDIR(st.st_mode))
      errno = EISDIR;
    else if (files[i])
      continue;
    fprintf(stderr, "sitecheck: cannot read %s: %s\n", in[i], strerror(errno));
    rc = SC_EXIT_USAGE;
  }
  struct sc_buf sub = {0};
  sc_buf_adds(&sub, "records from ");
  for (int i = 0; i < nin && sub.len < 200; i++)
    sc_buf_printf(&sub, "%s%s", i ? ", " : "",
                  strcmp(in[i], "-") == 0 ? "standard input" : in[i]);
  if (sub.len >= 200) sc_buf_adds(&sub, ", \xE2\x80\xA6");
  struct sc_report_opts o = {.title = title, .subtitle = sub.data};
  struct sc_report *rep = sc_report_new(&o);
  /* One timeline per input: a file is one run. */
  for (int i = 0; i < nin && rc == SC_EXIT_OK; i++) {
    const char *name = strcmp(in[i], "-") == 0 ? "standard input" : in[i];
    sc_report_timeline(rep, &(struct sc_report_timeline){.label = name});
    if (sc_report_read(rep, files[i], name, quiet) != 0) rc = SC_EXIT_USAGE;
  }
  if (rc == SC_EXIT_OK && write_report(rep, out) != 0) rc = SC_EXIT_USAGE;
  for (int i = 0; i < nin; i++)
    if (files[i] && files[i] != stdin) fclose(files[i]);
  sc_report_free(rep);
  sc_buf_free(&sub);
  free(files);
  free(in);
  return rc;
}
