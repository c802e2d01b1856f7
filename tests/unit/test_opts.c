/* test_opts.c - the table-driven command line: defaults, ranges, enums,
 * repeatable options, the messages about bad values, the checks across
 * options, and the generated --help. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "run.h"
#include "util.h"
#include "unit.h"

/* The most arguments one parse() takes. */
#define MAX_ARGS 16

/* Parses "sitecheck" + the arguments in ap (up to a NULL) into *o, which
 * the caller frees with sc_opts_free. An error's message goes to err
 * (emptied first). The arguments are literals, so they outlive o. */
static int vparse(struct sc_opts *o, struct sc_buf *err, va_list ap) {
  static char *argv[MAX_ARGS + 2];
  int argc = 0;
  argv[argc++] = "sitecheck";
  for (char *a; argc <= MAX_ARGS && (a = va_arg(ap, char *));) argv[argc++] = a;
  argv[argc] = NULL;
  sc_buf_free(err);
  sc_buf_adds(err, ""); /* err->data is a string even without an error */
  return sc_opts_read(o, argc, argv, err);
}

static int parse(struct sc_opts *o, struct sc_buf *err, ...) {
  va_list ap;
  va_start(ap, err);
  int rc = vparse(o, err, ap);
  va_end(ap);
  return rc;
}

/* The usage message of the arguments (up to a NULL) in msg, or NULL if
 * they parse (or fail otherwise). */
static const char *message_of(struct sc_buf *msg, ...) {
  struct sc_opts o;
  va_list ap;
  va_start(ap, msg);
  int rc = vparse(&o, msg, ap);
  va_end(ap);
  sc_opts_free(&o);
  return rc == SC_EXIT_USAGE ? msg->data : NULL;
}

#define MESSAGE_OF(...) message_of(&msg, __VA_ARGS__, (char *)NULL)

TEST(opts_defaults) {
  struct sc_opts o;
  struct sc_buf err = {0};
  EXPECT_EQ(parse(&o, &err, (char *)NULL), 0);
  EXPECT_EQ(o.timeout_ms, 10000);
  EXPECT_EQ(o.connect_timeout_ms, 0);
  EXPECT_EQ(o.check_timeout_ms, 0);
  EXPECT_EQ(o.follow, 1);
  EXPECT_EQ(o.max_redirects, 10);
  EXPECT_EQ(o.location_trusted, 0);
  EXPECT_EQ(o.head, 0);
  EXPECT_EQ(o.retries, 1);
  EXPECT_EQ(o.max_retry_wait_ms, 30000);
  EXPECT_EQ(o.per_host, 8);
  EXPECT(o.rate == 0 && o.host_rate == 0);
  EXPECT_EQ(o.use_cares, 1);
  EXPECT_EQ(o.family, 0);
  EXPECT_EQ(o.progress, -1);
  EXPECT_EQ(o.quiet, 0);
  EXPECT_EQ(o.format, SC_FORMAT_JSONL);
  EXPECT_EQ(o.model, SC_MODEL_EVENT);
  EXPECT_EQ(o.concurrency, 256);
  EXPECT_EQ(o.loops, 0);
  EXPECT_EQ(o.reuse, 1);
  EXPECT_STR(o.user_agent, "sitecheck/" SC_VERSION);
  EXPECT(o.output == NULL && o.proxy == NULL && o.cacert == NULL);
  EXPECT(o.headers == NULL && o.resolve == NULL && !o.failon.any);
  EXPECT_EQ(o.nfiles, 1);
  EXPECT_STR(o.files[0], "-");
  sc_opts_free(&o);
  sc_buf_free(&err);
}

TEST(opts_values_and_files) {
  struct sc_opts o;
  struct sc_buf err = {0};
  EXPECT_EQ(parse(&o, &err, "-c", "7", "--timeout=2.5", "--connect-timeout",
                  "0.25", "--no-follow", "-k", "-6", "--dedup",
                  "--max-retry-wait", "0", "--check-timeout", "1.5",
                  "--location-trusted", "a.txt", "b.txt", (char *)NULL),
            0);
  EXPECT_EQ(o.concurrency, 7);
  EXPECT_EQ(o.timeout_ms, 2500);
  EXPECT_EQ(o.connect_timeout_ms, 250);
  EXPECT_EQ(o.follow, 0);
  EXPECT_EQ(o.insecure, 1);
  EXPECT_EQ(o.family, 6);
  EXPECT_EQ(o.dedup, 1);
  EXPECT_EQ(o.max_retry_wait_ms, 0);
  EXPECT_EQ(o.check_timeout_ms, 1500);
  EXPECT_EQ(o.location_trusted, 1);
  EXPECT_EQ(o.nfiles, 2);
  EXPECT_STR(o.files[1], "b.txt");
  sc_opts_free(&o);
  /* Abbreviated long options, as getopt_long allows. */
  EXPECT_EQ(parse(&o, &err, "--conc", "9", "--max-red", "0", (char *)NULL), 0);
  EXPECT_EQ(o.concurrency, 9);
  EXPECT_EQ(o.max_redirects, 0);
  sc_opts_free(&o);
  /* The last of two flags on one field wins. */
  EXPECT_EQ(parse(&o, &err, "--progress", "--no-progress", (char *)NULL), 0);
  EXPECT_EQ(o.progress, 0);
  sc_opts_free(&o);
  sc_buf_free(&err);
}

TEST(opts_ranges) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  EXPECT_EQ(
      parse(&o, &msg, "-c", "1000000", "--retries", "100", "--max-redirects",
            "1000", "--per-host", "0", "--loops", "256", (char *)NULL),
      0);
  EXPECT_EQ(o.concurrency, 1000000);
  EXPECT_EQ(o.retries, 100);
  EXPECT_EQ(o.max_redirects, 1000);
  EXPECT_EQ(o.per_host, 0);
  EXPECT_EQ(o.loops, 256);
  sc_opts_free(&o);
  EXPECT_STR(MESSAGE_OF("-c", "0"),
             "-c needs a whole number from 1 to 1000000, not '0'");
  EXPECT_STR(MESSAGE_OF("--concurrency", "1000001"),
             "-c needs a whole number from 1 to 1000000, not '1000001'");
  EXPECT_STR(MESSAGE_OF("-c", "+5"),
             "-c needs a whole number from 1 to 1000000, not '+5'");
  EXPECT_STR(MESSAGE_OF("--retries=101"),
             "--retries needs a whole number from 0 to 100, not '101'");
  EXPECT_STR(MESSAGE_OF("--max-redirects", "many"),
             "--max-redirects needs a whole number from 0 to 1000, not "
             "'many'");
  EXPECT_STR(MESSAGE_OF("--per-host=-1"),
             "--per-host needs a whole number (0 = no limit), not '-1'");
  EXPECT_STR(MESSAGE_OF("--loops", "0"),
             "--loops needs auto or a whole number from 1 to 256, not '0'");
  EXPECT_STR(MESSAGE_OF("-t", "0.0001"),
             "-t needs a positive number of seconds, not '0.0001'");
  EXPECT_STR(MESSAGE_OF("--connect-timeout", "x"),
             "--connect-timeout needs a positive number of seconds, not 'x'");
  EXPECT_STR(MESSAGE_OF("--max-retry-wait=-2"),
             "--max-retry-wait needs a number of seconds, not '-2'");
  EXPECT_STR(MESSAGE_OF("--host-rate", "0"),
             "--host-rate needs a positive number of checks per second, not "
             "'0'");
  sc_buf_free(&msg);
}

TEST(opts_rates) {
  struct sc_opts o;
  struct sc_buf err = {0};
  EXPECT_EQ(
      parse(&o, &err, "--rate", "2.5", "--host-rate", "0.5", (char *)NULL), 0);
  EXPECT(o.rate == 2.5);
  EXPECT(o.host_rate == 0.5);
  sc_opts_free(&o);
  sc_buf_free(&err);
}

TEST(opts_enums) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  EXPECT_EQ(parse(&o, &msg, "-X", "head", "--format", "csv", "-m", "process",
                  "--resolver", "curl", (char *)NULL),
            0);
  EXPECT_EQ(o.head, 1); /* -X alone matches in any case */
  EXPECT_EQ(o.format, SC_FORMAT_CSV);
  EXPECT_EQ(o.model, SC_MODEL_PROCESS);
  EXPECT_EQ(o.use_cares, 0);
  sc_opts_free(&o);
  EXPECT_STR(MESSAGE_OF("-X", "POST"), "-X takes GET or HEAD, not 'POST'");
  EXPECT_STR(MESSAGE_OF("--format", "CSV"),
             "--format takes jsonl or csv, not 'CSV'");
  EXPECT_STR(MESSAGE_OF("--model=fibers"),
             "-m takes event, thread, process or serial, not 'fibers'");
  EXPECT_STR(MESSAGE_OF("--resolver", "bogus"),
             "--resolver takes cares or curl, not 'bogus'");
  EXPECT_STR(sc_model_name(SC_MODEL_SERIAL), "serial");
  sc_buf_free(&msg);
}

TEST(opts_repeatable) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  EXPECT_EQ(parse(&o, &msg, "-H", "X-A: 1", "--header=X-B;", "--resolve",
                  "a:80:127.0.0.1", "-H", "X-C: 3", "--resolve",
                  "b:443:127.0.0.2", (char *)NULL),
            0);
  EXPECT_STR(o.headers->data, "X-A: 1");
  EXPECT_STR(o.headers->next->data, "X-B;");
  EXPECT_STR(o.headers->next->next->data, "X-C: 3");
  EXPECT(o.headers->next->next->next == NULL);
  EXPECT_STR(o.resolve->data, "a:80:127.0.0.1");
  EXPECT_STR(o.resolve->next->data, "b:443:127.0.0.2");
  sc_opts_free(&o);
  EXPECT(o.headers == NULL && o.resolve == NULL);
  EXPECT_STR(MESSAGE_OF("-H", "X-A: 1", "-H", "nocolon"),
             "-H needs 'Name: value', not 'nocolon'");
  EXPECT_STR(MESSAGE_OF("--resolve", "a:1"),
             "--resolve needs HOST:PORT:ADDR, not 'a:1'");
  sc_buf_free(&msg);
}

TEST(opts_strings_files_and_fail_on) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  EXPECT_EQ(parse(&o, &msg, "-A", "", "-o", "-", "--cacert", "/dev/null", "-x",
                  "http://127.0.0.1:1", "--fail-on", "404,5xx", (char *)NULL),
            0);
  EXPECT_STR(o.user_agent, ""); /* an empty User-Agent is allowed */
  EXPECT_STR(o.output, "-");
  EXPECT_STR(o.cacert, "/dev/null");
  EXPECT_STR(o.proxy, "http://127.0.0.1:1");
  EXPECT(o.failon.any && o.failon.codes[404] && o.failon.codes[503]);
  EXPECT(!o.failon.codes[200]);
  sc_opts_free(&o);
  EXPECT_STR(MESSAGE_OF("-o", ""), "-o needs a file name");
  EXPECT_STR(MESSAGE_OF("-x", ""), "-x needs a proxy URL");
  EXPECT_STR(MESSAGE_OF("--dns-servers", ""),
             "--dns-servers needs ADDR[:PORT],...");
  EXPECT_STR(MESSAGE_OF("--cacert", "/nonexistent/ca.pem"),
             "cannot read --cacert file '/nonexistent/ca.pem'");
  EXPECT_STR(MESSAGE_OF("--fail-on", "404,nope"),
             "unknown --fail-on item 'nope' (use codes like 404, classes "
             "like 5xx, ranges like 500-599, failure classes, 'error' or "
             "'not-ok')");
  sc_buf_free(&msg);
}

TEST(opts_getopt_errors) {
  struct sc_buf msg = {0};
  EXPECT_STR(MESSAGE_OF("--no-such-option"),
             "unknown option '--no-such-option'");
  EXPECT_STR(MESSAGE_OF("-Z"), "unknown option '-Z'");
  EXPECT_STR(MESSAGE_OF("--no-follow=1"), "unknown option '--no-follow=1'");
  EXPECT_STR(MESSAGE_OF("--pro"), "unknown option '--pro'"); /* ambiguous */
  EXPECT_STR(MESSAGE_OF("-c"), "option '-c' needs a value");
  EXPECT_STR(MESSAGE_OF("--timeout"), "option '--timeout' needs a value");
  /* A parse after an error mid-bundle starts afresh. */
  EXPECT_STR(MESSAGE_OF("-qc"), "option '-qc' needs a value");
  EXPECT(MESSAGE_OF("-c", "3") == NULL);
  sc_buf_free(&msg);
}

TEST(opts_cross_checks) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  EXPECT_STR(MESSAGE_OF("-m", "thread", "--loops", "2"),
             "--loops applies to the event model only (-m thread)");
  EXPECT_STR(MESSAGE_OF("--loops", "2", "-m", "process"),
             "--loops applies to the event model only (-m process)");
  EXPECT(MESSAGE_OF("-m", "thread", "--loops", "1") == NULL);
  EXPECT(MESSAGE_OF("-m", "thread", "--loops", "auto") == NULL);
  EXPECT_STR(MESSAGE_OF("--dns-servers", "127.0.0.1:53", "--resolver", "curl"),
             "--dns-servers needs the c-ares resolver, not --resolver curl");
  EXPECT_STR(MESSAGE_OF("-m", "serial", "-c", "2"),
             "-m serial checks one URL at a time; -c above 1 cannot apply");
  /* The derived values: -c by model, connection reuse by limits. */
  static const struct {
    const char *model;
    long concurrency;
  } by_model[] = {
      {"event", 256}, {"thread", 128}, {"process", 3}, {"serial", 1}};
  for (size_t i = 0; i < sizeof by_model / sizeof *by_model; i++) {
    EXPECT_EQ(parse(&o, &msg, "-m", by_model[i].model, (char *)NULL), 0);
    EXPECT_EQ(o.concurrency, by_model[i].concurrency);
    sc_opts_free(&o);
  }
  EXPECT_EQ(parse(&o, &msg, "--per-host", "257", (char *)NULL), 0);
  EXPECT_EQ(o.reuse, 0);
  sc_opts_free(&o);
  EXPECT_EQ(parse(&o, &msg, "--per-host", "0", "-c", "1024", (char *)NULL), 0);
  EXPECT_EQ(o.reuse, 1);
  sc_opts_free(&o);
  EXPECT_EQ(parse(&o, &msg, "--per-host", "0", "-c", "1025", (char *)NULL), 0);
  EXPECT_EQ(o.reuse, 0);
  sc_opts_free(&o);
  sc_buf_free(&msg);
}

TEST(opts_help_and_version) {
  struct sc_opts o;
  struct sc_buf msg = {0};
  EXPECT_EQ(parse(&o, &msg, "-q", "--help", "-c", "0", (char *)NULL),
            SC_OPTS_HELP);
  sc_opts_free(&o);
  EXPECT_EQ(parse(&o, &msg, "-V", (char *)NULL), SC_OPTS_VERSION);
  sc_opts_free(&o);
  /* A bad option before -h is reported, as getopt reaches it first. */
  EXPECT_EQ(parse(&o, &msg, "-c", "0", "-h", (char *)NULL), SC_EXIT_USAGE);
  sc_opts_free(&o);
  sc_buf_free(&msg);
}

/* A copy of s with each run of blanks and newlines made one space. */
static char *flatten(const char *s) {
  char *out = sc_xmalloc(strlen(s) + 1), *o = out;
  for (; *s; s++)
    if (*s != ' ' && *s != '\n')
      *o++ = *s;
    else if (o > out && o[-1] != ' ')
      *o++ = ' ';
  *o = '\0';
  return out;
}

/* The entry of the option whose label (names and value) starts with
 * label: its first line and the indented ones after it, flattened; "" if
 * there is none. The caller frees it. */
static char *help_entry(const char *help, const char *label) {
  struct sc_buf e = {0};
  sc_buf_adds(&e, "");
  for (const char *l = help; *l;) {
    size_t n = strcspn(l, "\n"), indent = strspn(l, " ");
    if (e.len && indent <= 6) break; /* the next option or topic */
    if (e.len || (indent && strncmp(l + indent, label, strlen(label)) == 0))
      sc_buf_add(&e, l, n + 1);
    l += n + (l[n] == '\n');
  }
  char *flat = flatten(e.data);
  sc_buf_free(&e);
  return flat;
}

/* Row label's help entry contains want. */
#define EXPECT_ENTRY(help, label, want)     \
  do {                                      \
    char *e_ = help_entry((help), (label)); \
    EXPECT_CONTAINS(e_, (want));            \
    free(e_);                               \
  } while (0)

TEST(opts_help_text) {
  struct sc_buf h = {0};
  sc_opts_help(&h);
  /* Wrapped to 80 columns. */
  for (const char *l = h.data; *l;) {
    size_t n = strcspn(l, "\n");
    if (n > 80)
      unit_fail(__FILE__, __LINE__, "help line of %zu: %.*s", n, (int)n, l);
    l += n + (l[n] == '\n');
  }
  /* The topics, in order, each with an option of its own under it. */
  static const char *const order[][2] = {
      {"\nChecking:\n", "  -t, --timeout SEC"},
      {"\nPoliteness:\n", "      --per-host N"},
      {"\nNetwork:\n", "      --resolver cares|curl"},
      {"\nOutput:\n", "  -o, --output FILE"},
      {"\nModels:\n", "  -m, --model event|thread|process|serial"},
      {"\nGeneral:\n", "  -h, --help"}};
  const char *at = h.data;
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    const char *t = strstr(at, order[i][0]);
    EXPECT(t != NULL);
    if (!t) break;
    const char *next = i + 1 < sizeof order / sizeof *order
                           ? strstr(t, order[i + 1][0])
                           : h.data + h.len;
    const char *opt = strstr(t, order[i][1]);
    EXPECT(opt != NULL && next != NULL && opt < next);
    at = t + 1;
  }
  /* Defaults are those the parser applies. */
  EXPECT_ENTRY(h.data, "-t, --timeout SEC",
               "redirects and name lookups included (default 10)");
  EXPECT_ENTRY(h.data, "--check-timeout SEC", "(default: no limit)");
  EXPECT_ENTRY(h.data, "--max-redirects N", "(default 10)");
  EXPECT_ENTRY(h.data, "--retries N", "(default 1)");
  EXPECT_ENTRY(h.data, "--max-retry-wait SEC", "(default 30)");
  EXPECT_ENTRY(h.data, "--per-host N", "(default 8)");
  EXPECT_ENTRY(h.data, "-X, --method GET|HEAD", "(default GET)");
  EXPECT_ENTRY(h.data, "--format jsonl|csv", "(default jsonl)");
  EXPECT_ENTRY(h.data, "--resolver cares|curl", "(default cares)");
  EXPECT_ENTRY(h.data, "--loops N|auto", "(default auto)");
  EXPECT_ENTRY(h.data, "-A, --user-agent STR",
               "(default sitecheck/" SC_VERSION ")");
  EXPECT_ENTRY(h.data, "-H, --header 'N: V'", "(repeatable)");
  EXPECT_ENTRY(h.data, "--resolve H:P:ADDR", "(repeatable)");
  /* -c's default, in words, is what each model gets. */
  char *flat = flatten(h.data);
  EXPECT_CONTAINS(flat,
                  "(default: event 256, thread 128, process 3, serial 1)");
  for (enum sc_model m = SC_MODEL_EVENT; m <= SC_MODEL_SERIAL; m++) {
    struct sc_opts o;
    struct sc_buf err = {0}, want = {0};
    EXPECT_EQ(parse(&o, &err, "-m", sc_model_name(m), (char *)NULL), 0);
    sc_buf_printf(&want, "%s %ld", sc_model_name(m), o.concurrency);
    EXPECT_CONTAINS(flat, want.data);
    sc_opts_free(&o);
    sc_buf_free(&err);
    sc_buf_free(&want);
  }
  free(flat);
  /* A short-only option and a long-only one, each aligned. */
  EXPECT_CONTAINS(h.data, "\n  -4                      IPv4 addresses only\n");
  EXPECT_CONTAINS(h.data, "\n      --no-follow         report 3xx");
  /* A label too wide for the column puts its text on the next line. */
  EXPECT_CONTAINS(h.data,
                  "\n      --connect-timeout SEC\n"
                  "                          time limit of name lookup");
  sc_buf_free(&h);
}
