/* opts.c - see opts.h. */
#include "opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "record.h"
#include "run.h"
#include "util.h"

static const char usage_text[] =
    "usage: sitecheck [OPTIONS] [FILE...]\n"
    "       sitecheck serve [--listen ADDR:PORT]...\n"
    "       sitecheck demo [--scale F] [--sites N]\n"
    "\n"
    "Checks every URL in FILE (one per line; none or - reads stdin) and\n"
    "prints a tally of final status codes, e.g. {\"200\": 29, \"404\": 1}.\n"
    "\n"
    "  -c, --concurrency N     checks in flight (event 256, thread 128,\n"
    "                          process 3, serial 1)\n"
    "  -t, --timeout SEC       time limit of a whole check (default 10)\n"
    "      --connect-timeout SEC  limit for name lookup + connect + TLS\n"
    "      --no-follow         report 3xx instead of following redirects\n"
    "      --max-redirects N   redirects to follow at most (default 10)\n"
    "  -X, --method GET|HEAD   request method (default GET, body not read;\n"
    "                          HEAD falls back to GET where refused)\n"
    "      --retries N         retries of transient failures (default 1)\n"
    "      --per-host N        checks in flight per host (default 8, 0 = any)\n"
    "      --rate R            check starts per second, overall\n"
    "      --dns-servers LIST  ADDR[:PORT],... to resolve with (default: the\n"
    "                          system's)\n"
    "  -4, -6                  IPv4 or IPv6 addresses only (default both)\n"
    "  -x, --proxy URL         use this proxy (default: the *_proxy "
    "variables)\n"
    "      --dedup             check a repeated URL once; later lines get a\n"
    "                          record marked duplicate_of the first line\n"
    "      --resolver R        cares (default: on the loop) or curl "
    "(libcurl's\n"
    "                          thread per lookup)\n"
    "      --host-rate R       check starts per second, per host\n"
    "      --max-retry-wait SEC  longest wait before a retry (default 30)\n"
    "  -H, --header 'N: V'     extra request header (repeatable)\n"
    "  -A, --user-agent STR    User-Agent (default sitecheck/" SC_VERSION
    ")\n"
    "  -k, --insecure          do not verify TLS certificates\n"
    "      --cacert FILE       trust the CA certificates in FILE\n"
    "      --resolve H:P:ADDR  use ADDR for host H port P (as curl's)\n"
    "      --fail-on LIST      exit 1 if a result matches, e.g. "
    "4xx,5xx,timeout\n"
    "  -o, --output FILE       write one record per URL (- for stdout)\n"
    "      --format jsonl|csv  record format (default jsonl)\n"
    "  -m, --model MODEL       event (default), thread, process or serial\n"
    "      --loops N|auto      event model: N loops in N threads (default\n"
    "                          auto: one per CPU, at most one per 64 checks)\n"
    "  -q, --quiet             no summary line or warnings on stderr\n"
    "      --progress, --no-progress  progress on a terminal (default auto)\n"
    "  -h, --help              this help\n"
    "  -V, --version           version\n"
    "\n"
    "Exit status: 0 done, 1 --fail-on matched, 2 usage or I/O error,\n"
    "130/143 interrupted. See sitecheck(1).\n";

enum {
  OPT_CONNECT_TIMEOUT = 256,
  OPT_NO_FOLLOW,
  OPT_MAX_REDIRECTS,
  OPT_CACERT,
  OPT_RESOLVE,
  OPT_FAIL_ON,
  OPT_PROGRESS,
  OPT_NO_PROGRESS,
  OPT_FORMAT,
  OPT_LOOPS,
  OPT_RETRIES,
  OPT_PER_HOST,
  OPT_RATE,
  OPT_HOST_RATE,
  OPT_DNS_SERVERS,
  OPT_DEDUP,
  OPT_RESOLVER,
  OPT_MAX_RETRY_WAIT,
};

static const struct option long_opts[] = {
    {"concurrency", required_argument, NULL, 'c'},
    {"timeout", required_argument, NULL, 't'},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"no-follow", no_argument, NULL, OPT_NO_FOLLOW},
    {"max-redirects", required_argument, NULL, OPT_MAX_REDIRECTS},
    {"method", required_argument, NULL, 'X'},
    {"header", required_argument, NULL, 'H'},
    {"user-agent", required_argument, NULL, 'A'},
    {"insecure", no_argument, NULL, 'k'},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"resolve", required_argument, NULL, OPT_RESOLVE},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"model", required_argument, NULL, 'm'},
    {"loops", required_argument, NULL, OPT_LOOPS},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"per-host", required_argument, NULL, OPT_PER_HOST},
    {"rate", required_argument, NULL, OPT_RATE},
    {"host-rate", required_argument, NULL, OPT_HOST_RATE},
    {"dns-servers", required_argument, NULL, OPT_DNS_SERVERS},
    {"proxy", required_argument, NULL, 'x'},
    {"dedup", no_argument, NULL, OPT_DEDUP},
    {"resolver", required_argument, NULL, OPT_RESOLVER},
    {"max-retry-wait", required_argument, NULL, OPT_MAX_RETRY_WAIT},
    {"quiet", no_argument, NULL, 'q'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

static const char *const model_names[] = {"event", "thread", "process",
                                          "serial"};

const char *sc_model_name(enum sc_model m) {
  return model_names[m];
}

static int usage_error(const char *fmt, const char *arg) {
  fputs("sitecheck: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs(" (see sitecheck --help)\n", stderr);
  return SC_EXIT_USAGE;
}

static int append_list(struct curl_slist **l, const char *v) {
  struct curl_slist *n = curl_slist_append(*l, v);
  if (!n) return -1;
  *l = n;
  return 0;
}

int sc_opts_parse(struct sc_opts *o, int argc, char **argv) {
  static char *stdin_only[] = {"-", NULL};
  long v;
  int c, loops_given = 0;
  memset(o, 0, sizeof *o);
  o->timeout_ms = 10000;
  o->follow = 1;
  o->max_redirects = 10;
  o->retries = 1;
  o->per_host = 8;
  o->use_cares = 1;
  o->max_retry_wait_ms = 30000;
  o->progress = -1;
  o->loops = 0; /* auto: main.c */
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":c:t:X:H:A:ko:m:qhV46x:", long_opts,
                          NULL)) != -1) {
    switch (c) {
      case 'c':
        if (sc_parse_long(optarg, 1, 1000000, &v))
          return usage_error(
              "-c needs a whole number from 1 to 1000000, "
              "not '%s'",
              optarg);
        o->concurrency = v;
        break;
      case 't':
        if (sc_parse_seconds(optarg, &v) || v <= 0)
          return usage_error("-t needs a positive number of seconds, not '%s'",
                             optarg);
        o->timeout_ms = v;
        break;
      case OPT_CONNECT_TIMEOUT:
        if (sc_parse_seconds(optarg, &v) || v <= 0)
          return usage_error(
              "--connect-timeout needs a positive number of "
              "seconds, not '%s'",
              optarg);
        o->connect_timeout_ms = v;
        break;
      case OPT_NO_FOLLOW:
        o->follow = 0;
        break;
      case OPT_MAX_REDIRECTS:
        if (sc_parse_long(optarg, 0, 1000, &v))
          return usage_error(
              "--max-redirects needs a whole number from 0 to "
              "1000, not '%s'",
              optarg);
        o->max_redirects = v;
        break;
      case 'X':
        if (strcasecmp(optarg, "GET") == 0)
          o->head = 0;
        else if (strcasecmp(optarg, "HEAD") == 0)
          o->head = 1;
        else
          return usage_error("-X takes GET or HEAD, not '%s'", optarg);
        break;
      case 'H': {
        size_t hl = strlen(optarg);
        if (!strchr(optarg, ':') && !(hl && optarg[hl - 1] == ';'))
          return usage_error("-H needs 'Name: value', not '%s'", optarg);
        if (append_list(&o->headers, optarg)) return SC_EXIT_INTERNAL;
        break;
      }
      case 'A':
        o->user_agent = optarg;
        break;
      case 'k':
        o->insecure = 1;
        break;
      case OPT_CACERT:
        if (access(optarg, R_OK) != 0)
          return usage_error("cannot read --cacert file '%s'", optarg);
        o->cacert = optarg;
        break;
      case OPT_RESOLVE: {
        const char *a = strchr(optarg, ':');
        if (!a || !strchr(a + 1, ':'))
          return usage_error("--resolve needs HOST:PORT:ADDR, not '%s'",
                             optarg);
        if (append_list(&o->resolve, optarg)) return SC_EXIT_INTERNAL;
        break;
      }
      case OPT_FAIL_ON: {
        char *bad = NULL;
        if (sc_failon_parse(&o->failon, optarg, &bad) != 0) {
          usage_error(
              "unknown --fail-on item '%s' (use codes like 404, "
              "classes like 5xx, failure classes or 'error')",
              bad);
          free(bad);
          return SC_EXIT_USAGE;
        }
        break;
      }
      case 'o':
        if (!*optarg) return usage_error("-o needs a file name%s", "");
        o->output = optarg;
        break;
      case OPT_FORMAT:
        if (strcmp(optarg, "jsonl") == 0)
          o->format = SC_FORMAT_JSONL;
        else if (strcmp(optarg, "csv") == 0)
          o->format = SC_FORMAT_CSV;
        else
          return usage_error("--format takes jsonl or csv, not '%s'", optarg);
        break;
      case 'm': {
        int found = 0;
        for (int i = 0; i < 4; i++)
          if (strcmp(optarg, model_names[i]) == 0) {
            o->model = (enum sc_model)i;
            found = 1;
          }
        if (!found)
          return usage_error(
              "-m takes event, thread, process or serial, "
              "not '%s'",
              optarg);
        break;
      }
      case OPT_LOOPS:
        if (strcmp(optarg, "auto") == 0)
          v = 0;
        else if (sc_parse_long(optarg, 1, 256, &v))
          return usage_error(
              "--loops needs auto or a whole number from 1 to 256, "
              "not '%s'",
              optarg);
        o->loops = v;
        loops_given = 1;
        break;
      case OPT_RETRIES:
        if (sc_parse_long(optarg, 0, 100, &v))
          return usage_error(
              "--retries needs a whole number from 0 to 100, "
              "not '%s'",
              optarg);
        o->retries = v;
        break;
      case '4':
      case '6':
        o->family = c - '0';
        break;
      case 'x':
        if (!*optarg) return usage_error("-x needs a proxy URL%s", "");
        o->proxy = optarg;
        break;
      case OPT_DEDUP:
        o->dedup = 1;
        break;
      case OPT_DNS_SERVERS:
        if (!*optarg)
          return usage_error("--dns-servers needs ADDR[:PORT],...%s", "");
        o->dns_servers = optarg;
        break;
      case OPT_RESOLVER:
        if (strcmp(optarg, "cares") == 0)
          o->use_cares = 1;
        else if (strcmp(optarg, "curl") == 0)
          o->use_cares = 0;
        else
          return usage_error("--resolver takes cares or curl, not '%s'",
                             optarg);
        break;
      case OPT_PER_HOST:
        if (sc_parse_long(optarg, 0, 1000000, &v))
          return usage_error(
              "--per-host needs a whole number (0 = no limit), "
              "not '%s'",
              optarg);
        o->per_host = v;
        break;
      case OPT_RATE:
      case OPT_HOST_RATE: {
        /* A rate is parsed like seconds: a non-negative decimal. */
        if (sc_parse_seconds(optarg, &v) || v == 0)
          return usage_error(
              "--rate and --host-rate need a positive number "
              "of checks per second, not '%s'",
              optarg);
        *(c == OPT_RATE ? &o->rate : &o->host_rate) = (double)v / 1000.0;
        break;
      }
      case OPT_MAX_RETRY_WAIT:
        if (sc_parse_seconds(optarg, &v))
          return usage_error(
              "--max-retry-wait needs a number of seconds, "
              "not '%s'",
              optarg);
        o->max_retry_wait_ms = v;
        break;
      case 'q':
        o->quiet = 1;
        break;
      case OPT_PROGRESS:
        o->progress = 1;
        break;
      case OPT_NO_PROGRESS:
        o->progress = 0;
        break;
      case 'h':
        fputs(usage_text, stdout);
        return -1;
      case 'V':
        printf("sitecheck %s (libcurl %s)\n", SC_VERSION,
               curl_version_info(CURLVERSION_NOW)->version);
        return -1;
      case ':':
        return usage_error("option '%s' needs a value", argv[optind - 1]);
      default:
        return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (loops_given && o->model != SC_MODEL_EVENT && o->loops > 1)
    return usage_error("--loops applies to the event model only (-m %s)",
                       model_names[o->model]);
  if (o->dns_servers && !o->use_cares)
    return usage_error(
        "--dns-servers needs the c-ares resolver, not "
        "--resolver curl%s",
        "");
  if (o->model == SC_MODEL_SERIAL && o->concurrency > 1)
    return usage_error(
        "-m serial checks one URL at a time; -c above 1 "
        "cannot apply%s",
        "");
  if (!o->concurrency) {
    static const long defaults[] = {256, 128, 3, 1};
    o->concurrency = defaults[o->model];
  }
  /* Connection reuse pays where URLs share a host. libcurl's search of its
   * cache walks every connection to the host, so it is on only while that
   * walk is short: a per-host limit up to 256 (the default is 8), or no
   * limit and at most 1024 checks in flight. Beyond that (10,000 in
   * flight to one host) it costs more than it saves. */
  o->reuse = o->per_host > 0 ? o->per_host <= 256 : o->concurrency <= 1024;
  if (optind < argc) {
    o->files = argv + optind;
    o->nfiles = argc - optind;
  } else {
    o->files = stdin_only;
    o->nfiles = 1;
  }
  return 0;
}

void sc_opts_free(struct sc_opts *o) {
  curl_slist_free_all(o->headers);
  curl_slist_free_all(o->resolve);
  o->headers = o->resolve = NULL;
}
