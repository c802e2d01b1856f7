/* opts.h - the command line of `sitecheck [OPTIONS] [FILE...]`, parsed once
 * into a read-only struct sc_opts shared by every engine. */
#ifndef SC_OPTS_H
#define SC_OPTS_H

#include <curl/curl.h>
#include <stdint.h>

struct sc_pins;
#include "util.h"

/* SC_VERSION, the version string, comes from the file VERSION (Makefile). */

enum sc_format { SC_FORMAT_JSONL, SC_FORMAT_CSV };
enum sc_show { SC_SHOW_FAILURES, SC_SHOW_ALL, SC_SHOW_NONE };
enum sc_color { SC_COLOR_AUTO, SC_COLOR_ALWAYS, SC_COLOR_NEVER };

/* The commands that share the options table: `sitecheck [FILE...]` checks
 * a list once, `sitecheck watch FILE...` watches it (watch_main.c). A few
 * options belong to one of them only. */
enum sc_command { SC_CMD_CHECK, SC_CMD_WATCH };
enum sc_model {
  SC_MODEL_EVENT,
  SC_MODEL_THREAD,
  SC_MODEL_PROCESS,
  SC_MODEL_SERIAL
};

/* The --fail-on items: exact status codes, status classes (4xx), failure
 * classes, and not-ok (any result that is not OK, see --accept). */
struct sc_failon {
  uint32_t classes;          /* bit (1 << enum sc_class) per failure class */
  unsigned char codes[1000]; /* 1 for every status code that matches */
  int not_ok;                /* not-ok: every result with ok false */
  int any;                   /* at least one item given */
};

struct sc_opts {
  char **files; /* input files; "-" is stdin; never empty after parsing */
  int nfiles;
  long concurrency; /* checks in flight (per loop); 0 = the model's default */
  long timeout_ms;  /* -t: one try, its redirects and lookups */
  long connect_timeout_ms; /* 0 = same as timeout */
  long check_timeout_ms;   /* the whole check, retries included; 0 = none */
  int follow;
  long max_redirects;
  int location_trusted; /* -H also on redirects to other origins */
  int head;      /* -X HEAD (falls back to GET where servers refuse HEAD) */
  long retries;  /* extra tries for transient failures */
  long per_host; /* checks in flight per host, 0 = no limit */
  int use_cares; /* resolve with c-ares (default) or libcurl */
  const char *dns_servers; /* --dns-servers, NULL: the system's */
  int family;              /* 0 both, 4 or 6 */
  const char *proxy;       /* -x/--proxy URL, NULL: libcurl's *_proxy env */
  int dedup;               /* --dedup: check each distinct URL once */
  int reuse;               /* keep connections for reuse (see check.c) */
  int fresh_tls;           /* a full TLS handshake every time: no session
                              resumed (watch) */
  double rate, host_rate;  /* check starts per second, 0 = no limit */
  long max_retry_wait_ms;  /* longest backoff or Retry-After we wait */
  struct curl_slist *headers;
  struct curl_slist *resolve;
  struct sc_pins *pins; /* --resolve indexed by host:port (pins.h) */
  const char *user_agent;
  int insecure;
  const char *cacert;
  struct sc_failon failon;
  unsigned char accept[1000]; /* --accept: 1 for every status that is OK */
  int accept_given;           /* else accept[] is the default */
  int quiet;
  int progress;       /* -1 = auto (stderr is a terminal and not -q) */
  const char *output; /* NULL: tally only; "-": records on stdout */
  const char *report; /* --report FILE.html, or NULL */
  enum sc_format format;
  enum sc_show show; /* the lines about results on stderr (-q: none) */
  long show_max;     /* --show failures lists at most this many */
  enum sc_color color;
  enum sc_model model;
  long loops;          /* event model; 0 = auto, resolved in main.c */
  struct sc_buf given; /* the options as given, for a summary: header
                          values and passwords in URLs masked */
  /* sitecheck watch only: */
  enum sc_command command; /* what was parsed */
  long every_ms;           /* --every: each URL is checked once per ... */
  long down_after;         /* results the other way before a change */
  const char *listen;      /* --listen ADDR:PORT of /metrics and /probe */
  const char *probe_allow; /* --probe-allow: ERE of targets /probe takes */
  /* Links and crawling (links.h): */
  struct curl_slist *links;   /* --links URL|FILE: documents to read */
  const char *crawl;          /* --crawl URL, or NULL */
  int input_format;           /* enum sc_input_kind, or -1: by content */
  const char *base;           /* --base URL for local documents, or NULL */
  struct curl_slist *include; /* --include REGEX (POSIX ERE) */
  struct curl_slist *exclude; /* --exclude REGEX */
  long depth;                 /* --depth, -1 = unlimited */
  long max_pages;             /* pages read at most */
  long max_urls;              /* distinct URLs at most */
  long max_page_size;         /* bytes of a page read at most */
  int ignore_robots, exclude_private, exclude_loopback, check_fragments;
};

/* What sc_opts_read returns for -h and -V (besides 0 and exit statuses). */
#define SC_OPTS_HELP (-1)
#define SC_OPTS_VERSION (-2)

/* Parses argv into *o (argv must outlive o: strings point into it),
 * printing nothing. Every option comes from one table in opts.c, which
 * also generates --help and getopt's long options; checks that involve
 * more than one option run after the whole command line is read. Returns
 * 0; SC_OPTS_HELP or SC_OPTS_VERSION when -h or -V comes before any bad
 * option; SC_EXIT_USAGE with a one-line message (no "sitecheck: ", no
 * newline) appended to err; or SC_EXIT_INTERNAL. Call sc_opts_free in
 * every case. */
int sc_opts_read(struct sc_opts *o, int argc, char **argv, struct sc_buf *err);

/* sc_opts_read, and says what it found: a usage error as one line
 * "sitecheck: ... (see sitecheck --help)" on stderr, returning
 * SC_EXIT_USAGE; --help or --version on stdout, returning -1 (the caller
 * exits 0); returns 0 otherwise. */
int sc_opts_parse(struct sc_opts *o, int argc, char **argv);

/* Appends the --help text to out: usage, then the options grouped by
 * topic, each with its default, wrapped to 80 columns. */
void sc_opts_help(struct sc_buf *out);

/* sc_opts_read, sc_opts_parse and sc_opts_help for one command: an
 * option of the other command only is a usage error ("--dedup does not
 * apply to sitecheck watch"), and --help lists the command's options. The
 * functions above are these for SC_CMD_CHECK. For SC_CMD_WATCH, argv[0]
 * is "watch" and at least one FILE (not stdin) is needed. */
int sc_opts_read_for(struct sc_opts *o, enum sc_command cmd, int argc,
                     char **argv, struct sc_buf *err);
int sc_opts_parse_for(struct sc_opts *o, enum sc_command cmd, int argc,
                      char **argv);
void sc_opts_help_for(struct sc_buf *out, enum sc_command cmd);

/* Releases what sc_opts_read (or sc_opts_parse) allocated. */
void sc_opts_free(struct sc_opts *o);

/* Name of a model ("event", ...). */
const char *sc_model_name(enum sc_model m);

#endif
