/* opts.c - the command line as one table (see opts.h).
 *
 * Each option is one row of `table` below: its names, what its value is
 * (the kind), where it goes in struct sc_opts, its default, its topic and
 * its help text. From that table come the parsing (one function per
 * kind), getopt_long's option arrays, the messages about bad values and
 * the --help text, so they cannot drift apart. What involves more than one
 * option is checked once, in cross_check(), after the whole command line
 * is read. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "input_kind.h"
#include "msg.h"
#include "pins.h"
#include "record.h"
#include "redact.h"
#include "run.h"
#include "util.h"

/* What an option's value is: how it is parsed, stored and named. */
enum opt_kind {
  OPT_FLAG,    /* no value: stores .num in an int */
  OPT_LONG,    /* whole number in [.min, .max], a long */
  OPT_AUTO,    /* "auto" (stored as 0) or a whole number in [.min, .max] */
  OPT_SECONDS, /* decimal seconds, at least .min ms; a long of ms */
  OPT_RATE,    /* positive decimal, per second; a double */
  OPT_STRING,  /* a string (argv's own); .min 1: not empty; .valid */
  OPT_FILE,    /* the name of a readable file */
  OPT_ENUM,    /* one of .choices: stores its value in an int */
  OPT_LIST,    /* repeatable string (.valid): appended to a curl_slist */
  OPT_CUSTOM,  /* .set parses and stores */
  OPT_HELP,
  OPT_VERSION,
};

/* The groups of --help, in their order there. */
enum opt_topic {
  TOPIC_CHECKING,
  TOPIC_LINKS,
  TOPIC_POLITENESS,
  TOPIC_NETWORK,
  TOPIC_OUTPUT,
  TOPIC_MODELS,
  TOPIC_WATCH,
  TOPIC_GENERAL,
  TOPIC_COUNT
};

static const char *const topic_names[TOPIC_COUNT] = {
    "Checking", "Links and crawling", "Politeness", "Network", "Output",
    "Models",   "Watching",           "General"};

/* A row's .only: the one command it belongs to (0: every command). */
#define ONLY_CHECK (1 + SC_CMD_CHECK)
#define ONLY_WATCH (1 + SC_CMD_WATCH)

/* How a given option is written in the run's summary (sc_opts.given,
 * shown in the --report page): values that may hold a secret are not. */
enum opt_echo {
  ECHO_VALUE,  /* as given */
  ECHO_URL,    /* a URL: its password masked (redact.h) */
  ECHO_HEADER, /* "Name: value": the name, the value as *** */
  ECHO_MASKED, /* the value as *** (a header's whole value) */
};

/* One value of an OPT_ENUM option; a list ends with a NULL name. */
struct choice {
  const char *name;
  int value;
};

/* One option. Only the fields its kind uses are set. */
struct opt {
  const char *name;   /* long name without "--"; NULL: short only */
  char letter;        /* short name; 0: none */
  enum opt_kind kind; /* what the value is */
  enum opt_topic topic;
  size_t at;     /* offset of the struct sc_opts field: use AT() */
  long min, max; /* see enum opt_kind */
  int num, init; /* OPT_FLAG: value stored; the field's value unset */
  int nocase;    /* OPT_ENUM: choices match in any case */
  const struct choice *choices; /* OPT_ENUM */
  int (*valid)(const char *v);  /* OPT_STRING, OPT_LIST: 1 if v is good */
  int (*set)(struct sc_opts *o, const char *v, struct sc_buf *err);
  const char *need;     /* "-x needs NEED, not '...'"; NULL: from kind */
  const char *arg;      /* the value's name in --help; NULL: from kind */
  const char *def;      /* default, as the option would take it: applied
                           before argv and shown in --help */
  const char *def_text; /* default shown in --help where def cannot say */
  enum opt_echo echo;   /* how the run's summary writes the value */
  const char *help;
  int only;               /* ONLY_CHECK, ONLY_WATCH, or 0: every command */
  const char *help_watch; /* the help text in `watch --help`, if another */
};

/* .at for field f of struct sc_opts, which must have type T: a field of
 * another type fails to compile instead of being written with the wrong
 * width. The kinds store: int (FLAG, ENUM), long (LONG, AUTO, SECONDS),
 * double (RATE), const char * (STRING, FILE), struct curl_slist * (LIST). */
/* NOLINTBEGIN(bugprone-macro-parentheses): T is a type name in _Generic */
#define AT(f, T)                      \
  .at = offsetof(struct sc_opts, f) + \
        0 * sizeof(_Generic(((struct sc_opts *)0)->f, T : 1))
/* NOLINTEND(bugprone-macro-parentheses) */

/* Enum fields are written as int (OPT_ENUM). */
_Static_assert(sizeof(enum sc_model) == sizeof(int), "enum sc_model width");
_Static_assert(sizeof(enum sc_format) == sizeof(int), "enum sc_format width");
_Static_assert(sizeof(enum sc_show) == sizeof(int), "enum sc_show width");
_Static_assert(sizeof(enum sc_color) == sizeof(int), "enum sc_color width");

static const struct choice methods[] = {{"GET", 0}, {"HEAD", 1}, {NULL, 0}};
static const struct choice formats[] = {
    {"jsonl", SC_FORMAT_JSONL}, {"csv", SC_FORMAT_CSV}, {NULL, 0}};
static const struct choice models[] = {{"event", SC_MODEL_EVENT},
                                       {"thread", SC_MODEL_THREAD},
                                       {"process", SC_MODEL_PROCESS},
                                       {"serial", SC_MODEL_SERIAL},
                                       {NULL, 0}};
static const struct choice resolvers[] = {{"cares", 1}, {"curl", 0}, {NULL, 0}};
static const struct choice shows[] = {{"failures", SC_SHOW_FAILURES},
                                      {"all", SC_SHOW_ALL},
                                      {"none", SC_SHOW_NONE},
                                      {NULL, 0}};
static const struct choice colors[] = {{"auto", SC_COLOR_AUTO},
                                       {"always", SC_COLOR_ALWAYS},
                                       {"never", SC_COLOR_NEVER},
                                       {NULL, 0}};

static const struct choice input_formats[] = {{"auto", -1},
                                              {"list", SC_INPUT_LIST},
                                              {"html", SC_INPUT_HTML},
                                              {"markdown", SC_INPUT_MARKDOWN},
                                              {"sitemap", SC_INPUT_SITEMAP},
                                              {NULL, 0}};

/* --links, --crawl, --base: an http(s) URL, or for --links a file. */
static int web_url(const char *v) {
  return strncasecmp(v, "http://", 7) == 0 ||
         strncasecmp(v, "https://", 8) == 0;
}

static int links_ok(const char *v) {
  return web_url(v) || access(v, R_OK) == 0;
}

/* --max-page-size: bytes, with an optional k, M or G (powers of 1024). */
static int set_page_size(struct sc_opts *o, const char *v, struct sc_buf *err) {
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  unsigned long long mult = 1;
  if (*end == 'k' || *end == 'K')
    mult = 1024, end++;
  else if (*end == 'M' || *end == 'm')
    mult = 1024 * 1024, end++;
  else if (*end == 'G' || *end == 'g')
    mult = 1024ULL * 1024 * 1024, end++;
  if (*end == 'B' || *end == 'b') end++;
  if (errno || end == v || *end || v[0] == '-' || n == 0 ||
      n > (1ULL << 40) / mult) {
    sc_buf_printf(err,
                  "--max-page-size needs a size in bytes (k, M, G allowed), "
                  "not '%s'",
                  v);
    return SC_EXIT_USAGE;
  }
  o->max_page_size = (long)(n * mult);
  return 0;
}

/* -H: "Name: value", or "Name;" (curl's way to send an empty header). */
static int header_ok(const char *v) {
  size_t n = strlen(v);
  return strchr(v, ':') || (n && v[n - 1] == ';');
}

/* --resolve: HOST:PORT:ADDR (curl checks the parts). */
static int resolve_ok(const char *v) {
  const char *a = strchr(v, ':');
  return a && strchr(a + 1, ':');
}

/* --report: a file name; stdout carries the tally. */
static int report_ok(const char *v) {
  return strcmp(v, "-") != 0;
}

/* --listen: ADDR:PORT (bound when the watch starts). */
static int listen_ok(const char *v) {
  struct sockaddr_storage sa;
  return sc_parse_addr(v, &sa) == 0;
}

/* --probe-allow: a POSIX extended regular expression regcomp takes. */
static int regex_ok(const char *v) {
  regex_t re;
  if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0) return 0;
  regfree(&re);
  return 1;
}

/* --every: a duration of at least 100 ms. */
static int set_every(struct sc_opts *o, const char *v, struct sc_buf *err) {
  long ms;
  if (sc_parse_duration(v, &ms) == 0 && ms >= 100) {
    o->every_ms = ms;
    return 0;
  }
  sc_buf_printf(err,
                "--every needs a duration of at least 100ms, like 30s, 5m "
                "or 1h, not '%s'",
                v);
  return SC_EXIT_USAGE;
}

static int set_failon(struct sc_opts *o, const char *v, struct sc_buf *err) {
  char *bad = NULL;
  if (sc_failon_parse(&o->failon, v, &bad) == 0) return 0;
  sc_buf_printf(err,
                "unknown --fail-on item '%s' (use codes like 404, classes "
                "like 5xx, ranges like 500-599, failure classes, 'error' or "
                "'not-ok')",
                bad);
  free(bad);
  return SC_EXIT_USAGE;
}

/* --accept: the first one replaces the default, later ones add to it. */
static int set_accept(struct sc_opts *o, const char *v, struct sc_buf *err) {
  char *bad = NULL;
  if (!o->accept_given) memset(o->accept, 0, sizeof o->accept);
  o->accept_given = 1;
  if (sc_accept_parse(o->accept, v, &bad) == 0) return 0;
  sc_buf_printf(err,
                "unknown --accept item '%s' (use codes like 403, ranges like "
                "200-299 or classes like 2xx)",
                bad);
  free(bad);
  return SC_EXIT_USAGE;
}

/* Every option, one row each, grouped by topic (the order of --help
 * within a topic). The first four fields are positional: long name, short
 * name, kind, topic; the rest are named. A new option is a row here and,
 * if it limits or is limited by another option, a check in cross_check.
 * clang-format would put each field on a line of its own. */
/* clang-format off */
static const struct opt table[] = {
  {"timeout", 't', OPT_SECONDS, TOPIC_CHECKING, AT(timeout_ms, long),
   .min = 1, .def = "10",
   .help = "time limit of one try of a check, its redirects and name "
           "lookups included"},
  {"connect-timeout", 0, OPT_SECONDS, TOPIC_CHECKING,
   AT(connect_timeout_ms, long), .min = 1, .def_text = "the -t value",
   .help = "time limit of name lookup, connect and TLS handshake"},
  {"check-timeout", 0, OPT_SECONDS, TOPIC_CHECKING,
   AT(check_timeout_ms, long), .min = 1, .def_text = "no limit",
   .help = "time limit of a whole check: every try, the waits between "
           "them and the HEAD to GET fallback"},
  {"no-follow", 0, OPT_FLAG, TOPIC_CHECKING, AT(follow, int),
   .num = 0, .init = 1,
   .help = "report 3xx instead of following redirects"},
  {"max-redirects", 0, OPT_LONG, TOPIC_CHECKING, AT(max_redirects, long),
   .min = 0, .max = 1000, .def = "10",
   .help = "redirects to follow at most"},
  {"method", 'X', OPT_ENUM, TOPIC_CHECKING, AT(head, int),
   .choices = methods, .nocase = 1, .def = "GET",
   .help = "request method; GET does not read the body, HEAD falls back "
           "to GET where refused"},
  {"retries", 0, OPT_LONG, TOPIC_CHECKING, AT(retries, long),
   .min = 0, .max = 100, .def = "1",
   .help = "retries of a transient failure: timeout, connect, a dropped "
           "connection, 429, 502, 503 or 504"},
  {"max-retry-wait", 0, OPT_SECONDS, TOPIC_CHECKING,
   AT(max_retry_wait_ms, long), .min = 0, .def = "30",
   .help = "longest wait before a retry; a longer Retry-After is "
           "reported instead"},
  {"header", 'H', OPT_LIST, TOPIC_CHECKING,
   AT(headers, struct curl_slist *), .valid = header_ok,
   .need = "'Name: value'", .arg = "'N: V'", .echo = ECHO_HEADER,
   .help = "extra request header"},
  {"location-trusted", 0, OPT_FLAG, TOPIC_CHECKING,
   AT(location_trusted, int), .num = 1,
   .help = "send -H headers on redirects to other hosts too (by default "
           "only to the line's scheme, host and port)"},
  {"user-agent", 'A', OPT_STRING, TOPIC_CHECKING,
   AT(user_agent, const char *), .arg = "STR",
   .def = "sitecheck/" SC_VERSION, .echo = ECHO_MASKED,
   .help = "User-Agent header"},
  {"dedup", 0, OPT_FLAG, TOPIC_CHECKING, AT(dedup, int), .num = 1,
   .help = "check a repeated URL once; later lines get a record marked "
           "duplicate_of the first line", .only = ONLY_CHECK},

  {"links", 0, OPT_LIST, TOPIC_LINKS, AT(links, struct curl_slist *),
   .valid = links_ok, .need = "an http(s) URL or a readable file",
   .arg = "URL|FILE",
   .help = "check the links of a page, a Markdown file or a sitemap (a "
           "sitemap index's sitemaps are read too)", .only = ONLY_CHECK},
  {"crawl", 0, OPT_STRING, TOPIC_LINKS, AT(crawl, const char *),
   .valid = web_url, .need = "an http(s) URL", .arg = "URL",
   .help = "check a site: the links of the start page and of every page "
           "in its scope (its scheme, host, port and directory), "
           "recursively", .only = ONLY_CHECK},
  {"input-format", 0, OPT_ENUM, TOPIC_LINKS, AT(input_format, int),
   .choices = input_formats, .def = "auto",
   .help = "what FILE arguments are; auto: from their content and name", .only = ONLY_CHECK},
  {"base", 0, OPT_STRING, TOPIC_LINKS, AT(base, const char *),
   .valid = web_url, .need = "an http(s) URL", .arg = "URL",
   .def_text = "links are files on disk",
   .help = "resolve the relative links of local files against URL", .only = ONLY_CHECK},
  {"include", 0, OPT_LIST, TOPIC_LINKS, AT(include, struct curl_slist *),
   .valid = regex_ok, .need = "a POSIX extended regular expression",
   .arg = "REGEX",
   .help = "check URLs that match, even if --exclude matches them; with "
           "--include, URLs that match none are skipped", .only = ONLY_CHECK},
  {"exclude", 0, OPT_LIST, TOPIC_LINKS, AT(exclude, struct curl_slist *),
   .valid = regex_ok, .need = "a POSIX extended regular expression",
   .arg = "REGEX",
   .help = "skip URLs that match (POSIX extended regular expression)", .only = ONLY_CHECK},
  {"exclude-private", 0, OPT_FLAG, TOPIC_LINKS, AT(exclude_private, int),
   .num = 1,
   .help = "skip links to private addresses (10/8, 172.16/12, "
           "192.168/16, 169.254/16, fc00::/7, fe80::/10)", .only = ONLY_CHECK},
  {"exclude-loopback", 0, OPT_FLAG, TOPIC_LINKS, AT(exclude_loopback, int),
   .num = 1,
   .help = "skip links to loopback addresses (127/8, ::1) and localhost", .only = ONLY_CHECK},
  {"depth", 0, OPT_LONG, TOPIC_LINKS, AT(depth, long),
   .min = 0, .max = 1000000, .def_text = "unlimited",
   .help = "--crawl: read pages at most N links away from the start page "
           "(0: the start page only)", .only = ONLY_CHECK},
  {"max-pages", 0, OPT_LONG, TOPIC_LINKS, AT(max_pages, long),
   .min = 1, .max = 100000000, .def = "10000",
   .help = "--crawl: pages read at most", .only = ONLY_CHECK},
  {"max-urls", 0, OPT_LONG, TOPIC_LINKS, AT(max_urls, long),
   .min = 1, .max = 1000000000, .def = "1000000",
   .help = "distinct URLs at most; past it no more are discovered", .only = ONLY_CHECK},
  {"max-page-size", 0, OPT_CUSTOM, TOPIC_LINKS, .set = set_page_size,
   .arg = "SIZE", .def = "10M",
   .help = "bytes of a page or Markdown file read at most", .only = ONLY_CHECK},
  {"ignore-robots", 0, OPT_FLAG, TOPIC_LINKS, AT(ignore_robots, int),
   .num = 1,
   .help = "--crawl: do not obey the site's robots.txt", .only = ONLY_CHECK},
  {"check-fragments", 0, OPT_FLAG, TOPIC_LINKS, AT(check_fragments, int),
   .num = 1,
   .help = "--crawl: check that #fragment targets exist on the pages "
           "read", .only = ONLY_CHECK},

  {"per-host", 0, OPT_LONG, TOPIC_POLITENESS, AT(per_host, long),
   .min = 0, .max = 1000000, .need = "a whole number (0 = no limit)",
   .def = "8",
   .help = "checks in flight per host name, 0 = no limit"},
  {"rate", 0, OPT_RATE, TOPIC_POLITENESS, AT(rate, double),
   .def_text = "no limit",
   .help = "check starts per second, overall"},
  {"host-rate", 0, OPT_RATE, TOPIC_POLITENESS, AT(host_rate, double),
   .def_text = "no limit",
   .help = "check starts per second, per host"},

  {"resolver", 0, OPT_ENUM, TOPIC_NETWORK, AT(use_cares, int),
   .choices = resolvers, .def = "cares",
   .help = "look names up with c-ares on the loop, or with libcurl's "
           "thread per lookup"},
  {"dns-servers", 0, OPT_STRING, TOPIC_NETWORK,
   AT(dns_servers, const char *), .min = 1, .need = "ADDR[:PORT],...",
   .arg = "LIST", .def_text = "the system's",
   .help = "resolve with these servers, ADDR[:PORT],... (IPv6 as "
           "[ADDR]:PORT)"},
  {"resolve", 0, OPT_LIST, TOPIC_NETWORK,
   AT(resolve, struct curl_slist *), .valid = resolve_ok,
   .need = "HOST:PORT:ADDR", .arg = "H:P:ADDR",
   .help = "use ADDR for host H port P, as curl's option does"},
  {NULL, '4', OPT_FLAG, TOPIC_NETWORK, AT(family, int), .num = 4,
   .help = "IPv4 addresses only"},
  {NULL, '6', OPT_FLAG, TOPIC_NETWORK, AT(family, int), .num = 6,
   .help = "IPv6 addresses only"},
  {"proxy", 'x', OPT_STRING, TOPIC_NETWORK, AT(proxy, const char *),
   .min = 1, .need = "a proxy URL", .arg = "URL",
   .def_text = "the *_proxy variables", .echo = ECHO_URL,
   .help = "send every check through this proxy"},
  {"insecure", 'k', OPT_FLAG, TOPIC_NETWORK, AT(insecure, int), .num = 1,
   .help = "do not verify TLS certificates or host names"},
  {"cacert", 0, OPT_FILE, TOPIC_NETWORK, AT(cacert, const char *),
   .help = "trust the CA certificates in FILE"},

  {"output", 'o', OPT_STRING, TOPIC_OUTPUT, AT(output, const char *),
   .min = 1, .need = "a file name", .arg = "FILE",
   .help = "write one record per URL to FILE (- for stdout)",
   .help_watch = "append one JSON line per state change to FILE (- for "
                 "stdout); reopened on SIGHUP"},
  {"format", 0, OPT_ENUM, TOPIC_OUTPUT, AT(format, enum sc_format),
   .choices = formats, .def = "jsonl",
   .help = "record format", .only = ONLY_CHECK},
  {"accept", 0, OPT_CUSTOM, TOPIC_OUTPUT, .set = set_accept,
   .arg = "LIST", .def_text = "2xx; with --no-follow 2xx and 3xx",
   .help = "final statuses that count as OK: codes (403), ranges "
           "(200-299), classes (2xx); a failure class never is"},
  {"fail-on", 0, OPT_CUSTOM, TOPIC_OUTPUT, .set = set_failon,
   .arg = "LIST",
   .help = "exit 1 if a result matches an item: a code (404), a class "
           "(4xx), a range (500-599), a failure class (timeout), error "
           "(any failure) or not-ok (any result not OK)",
   .only = ONLY_CHECK},
  {"show", 0, OPT_ENUM, TOPIC_OUTPUT, AT(show, enum sc_show),
   .choices = shows, .def = "failures",
   .help = "what stderr lists after the summary: failures, the results "
           "not OK; all, a line per result as it completes; none, the "
           "counts only",
   .only = ONLY_CHECK},
  {"show-max", 0, OPT_LONG, TOPIC_OUTPUT, AT(show_max, long),
   .min = 0, .max = 1000000, .def = "200",
   .help = "results --show failures lists at most (the first by input "
           "and line)",
   .only = ONLY_CHECK},
  {"color", 0, OPT_ENUM, TOPIC_OUTPUT, AT(color, enum sc_color),
   .choices = colors, .def = "auto",
   .help = "colour statuses on stderr; auto: on a terminal, unless "
           "NO_COLOR is set",
   .only = ONLY_CHECK},
  {"report", 0, OPT_STRING, TOPIC_OUTPUT, AT(report, const char *),
   .min = 1, .valid = report_ok, .need = "an HTML file name",
   .arg = "FILE.html",
   .help = "write the HTML report of the run to FILE.html at its end",
   .only = ONLY_CHECK},
  {"quiet", 'q', OPT_FLAG, TOPIC_OUTPUT, AT(quiet, int), .num = 1,
   .help = "nothing on stderr but errors: no summary, list, warnings or "
           "progress",
   .help_watch = "no state-change lines or warnings on stderr"},
  {"progress", 0, OPT_FLAG, TOPIC_OUTPUT, AT(progress, int),
   .num = 1, .init = -1, .def_text = "when stderr is a terminal, not -q",
   .help = "show a progress line on stderr", .only = ONLY_CHECK},
  {"no-progress", 0, OPT_FLAG, TOPIC_OUTPUT, AT(progress, int),
   .num = 0, .init = -1,
   .help = "never show the progress line", .only = ONLY_CHECK},

  {"model", 'm', OPT_ENUM, TOPIC_MODELS, AT(model, enum sc_model),
   .choices = models, .def = "event",
   .help = "concurrency model"},
  {"concurrency", 'c', OPT_LONG, TOPIC_MODELS, AT(concurrency, long),
   .min = 1, .max = 1000000,
   .def_text = "event 256, thread 128, process 3, serial 1",
   .help = "checks in flight"},
  {"loops", 0, OPT_AUTO, TOPIC_MODELS, AT(loops, long),
   .min = 1, .max = 256, .def = "auto",
   .help = "event model: N loops in N threads; auto: one per CPU, at "
           "most one per 64 checks in flight"},

  {"every", 0, OPT_CUSTOM, TOPIC_WATCH, .set = set_every,
   .arg = "DURATION", .def = "60s", .only = ONLY_WATCH,
   .help = "check each URL once per DURATION (30s, 5m, 1h), at a fixed "
           "offset inside it"},
  {"down-after", 0, OPT_LONG, TOPIC_WATCH, AT(down_after, long),
   .min = 1, .max = 1000000, .def = "1", .only = ONLY_WATCH,
   .help = "results in a row the other way before a URL is reported down "
           "(or up again)"},
  {"listen", 0, OPT_STRING, TOPIC_WATCH, AT(listen, const char *),
   .valid = listen_ok, .need = "ADDR:PORT (IPv6 as [ADDR]:PORT)",
   .arg = "ADDR:PORT", .def = "127.0.0.1:9115", .only = ONLY_WATCH,
   .help = "serve /metrics and /probe there (port 0: any free port)"},
  {"probe-allow", 0, OPT_STRING, TOPIC_WATCH,
   AT(probe_allow, const char *), .min = 1, .valid = regex_ok,
   .need = "a POSIX extended regular expression", .arg = "REGEX",
   .def_text = "watched URLs only", .only = ONLY_WATCH,
   .help = "/probe also checks targets this regular expression matches "
           "whole"},

  {"help", 'h', OPT_HELP, TOPIC_GENERAL,
   .help = "print this help and exit"},
  {"version", 'V', OPT_VERSION, TOPIC_GENERAL,
   .help = "print the version and exit"},
};
/* clang-format on */

#define NOPTS (sizeof table / sizeof table[0])

/* getopt_long's value for a row without a short name: past every char. */
#define LONG_ONLY_BASE 256

/* The --concurrency default of each model, which its row's def_text
 * spells out (tests/unit/test_opts.c holds the two together). */
static const long default_concurrency[] = {[SC_MODEL_EVENT] = 256,
                                           [SC_MODEL_THREAD] = 128,
                                           [SC_MODEL_PROCESS] = 3,
                                           [SC_MODEL_SERIAL] = 1};

const char *sc_model_name(enum sc_model m) {
  for (const struct choice *c = models; c->name; c++)
    if (c->value == (int)m) return c->name;
  return "?";
}

static int takes_value(const struct opt *r) {
  return r->kind != OPT_FLAG && r->kind != OPT_HELP && r->kind != OPT_VERSION;
}

/* The name messages use: the short one if there is one ("-c"). */
static void add_name(struct sc_buf *b, const struct opt *r) {
  if (r->letter)
    sc_buf_printf(b, "-%c", r->letter);
  else
    sc_buf_printf(b, "--%s", r->name);
}

/* "a, b, c or d": the choices of an OPT_ENUM row. */
static void add_choices(struct sc_buf *b, const struct opt *r) {
  for (const struct choice *c = r->choices; c->name; c++) {
    if (c != r->choices) sc_buf_adds(b, c[1].name ? ", " : " or ");
    sc_buf_adds(b, c->name);
  }
}

/* What a value of row r must be, for "needs ...": the row's own words,
 * or its kind's. */
static void add_need(struct sc_buf *b, const struct opt *r) {
  if (r->need) {
    sc_buf_adds(b, r->need);
    return;
  }
  switch (r->kind) {
    case OPT_AUTO:
      sc_buf_adds(b, "auto or ");
      /* fall through */
    case OPT_LONG:
      sc_buf_printf(b, "a whole number from %ld to %ld", r->min, r->max);
      break;
    case OPT_SECONDS:
      sc_buf_adds(b, r->min > 0 ? "a positive number of seconds"
                                : "a number of seconds");
      break;
    case OPT_RATE:
      sc_buf_adds(b, "a positive number of checks per second");
      break;
    default:
      sc_buf_adds(b, "a value");
  }
}

/* The message about a bad value v of row r, e.g. "-c needs a whole number
 * from 1 to 1000000, not 'x'". Returns SC_EXIT_USAGE. */
static int bad_value(const struct opt *r, const char *v, struct sc_buf *err) {
  add_name(err, r);
  if (r->kind == OPT_ENUM) {
    sc_buf_adds(err, " takes ");
    add_choices(err, r);
  } else {
    sc_buf_adds(err, " needs ");
    add_need(err, r);
  }
  sc_buf_printf(err, ", not '%s'", v);
  return SC_EXIT_USAGE;
}

/* Parses value v (NULL for a flag) as row r says and stores it in o.
 * Returns 0, or SC_EXIT_USAGE (or SC_EXIT_INTERNAL: out of memory) with
 * the message in err. */
static int store(struct sc_opts *o, const struct opt *r, const char *v,
                 struct sc_buf *err) {
  char *field = (char *)o + r->at;
  long n;
  switch (r->kind) {
    case OPT_FLAG:
      *(int *)field = r->num;
      return 0;
    case OPT_AUTO:
      if (strcmp(v, "auto") == 0) {
        *(long *)field = 0;
        return 0;
      }
      /* fall through */
    case OPT_LONG:
      if (sc_parse_long(v, r->min, r->max, &n)) return bad_value(r, v, err);
      *(long *)field = n;
      return 0;
    case OPT_SECONDS:
      if (sc_parse_seconds(v, &n) || n < r->min) return bad_value(r, v, err);
      *(long *)field = n;
      return 0;
    case OPT_RATE:
      /* A rate is written like seconds: a non-negative decimal. */
      if (sc_parse_seconds(v, &n) || n == 0) return bad_value(r, v, err);
      /* cppcheck-suppress invalidPointerCast ; AT() made it a double */
      *(double *)field = (double)n / 1000.0;
      return 0;
    case OPT_STRING:
      if (r->min > 0 && !*v) {
        add_name(err, r);
        sc_buf_adds(err, " needs ");
        add_need(err, r);
        return SC_EXIT_USAGE;
      }
      if (r->valid && !r->valid(v)) return bad_value(r, v, err);
      *(const char **)field = v;
      return 0;
    case OPT_FILE:
      if (access(v, R_OK) != 0) {
        sc_buf_adds(err, "cannot read ");
        add_name(err, r);
        sc_buf_printf(err, " file '%s'", v);
        return SC_EXIT_USAGE;
      }
      *(const char **)field = v;
      return 0;
    case OPT_ENUM:
      for (const struct choice *c = r->choices; c->name; c++)
        if ((r->nocase ? strcasecmp : strcmp)(v, c->name) == 0) {
          *(int *)field = c->value;
          return 0;
        }
      return bad_value(r, v, err);
    case OPT_LIST: {
      struct curl_slist **l = (struct curl_slist **)field, *added;
      if (r->valid && !r->valid(v)) return bad_value(r, v, err);
      if (!(added = curl_slist_append(*l, v))) {
        sc_buf_adds(err, "out of memory");
        return SC_EXIT_INTERNAL;
      }
      *l = added;
      return 0;
    }
    case OPT_CUSTOM:
      return r->set(o, v, err);
    case OPT_HELP:
    case OPT_VERSION:
      break;
  }
  return 0;
}

/* Index of the row named name (long name, or one letter), or -1. */
static int find_row(const char *name) {
  for (size_t i = 0; i < NOPTS; i++)
    if ((table[i].name && strcmp(table[i].name, name) == 0) ||
        (name[0] && !name[1] && table[i].letter == name[0]))
      return (int)i;
  return -1;
}

/* Whether the option called name was on the command line. */
static int given(const unsigned char *seen, const char *name) {
  int i = find_row(name);
  return i >= 0 && seen[i];
}

/* Everything that involves more than one option, once the whole command
 * line is read: combinations that cannot apply are usage errors, and the
 * values that depend on several options are derived here. seen[i] says
 * whether row i was given. Returns 0 or SC_EXIT_USAGE (message in err). */
static int cross_check(struct sc_opts *o, const unsigned char *seen,
                       struct sc_buf *err) {
  if (given(seen, "loops") && o->model != SC_MODEL_EVENT && o->loops > 1) {
    sc_buf_printf(err, "--loops applies to the event model only (-m %s)",
                  sc_model_name(o->model));
    return SC_EXIT_USAGE;
  }
  if (o->dns_servers && !o->use_cares) {
    sc_buf_adds(err,
                "--dns-servers needs the c-ares resolver, not --resolver curl");
    return SC_EXIT_USAGE;
  }
  if (o->model == SC_MODEL_SERIAL && o->concurrency > 1) {
    sc_buf_adds(err,
                "-m serial checks one URL at a time; -c above 1 cannot apply");
    return SC_EXIT_USAGE;
  }
  if (!given(seen, "depth")) o->depth = -1;
  if (!o->concurrency) o->concurrency = default_concurrency[o->model];
  /* OK by default is the final answer a browser would settle on: 2xx after
   * redirects, and a redirect itself when told not to follow it. */
  if (!o->accept_given) {
    memset(o->accept + 200, 1, 100);
    if (!o->follow) memset(o->accept + 300, 1, 100);
  }
  /* -q leaves only errors on stderr; an explicit --progress or --show
   * says otherwise. */
  if (o->quiet && o->progress == -1) o->progress = 0;
  if (o->quiet && !given(seen, "show")) o->show = SC_SHOW_NONE;
  /* Connection reuse pays where URLs share a host. libcurl's search of its
   * cache walks every connection to the host, so it is on only while that
   * walk is short: a per-host limit up to 256 (the default is 8), or no
   * limit and at most 1024 checks in flight. Beyond that (10,000 in
   * flight to one host) it costs more than it saves. */
  o->reuse = o->per_host > 0 ? o->per_host <= 256 : o->concurrency <= 1024;
  return 0;
}

/* Appends value v to the summary b, quoted for a shell where it needs
 * it. */
static void echo_quoted(struct sc_buf *b, const char *v, size_t n) {
  int plain = n > 0;
  for (size_t i = 0; i < n && plain; i++)
    plain = strchr(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789._/:=,@%+-*[]",
                v[i]) != NULL &&
            v[i];
  if (plain) {
    sc_buf_add(b, v, n);
    return;
  }
  sc_buf_addc(b, '\'');
  for (size_t i = 0; i < n; i++)
    if (v[i] == '\'')
      sc_buf_adds(b, "'\\''");
    else
      sc_buf_addc(b, v[i]);
  sc_buf_addc(b, '\'');
}

/* Appends row r, given with value v (NULL for a flag), to the summary of
 * the options as given, masking what r's echo says to. */
static void echo(struct sc_buf *b, const struct opt *r, const char *v) {
  struct sc_buf t = {0};
  if (b->len) sc_buf_addc(b, ' ');
  if (r->name)
    sc_buf_printf(b, "--%s", r->name);
  else
    sc_buf_printf(b, "-%c", r->letter);
  if (!v) return;
  sc_buf_addc(b, ' ');
  switch (r->echo) {
    case ECHO_VALUE:
      sc_buf_adds(&t, v);
      break;
    case ECHO_URL:
      sc_redact_url(v, strlen(v), 0, &t);
      break;
    case ECHO_HEADER:
      sc_buf_add(&t, v, strcspn(v, ":;"));
      sc_buf_adds(&t, v[strcspn(v, ":;")] == ';' ? ";" : ": " SC_REDACT_MASK);
      break;
    case ECHO_MASKED:
      sc_buf_adds(&t, SC_REDACT_MASK);
      break;
  }
  echo_quoted(b, t.data ? t.data : "", t.len);
  sc_buf_free(&t);
}

/* Gives o every row's default: a flag's init, a value's def (parsed as if
 * given, so --help shows exactly what applies). */
static int set_defaults(struct sc_opts *o, struct sc_buf *err) {
  memset(o, 0, sizeof *o);
  for (size_t i = 0; i < NOPTS; i++) {
    const struct opt *r = &table[i];
    if (r->kind == OPT_FLAG && r->init) *(int *)((char *)o + r->at) = r->init;
    if (r->def && store(o, r, r->def, err) != 0) return SC_EXIT_INTERNAL;
  }
  return 0;
}

/* Whether row r is an option of cmd. */
static int row_in(const struct opt *r, enum sc_command cmd) {
  return !r->only || r->only == 1 + (int)cmd;
}

/* The message about row r, an option of the other command only. Returns
 * SC_EXIT_USAGE. */
static int not_here(const struct opt *r, struct sc_buf *err) {
  add_name(err, r);
  sc_buf_adds(err, r->only == ONLY_WATCH
                       ? " applies to sitecheck watch only"
                       : " does not apply to sitecheck watch");
  return SC_EXIT_USAGE;
}

/* What sitecheck watch takes differently, once the command line is read:
 * the event model only, and files it can read again on SIGHUP. */
static int watch_check(const struct sc_opts *o, int nfiles, char **files,
                       struct sc_buf *err) {
  if (o->model != SC_MODEL_EVENT) {
    sc_buf_printf(err, "sitecheck watch runs the event model only, not -m %s",
                  sc_model_name(o->model));
    return SC_EXIT_USAGE;
  }
  if (nfiles == 0) {
    sc_buf_adds(err, "sitecheck watch needs a FILE of URLs");
    return SC_EXIT_USAGE;
  }
  for (int i = 0; i < nfiles; i++)
    if (strcmp(files[i], "-") == 0) {
      sc_buf_adds(err,
                  "sitecheck watch cannot watch stdin: it reads its FILEs "
                  "again on SIGHUP");
      return SC_EXIT_USAGE;
    }
  return 0;
}

int sc_opts_read(struct sc_opts *o, int argc, char **argv, struct sc_buf *err) {
  return sc_opts_read_for(o, SC_CMD_CHECK, argc, argv, err);
}

int sc_opts_read_for(struct sc_opts *o, enum sc_command cmd, int argc,
                     char **argv, struct sc_buf *err) {
  static char *stdin_only[] = {"-", NULL};
  struct option longs[NOPTS + 1];
  char shorts[1 + 2 * NOPTS + 1], *s = shorts;
  unsigned char seen[NOPTS] = {0};
  size_t nl = 0;
  int c, rc;
  if ((rc = set_defaults(o, err)) != 0) return rc;
  *s++ = ':'; /* a missing value returns ':', not '?' */
  for (size_t i = 0; i < NOPTS; i++) {
    const struct opt *r = &table[i];
    int val = r->letter ? r->letter : LONG_ONLY_BASE + (int)i;
    if (r->letter) {
      *s++ = r->letter;
      if (takes_value(r)) *s++ = ':';
    }
    if (r->name)
      longs[nl++] = (struct option){
          r->name, takes_value(r) ? required_argument : no_argument, NULL, val};
  }
  *s = '\0';
  longs[nl] = (struct option){NULL, 0, NULL, 0};
  opterr = 0;
  optind = 0; /* 0, not 1: glibc then forgets any earlier parse */
  while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
    int i = -1;
    if (c == ':') {
      sc_buf_printf(err, "option '%s' needs a value", argv[optind - 1]);
      return SC_EXIT_USAGE;
    }
    if (c >= LONG_ONLY_BASE)
      i = c - LONG_ONLY_BASE;
    else if (c != '?')
      i = find_row((char[]){(char)c, '\0'});
    if (i < 0) {
      sc_buf_printf(err, "unknown option '%s'", argv[optind - 1]);
      return SC_EXIT_USAGE;
    }
    if (table[i].kind == OPT_HELP) return SC_OPTS_HELP;
    if (table[i].kind == OPT_VERSION) return SC_OPTS_VERSION;
    if (!row_in(&table[i], cmd)) return not_here(&table[i], err);
    if ((rc = store(o, &table[i], optarg, err)) != 0) return rc;
    echo(&o->given, &table[i], takes_value(&table[i]) ? optarg : NULL);
    seen[i] = 1;
  }
  o->command = cmd;
  if ((rc = cross_check(o, seen, err)) != 0) return rc;
  o->pins = sc_pins_new(o->resolve);
  if (cmd == SC_CMD_WATCH) {
    if ((rc = watch_check(o, argc - optind, argv + optind, err)) != 0)
      return rc;
    /* Each check of a watch opens a connection of its own, with a full
     * TLS handshake, as a new visitor and blackbox_exporter do: one kept
     * from the last round would hide a server that takes no new ones,
     * and a resumed session a certificate replaced or a handshake that
     * no longer succeeds. */
    o->reuse = 0;
    o->fresh_tls = 1;
  }
  if (optind < argc) {
    o->files = argv + optind;
    o->nfiles = argc - optind;
  } else if (o->links || o->crawl) {
    o->files = argv + argc; /* links only: no list on stdin */
    o->nfiles = 0;
  } else {
    o->files = stdin_only;
    o->nfiles = 1;
  }
  return 0;
}

/* --help: the column where help texts start, and the width of a line. */
#define HELP_COL 26
#define HELP_WIDTH 79

/* The value's name in --help: the row's, or one its kind implies. */
static void add_arg(struct sc_buf *b, const struct opt *r) {
  switch (r->kind) {
    case OPT_FLAG:
    case OPT_HELP:
    case OPT_VERSION:
      return;
    case OPT_ENUM:
      sc_buf_addc(b, ' ');
      for (const struct choice *c = r->choices; c->name; c++)
        sc_buf_printf(b, "%s%s", c == r->choices ? "" : "|", c->name);
      return;
    default:
      break;
  }
  static const char *const implied[] = {[OPT_LONG] = "N",
                                        [OPT_AUTO] = "N|auto",
                                        [OPT_SECONDS] = "SEC",
                                        [OPT_RATE] = "R",
                                        [OPT_FILE] = "FILE"};
  const char *a = r->arg;
  if (!a && (size_t)r->kind < sizeof implied / sizeof *implied)
    a = implied[r->kind];
  sc_buf_printf(b, " %s", a ? a : "VALUE");
}

/* Appends text word by word to b, whose current line is *col wide,
 * breaking lines before HELP_WIDTH and starting each new one at HELP_COL. */
static void add_wrapped(struct sc_buf *b, size_t *col, const char *text) {
  const char *p = text;
  while (*p) {
    while (*p == ' ') p++;
    size_t n = strcspn(p, " ");
    if (!n) break;
    if (*col > HELP_COL && *col + 1 + n > HELP_WIDTH) {
      sc_buf_printf(b, "\n%*s", HELP_COL, "");
      *col = HELP_COL;
    } else if (*col > HELP_COL) {
      sc_buf_addc(b, ' ');
      (*col)++;
    }
    sc_buf_add(b, p, n);
    *col += n;
    p += n;
  }
}

/* One option of --help: its names and value at column 2, its help text
 * from HELP_COL (on the next line if the names reach that far), with
 * "(repeatable)" and its default; cmd's own help text where it has one. */
static void add_option_help(struct sc_buf *b, const struct opt *r,
                            enum sc_command cmd) {
  size_t start = b->len, col;
  sc_buf_adds(b, "  ");
  if (r->letter)
    sc_buf_printf(b, "-%c%s", r->letter, r->name ? ", " : "");
  else
    sc_buf_adds(b, "    ");
  if (r->name) sc_buf_printf(b, "--%s", r->name);
  add_arg(b, r);
  col = b->len - start;
  if (col + 2 > HELP_COL) {
    sc_buf_addc(b, '\n');
    col = 0;
  }
  sc_buf_printf(b, "%*s", (int)(HELP_COL - col), "");
  col = HELP_COL;
  add_wrapped(b, &col,
              cmd == SC_CMD_WATCH && r->help_watch ? r->help_watch : r->help);
  if (r->kind == OPT_LIST) add_wrapped(b, &col, "(repeatable)");
  if (r->def || r->def_text) {
    struct sc_buf d = {0};
    /* "(default 10)", a value as given; "(default: no limit)", words. */
    sc_buf_printf(&d, "(default%s %s)", r->def ? "" : ":",
                  r->def ? r->def : r->def_text);
    add_wrapped(b, &col, d.data);
    sc_buf_free(&d);
  }
  sc_buf_addc(b, '\n');
}

void sc_opts_help(struct sc_buf *out) {
  sc_opts_help_for(out, SC_CMD_CHECK);
}

/* The head of `sitecheck watch --help`. */
static const char watch_usage[] =
    "usage: sitecheck watch [OPTIONS] FILE...\n"
    "\n"
    "Checks every URL in FILE once per --every, for as long as it runs, and\n"
    "reports each URL going down or up again on stderr (and -o). Serves the\n"
    "results as Prometheus metrics on http://--listen/metrics, and\n"
    "/probe?target=URL&module=http_2xx as blackbox_exporter does. SIGHUP\n"
    "reads the FILEs again and reopens -o; SIGINT and SIGTERM stop it.\n";

/* Appends the options of cmd, grouped by topic, to out. */
static void add_topics(struct sc_buf *out, enum sc_command cmd) {
  for (int t = 0; t < TOPIC_COUNT; t++) {
    int any = 0;
    for (size_t i = 0; i < NOPTS; i++)
      if (table[i].topic == (enum opt_topic)t && row_in(&table[i], cmd)) {
        if (!any++) sc_buf_printf(out, "\n%s:\n", topic_names[t]);
        add_option_help(out, &table[i], cmd);
      }
  }
}

void sc_opts_help_for(struct sc_buf *out, enum sc_command cmd) {
  if (cmd == SC_CMD_WATCH) {
    sc_buf_adds(out, watch_usage);
    add_topics(out, cmd);
    sc_buf_adds(out,
                "\n"
                "Exit status: 0 stopped by SIGINT or SIGTERM, 2 usage or I/O "
                "error,\n"
                "3 internal error. See sitecheck(1).\n");
    return;
  }
  sc_buf_adds(out,
              "usage: sitecheck [OPTIONS] [FILE|URL...]\n"
              "       sitecheck [OPTIONS] --links URL|FILE | --crawl URL\n"
              "       sitecheck serve [--listen ADDR:PORT]... "
              "[--tls ADDR:PORT,CERT,KEY]...\n"
              "       sitecheck demo [--scale F] [--sites N]\n"
              "       sitecheck watch [OPTIONS] FILE...   (see sitecheck "
              "watch --help)\n"
              "\n"
              "Checks every URL in FILE (one per line; none or - reads "
              "stdin), each URL\n"
              "argument, the links of HTML, Markdown and sitemap files, "
              "or a whole site,\n"
              "and prints a tally of final status codes, e.g. "
              "{\"200\": 29, \"404\": 1}.\n");
  add_topics(out, cmd);
  sc_buf_adds(out,
              "\n"
              "Exit status: 0 done, 1 --fail-on matched, 2 usage or I/O "
              "error,\n"
              "3 internal error, 130/143 interrupted, 141 output closed.\n"
              "See sitecheck(1).\n");
}

int sc_opts_parse(struct sc_opts *o, int argc, char **argv) {
  return sc_opts_parse_for(o, SC_CMD_CHECK, argc, argv);
}

int sc_opts_parse_for(struct sc_opts *o, enum sc_command cmd, int argc,
                      char **argv) {
  struct sc_buf msg = {0};
  int rc = sc_opts_read_for(o, cmd, argc, argv, &msg);
  if (rc == SC_OPTS_HELP) {
    sc_opts_help_for(&msg, cmd);
    fwrite(msg.data, 1, msg.len, stdout);
  } else if (rc == SC_OPTS_VERSION) {
    printf("sitecheck %s (libcurl %s)\n", SC_VERSION,
           curl_version_info(CURLVERSION_NOW)->version);
  } else if (rc == SC_EXIT_USAGE) {
    sc_error("%s (see sitecheck %s--help)", msg.data,
             cmd == SC_CMD_WATCH ? "watch " : "");
  } else if (rc != 0) {
    sc_error("%s", msg.data ? msg.data : "internal error");
  }
  sc_buf_free(&msg);
  return rc < 0 ? -1 : rc;
}

void sc_opts_free(struct sc_opts *o) {
  sc_pins_free(o->pins);
  o->pins = NULL;
  sc_buf_free(&o->given);
  for (size_t i = 0; i < NOPTS; i++)
    if (table[i].kind == OPT_LIST) {
      struct curl_slist **l = (struct curl_slist **)((char *)o + table[i].at);
      curl_slist_free_all(*l);
      *l = NULL;
    }
}
