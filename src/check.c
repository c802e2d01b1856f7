/* check.c - see check.h. */
#include "check.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pins.h"
#include "resolver.h"
#include "url.h"
#include "util.h"

/* libcurl's minimum receive buffer: its default, 16 KiB per handle, would
 * cost memory in proportion to the checks in flight, and a check reads
 * little more than a head. */
#define RECV_BUFFER 1024

int sc_core_global_init(void) {
  signal(SIGPIPE, SIG_IGN);
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* True when libcurl will send this check through a proxy (-x, or the
 * *_proxy variables libcurl reads): then the proxy resolves the name, and
 * a lookup of ours would be wasted or even wrong (a name only the proxy
 * knows). no_proxy is not interpreted here: with a proxy variable set, we
 * simply leave every lookup to libcurl. */
static int proxied(const struct sc_opts *o) {
  static const char *const vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
                                     "all_proxy", "ALL_PROXY"};
  if (o->proxy) return 1;
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return 1;
  }
  return 0;
}

/* Whether this check keeps its connection for the next URL of its host,
 * decided when its final head is in: reuse is on for the run (opts.c) and
 * the engine's keep_fn expects more checks of the host. It is asked then
 * rather than at the start because more is known: the first check of a
 * host starts before the host's second URL is read, so a decision at the
 * start would close connections the next URLs need. Without a keep_fn (a
 * worker process), the job's start-time hint decides (job.h, alone). */
static int keeps_connection(const struct sc_check *c) {
  if (!c->o->reuse) return 0;
  return c->keep_fn ? c->keep_fn(c->keep_arg, &c->job) : !c->job.alone;
}

/* Whether this try asks with HEAD: -X HEAD, unless it was refused or the
 * body is to be read. */
static int uses_head(const struct sc_check *c) {
  return c->o->head && !c->use_get && !c->job.read;
}

/* Ends the reading of this try's body, if any (complete: all of it came). */
static void close_page(struct sc_check *c, int complete) {
  if (!c->page) return;
  c->body->close(c->page, complete);
  c->page = NULL;
}

void sc_check_init(struct sc_check *c, const struct sc_opts *o,
                   atomic_int *stop, int abortable) {
  memset(c, 0, sizeof *c);
  c->o = o;
  c->stop = stop;
  c->abortable = abortable;
  c->proxied = proxied(o);
  c->easy = curl_easy_init();
  if (!c->easy) sc_oom();
}

void sc_check_cleanup(struct sc_check *c) {
  close_page(c, 0);
  if (c->easy) curl_easy_cleanup(c->easy);
  c->easy = NULL;
  sc_buf_free(&c->chain);
  sc_buf_free(&c->resolve_entry);
  sc_job_clear(&c->job);
}

/* True when a Location value leads off the web: an absolute URL whose
 * scheme is not http or https. Relative and scheme-relative ones stay. */
static int location_off_web(const char *v, size_t n) {
  size_t i = 0;
  if (n == 0 || !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')))
    return 0;
  while (i < n &&
         ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
          (v[i] >= '0' && v[i] <= '9') || v[i] == '+' || v[i] == '-' ||
          v[i] == '.'))
    i++;
  if (i >= n || v[i] != ':') return 0;
  return !((i == 4 && strncasecmp(v, "http", 4) == 0) ||
           (i == 5 && strncasecmp(v, "https", 5) == 0));
}

/* Copies a header value, trimmed, into out (cut to fit). */
static void header_value(const char *v, size_t n, char *out, size_t cap) {
  while (n && (*v == ' ' || *v == '\t')) v++, n--;
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
  if (n >= cap) n = cap - 1;
  memcpy(out, v, n);
  out[n] = '\0';
}

/* Remembers when the peer's certificate expires, while the TLS connection
 * is still there to ask (a status line has just arrived over it). */
static void note_certificate(struct sc_check *c) {
  struct curl_tlssessioninfo *ti = NULL;
  c->cert_expiry = 0;
  if (curl_easy_getinfo(c->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
      !ti || ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
    return;
  X509 *cert = SSL_get0_peer_certificate((SSL *)ti->internals);
  struct tm tm;
  if (cert && ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
    c->cert_expiry = (int64_t)timegm(&tm);
}

/* A Retry-After value in milliseconds from now: delta-seconds or an HTTP
 * date (RFC 9110 10.2.3); -1 if unreadable. */
static long parse_retry_after(const char *v, size_t n) {
  char tmp[64];
  header_value(v, n, tmp, sizeof tmp);
  if (tmp[0] >= '0' && tmp[0] <= '9') {
    long secs;
    if (sc_parse_long(tmp, 0, 86400 * 365, &secs) != 0) return -1;
    return secs * 1000;
  }
  time_t when = curl_getdate(tmp, NULL);
  if (when < 0) return -1;
  double ms = difftime(when, time(NULL)) * 1000.0;
  return ms < 0 ? 0 : ms > 86400e3 * 365 ? -1 : (long)ms;
}

/* Whether a Location value (n bytes) that libcurl is about to follow
 * leads to a host:port, other than the check's own, with a --resolve entry
 * of its own. libcurl follows a redirect within the transfer, knowing only
 * the entries it was handed when the transfer started (see prepare). */
static int location_pinned(const struct sc_check *c, const char *v, size_t n) {
  if (!c->o->pins || !c->o->follow || c->pins_all) return 0;
  /* Only an absolute or scheme-relative target can change the host. */
  if (!(n > 2 && v[0] == '/' && v[1] == '/') &&
      !(n > 5 && strncasecmp(v, "http", 4) == 0 && memchr(v, ':', n)))
    return 0;
  char *base = NULL, *host = NULL, *port = NULL, *loc = sc_xstrndup(v, n);
  int pinned = 0;
  CURLU *u = curl_url();
  curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &base);
  if (u && base && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, CURLU_PUNYCODE) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    long p = strtol(port, NULL, 10);
    pinned = sc_pins_has(c->o->pins, host, p) &&
             !(p == c->job.port && strcasecmp(host, c->job.host) == 0);
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  free(loc);
  return pinned;
}

#define BODY_KEEP 16384     /* body bytes read for the sake of reuse */
#define BODY_GRACE_MS 200.0 /* and the time they may take */

/* Tracks the response heads: which one is final, and whether a redirect
 * will be followed. */
static size_t on_header(char *buf, size_t size, size_t n, void *ud) {
  struct sc_check *c = ud;
  size_t len = size * n;
  if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
    c->head_final = 0;
    c->redirect_3xx = 0;
    c->off_web = 0;
    c->to_invalid = c->to_pinned = 0;
    c->server[0] = '\0';
    note_certificate(c);
  } else if (len >= 12 && strncasecmp(buf, "retry-after:", 12) == 0) {
    c->retry_after_ms = parse_retry_after(buf + 12, len - 12);
  } else if (len >= 7 && strncasecmp(buf, "server:", 7) == 0) {
    header_value(buf + 7, len - 7, c->server, sizeof c->server);
  } else if (len >= 9 && strncasecmp(buf, "location:", 9) == 0) {
    const char *v = buf + 9;
    size_t vn = len - 9;
    while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
      vn--;
    c->redirect_3xx = 1;
    c->off_web = location_off_web(v, vn);
    c->to_invalid = !c->off_web && sc_url_location_is_invalid(v, vn);
    c->to_pinned = !c->off_web && !c->to_invalid && location_pinned(c, v, vn);
  } else if (len <= 2 && (buf[0] == '\r' || buf[0] == '\n')) {
    long code = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 || code < 100) {
      char *url = NULL;
      curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &url);
      sc_buf_printf(&c->chain, "%ld %s\n", code, url ? url : "");
      int follows = c->o->follow && code >= 300 && code < 400 &&
                    c->redirect_3xx && !c->off_web;
      c->head_final = !follows;
      /* Following to a .invalid host would ask DNS for a name that never
       * resolves (RFC 6761): stop here and report it as `dns`. */
      if (follows && c->to_invalid) return 0;
      /* The next hop needs a --resolve entry this transfer was not given:
       * stop, and try again with every entry (sc_check_finish). */
      if (follows && c->to_pinned) {
        c->pins_all = 1;
        return 0;
      }
      if (c->head_final && !uses_head(c)) {
        /* A page to read (body mode): its body goes to the engine's
         * reader, to the end or until the reader has enough. */
        if (c->body && c->job.read && code >= 200 && code < 300) {
          char *at = NULL, *ctype = NULL;
          curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &at);
          curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ctype);
          c->page = c->body->open(c->body_arg, &c->job, at ? at : "", ctype);
          if (c->page) return len;
        }
        /* The final head is complete: that is the answer. Without reuse,
         * stop now (no need to wait for a body that may never come); with
         * it, give a small body BODY_GRACE_MS to arrive in full. */
        c->keep = keeps_connection(c);
        if (!c->keep) {
          c->body_stop = 1;
          return 0;
        }
        c->body_until = sc_now_ms() + BODY_GRACE_MS;
      }
    }
  }
  return len;
}

/* Body bytes of the final response. Normally the transfer has already
 * stopped at the end of the head (see on_header). Where connections are
 * reused, a small body that comes at once (at most BODY_KEEP bytes within
 * BODY_GRACE_MS of the head's end) is read to its end instead, so the
 * connection survives for the next URL of the same host; anything larger
 * or slower is cut. */
static size_t on_body(char *buf, size_t size, size_t n, void *ud) {
  struct sc_check *c = ud;
  if (c->page) {
    if (c->body->data(c->page, buf, size * n) == 0) return size * n;
    c->body_stop = 1; /* the reader has what it wants */
    return CURL_WRITEFUNC_ERROR;
  }
  if (c->keep && !c->body_stop) {
    c->body_bytes += size * n;
    if (c->body_bytes <= BODY_KEEP) return size * n;
  }
  c->body_stop = 1;
  return CURL_WRITEFUNC_ERROR;
}

/* Ends a blocking transfer when the run stops, and a kept body that is
 * taking longer than its grace. */
static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t x,
                       curl_off_t y) {
  struct sc_check *c = ud;
  (void)a, (void)b, (void)x, (void)y;
  if (c->body_until > 0 && sc_now_ms() > c->body_until) {
    c->body_stop = 1;
    return 1;
  }
  return c->abortable && atomic_load(c->stop) != 0;
}

void sc_check_begin(struct sc_check *c) {
  c->attempts = 0;
  c->resolve_entry.len = 0;
  c->dns_ms = SC_NO_TIME;
  c->use_get = 0;
  c->pins_all = 0;
  c->t0 = sc_now_ms();
  c->rng = (uint64_t)(uintptr_t)c ^ (uint64_t)(c->t0 * 1000.0) ^ c->job.lineno;
  if (!c->rng) c->rng = 1;
}

void sc_check_prepare(struct sc_check *c) {
  const struct sc_opts *o = c->o;
  CURL *e = c->easy;
  int head = uses_head(c);
  close_page(c, 0);
  curl_easy_reset(e);
  c->attempts++;
  c->retry_after_ms = -1;
  c->head_final = c->redirect_3xx = c->off_web = c->body_stop = 0;
  c->to_invalid = c->to_pinned = 0;
  c->body_bytes = 0;
  c->body_until = 0;
  c->keep = 0;
  c->errbuf[0] = '\0';
  c->server[0] = '\0';
  c->cert_expiry = 0;
  c->chain.len = 0;
  curl_easy_setopt(e, CURLOPT_URL, c->job.url);
  curl_easy_setopt(e, CURLOPT_PRIVATE, c);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
  curl_easy_setopt(
      e, CURLOPT_CONNECTTIMEOUT_MS,
      o->connect_timeout_ms ? o->connect_timeout_ms : o->timeout_ms);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, (long)o->follow);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->max_redirects);
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)RECV_BUFFER);
  /* Without reuse, GET stops at the first body byte, which closes an
   * HTTP/1 connection, so searching the cache for a reusable one is wasted
   * work, and costly with many checks in flight to one host: libcurl walks
   * every connection to that host. HEAD leaves connections reusable, so it
   * keeps the search. Redirect hops within one check reuse either way. */
  if (!head && (!o->reuse || c->job.alone))
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_USERAGENT,
                   o->user_agent ? o->user_agent : "sitecheck/" SC_VERSION);
  /* With no CA path, libcurl's per-multi CA cache works instead of
   * re-reading the bundle for every connection (docs/DESIGN.md). */
  curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
  if (o->cacert) curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
  if (o->insecure) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (head) curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  if (o->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, o->headers);
  /* libcurl loads the whole CURLOPT_RESOLVE list into its DNS cache at
   * the start of every transfer: it gets the --resolve entry of the host
   * it requests (pins.h), not all of them. */
  struct curl_slist *pins =
      c->pins_all ? o->resolve : sc_pins_for(o->pins, c->job.host, c->job.port);
  if (c->resolve_entry.len) {
    c->resolve_node.data = c->resolve_entry.data;
    c->resolve_node.next = pins;
    curl_easy_setopt(e, CURLOPT_RESOLVE, &c->resolve_node);
    /* Our entry only has to last until the transfer has used it, and
     * libcurl walks its whole DNS cache after every transfer: with
     * thousands of new hosts a second, let entries go soon. Not after 1 s:
     * libcurl ages entries in whole seconds of time(), so an entry made at
     * the end of one second would be "stale" a moment later, and libcurl
     * would then look the name up itself. */
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 2L);
  } else if (pins) {
    curl_easy_setopt(e, CURLOPT_RESOLVE, pins);
  }
  if (o->proxy) {
    curl_easy_setopt(e, CURLOPT_PROXY, o->proxy);
  } else if (!c->proxied) {
    /* No proxy variable is set (proxied() read them at the start): saying
     * so spares libcurl reading the environment again for every transfer,
     * which shows in the per-URL profile. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "");
  }
  if (o->family)
    curl_easy_setopt(e, CURLOPT_IPRESOLVE,
                     o->family == 4 ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_V6);
  if (c->abortable || (o->reuse && !head)) {
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
  }
  /* A blocking transfer's private connection cache keeps one connection,
   * so a thread holds at most one idle descriptor (see main.c). */
  if (c->abortable) curl_easy_setopt(e, CURLOPT_MAXCONNECTS, 1L);
  if (o->reuse && !head) {
    /* Driven by socket events, libcurl visits an idle transfer only when
     * one of its timers is due, so a body that never comes would not reach
     * on_progress to be cut. A speed check that cannot fire before the
     * time limit makes libcurl look at the transfer every second. */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->timeout_ms / 1000 + 2);
  }
}

enum sc_class sc_classify(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return SC_DNS;
    case CURLE_COULDNT_CONNECT:
      return SC_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
      return SC_TIMEOUT;
    case CURLE_TOO_MANY_REDIRECTS:
      return SC_TOO_MANY_REDIRECTS;
    case CURLE_URL_MALFORMAT:
      return SC_INVALID_URL;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return SC_TLS;
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_UNSUPPORTED_PROTOCOL: /* HTTP/0.9 replies: URLs are checked */
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_FILESIZE_EXCEEDED:
      return SC_PROTOCOL;
    default:
      return SC_OTHER;
  }
}

/* Milliseconds between two of libcurl's phase marks (microseconds since
 * the start; 0 = never reached), or SC_NO_TIME. */
static double phase_ms(CURL *e, CURLINFO end, CURLINFO begin) {
  curl_off_t t1 = 0, t0 = 0;
  curl_easy_getinfo(e, end, &t1);
  if (begin) curl_easy_getinfo(e, begin, &t0);
  if (t1 <= 0 || t1 < t0) return SC_NO_TIME;
  return (double)(t1 - t0) / 1000.0;
}

/* The response facts: version, headers, certificate, phase timings. */
static void describe_response(struct sc_check *c, struct sc_result *r) {
  CURL *e = c->easy;
  struct sc_answer *a = &r->a;
  long ver = 0;
  char *ctype = NULL;
  curl_off_t clen = -1;
  curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &ver);
  sc_strcpy_cut(a->http_version, sizeof a->http_version,
                ver == CURL_HTTP_VERSION_1_0   ? "1.0"
                : ver == CURL_HTTP_VERSION_1_1 ? "1.1"
                : ver == CURL_HTTP_VERSION_2_0 ? "2"
                : ver == CURL_HTTP_VERSION_3   ? "3"
                                               : "");
  curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ctype);
  if (ctype) sc_strcpy_cut(a->content_type, sizeof a->content_type, ctype);
  curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
  a->content_length = clen;
  sc_strcpy_cut(a->server, sizeof a->server, c->server);
  a->cert_expiry = c->cert_expiry;
  if (c->cert_expiry) {
    double left = ((double)c->cert_expiry - (double)time(NULL)) / 86400.0;
    a->cert_days_left = (int32_t)floor(left);
  }
  a->ttfb_ms = phase_ms(
      e, CURLINFO_STARTTRANSFER_TIME_T,
      c->cert_expiry ? CURLINFO_APPCONNECT_TIME_T : CURLINFO_CONNECT_TIME_T);
}

static long backoff_ms(struct sc_check *c);

int sc_check_needs_lookup(const struct sc_check *c) {
  return c->o->use_cares && !c->job.ip_literal && !c->resolve_entry.len &&
         !c->proxied && !sc_pins_has(c->o->pins, c->job.host, c->job.port);
}

void sc_check_resolved(struct sc_check *c, const char *addrs, double ms) {
  c->resolve_entry.len = 0;
  sc_buf_printf(&c->resolve_entry, "+%s:%ld:%s", c->job.host, c->job.port,
                addrs);
  c->dns_ms = ms;
}

enum sc_next sc_check_unresolved(struct sc_check *c, int status,
                                 const char *why, double ms,
                                 struct sc_result *r, long *delay_ms) {
  c->attempts++; /* a lookup is a try too */
  sc_result_for_job(r, &c->job);
  r->a.cls = SC_DNS;
  r->a.time_ms = sc_now_ms() - c->t0;
  r->a.attempts = c->attempts;
  r->a.dns_ms = ms;
  sc_strcpy_cut(r->a.method, sizeof r->a.method, uses_head(c) ? "HEAD" : "GET");
  snprintf(r->a.detail, sizeof r->a.detail, "Could not resolve host: %.200s",
           why);
  *delay_ms = 0;
  /* No such name is an answer; a lookup that timed out or failed (a lost
   * datagram, an overloaded server) is worth another try, unless lookups
   * of the name have failed that way often enough already. */
  if (status == SC_RESOLVE_NXDOMAIN || status == SC_RESOLVE_FAILED_BEFORE ||
      atomic_load(c->stop) || c->attempts > c->o->retries)
    return SC_CHECK_DONE;
  *delay_ms = backoff_ms(c);
  return SC_CHECK_AGAIN;
}

/* Fills *r from the finished transfer. */
static void interpret(struct sc_check *c, CURLcode rc, struct sc_result *r) {
  long code = 0, redirects = 0;
  char *ip = NULL, *eff = NULL;
  struct sc_answer *a = &r->a;
  sc_result_for_job(r, &c->job);
  a->time_ms = sc_now_ms() - c->t0;
  a->attempts = c->attempts;
  sc_strcpy_cut(a->method, sizeof a->method, uses_head(c) ? "HEAD" : "GET");
  curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_COUNT, &redirects);
  curl_easy_getinfo(c->easy, CURLINFO_PRIMARY_IP, &ip);
  curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &eff);
  a->redirects = redirects;
  if (ip && *ip) sc_strcpy_cut(a->ip, sizeof a->ip, ip);
  /* Phase timings are libcurl's, summed over redirect hops. */
  a->dns_ms = c->dns_ms >= 0 ? c->dns_ms
                             : phase_ms(c->easy, CURLINFO_NAMELOOKUP_TIME_T, 0);
  a->connect_ms =
      phase_ms(c->easy, CURLINFO_CONNECT_TIME_T, CURLINFO_NAMELOOKUP_TIME_T);
  a->tls_ms =
      phase_ms(c->easy, CURLINFO_APPCONNECT_TIME_T, CURLINFO_CONNECT_TIME_T);
  if (c->chain.len) r->chain = c->chain.data;
  const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

  if (c->off_web && c->chain.len) {
    /* libcurl has already counted the hop it refused and moved its
     * effective URL there; the answer came from the last URL it asked,
     * the last line of the chain. Dropping the chain's final newline
     * makes that URL a string of its own (the chain reads the same). */
    c->chain.data[--c->chain.len] = '\0';
    char *nl = strrchr(c->chain.data, '\n');
    char *hop = strchr(nl ? nl + 1 : c->chain.data, ' ');
    if (hop) eff = hop + 1;
    /* Every response in the chain but the last was a redirect followed. */
    a->redirects = 0;
    for (const char *p = c->chain.data; (p = strchr(p, '\n')); p++)
      a->redirects++;
    r->final_url = eff;
  }
  if (c->head_final && code > 0) {
    a->status = (int32_t)code;
    a->cls = SC_OK;
    if (!c->off_web) r->final_url = eff;
    describe_response(c, r);
    if (c->off_web)
      snprintf(a->detail, sizeof a->detail,
               "redirect off http(s) not followed");
    else if (rc != CURLE_OK && !c->body_stop)
      snprintf(a->detail, sizeof a->detail, "after the response head: %.200s",
               why);
    return;
  }
  if (c->to_invalid) {
    a->cls = SC_DNS;
    snprintf(a->detail, sizeof a->detail,
             "redirected to a host in the .invalid domain, which never "
             "resolves (RFC 6761)");
    r->final_url = eff;
    return;
  }
  /* libcurl 7.88 takes a connection closed inside the head as the end of
   * the response; for us an incomplete head is a protocol failure. */
  a->cls = rc == CURLE_OK ? SC_PROTOCOL : sc_classify(rc);
  if (rc == CURLE_OK)
    why = "connection closed before the response head was complete";
  else if (rc == CURLE_ABORTED_BY_CALLBACK)
    why = "interrupted";
  /* libcurl 7.88 reports a header line over CURL_MAX_HTTP_HEADER as out
   * of memory; once the response has begun, that is what it means. */
  if (rc == CURLE_OUT_OF_MEMORY &&
      phase_ms(c->easy, CURLINFO_STARTTRANSFER_TIME_T, 0) != SC_NO_TIME) {
    a->cls = SC_PROTOCOL;
    why = "response head too large (a header line over 100 KB)";
  }
  sc_strcpy_cut(a->detail, sizeof a->detail, why);
  if (redirects > 0) r->final_url = eff;
}

/* Whether a result is worth another try: failures that are often gone a
 * moment later (a dropped or refused connection, a timeout, overload). */
static int transient(const struct sc_result *r, CURLcode rc, long os_errno) {
  int st = r->a.status;
  switch (r->a.cls) {
    case SC_OK:
      return st == 429 || st == 502 || st == 503 || st == 504;
    case SC_TIMEOUT:
    case SC_CONNECT:
      return 1;
    case SC_PROTOCOL:
      /* A dropped connection, not a reply that is wrong (garbage, a head
       * too large): those would be wrong again. */
      return rc == CURLE_GOT_NOTHING ||
             ((rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) &&
              (os_errno == ECONNRESET || os_errno == EPIPE ||
               os_errno == ECONNABORTED));
    default:
      return 0;
  }
}

/* Answers to HEAD that servers give when they mishandle it, where GET may
 * well succeed: refusals (405, 501), "not found"/"forbidden" from servers
 * and signed URLs that only know GET, and broken replies. */
static int head_refused(const struct sc_result *r) {
  int st = r->a.status;
  if (r->a.cls == SC_PROTOCOL) return 1;
  return st == 400 || st == 403 || st == 404 || st == 405 || st == 406 ||
         st == 500 || st == 501;
}

/* Exponential backoff from 250 ms after try c->attempts, with jitter in
 * [0.5, 1.5), capped by --max-retry-wait. */
static long backoff_ms(struct sc_check *c) {
  double jitter = 0.5 + sc_rand_unit(&c->rng);
  int k = c->attempts < 1 ? 0 : c->attempts > 16 ? 15 : c->attempts - 1;
  long wait = (long)(250.0 * (double)(1u << k) * jitter);
  return wait > c->o->max_retry_wait_ms ? c->o->max_retry_wait_ms : wait;
}

enum sc_next sc_check_finish(struct sc_check *c, CURLcode rc,
                             struct sc_result *r, long *delay_ms) {
  close_page(c, rc == CURLE_OK);
  interpret(c, rc, r);
  *delay_ms = 0;
  if (c->to_pinned && c->pins_all) {
    c->attempts--; /* stopped for the entries (on_header): not a try */
    return SC_CHECK_AGAIN;
  }
  if (atomic_load(c->stop)) return SC_CHECK_DONE;
  if (uses_head(c) && head_refused(r)) {
    c->use_get = 1;
    c->attempts--; /* the GET completes this try */
    return SC_CHECK_AGAIN;
  }
  long os_errno = 0;
  curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os_errno);
  if (c->attempts > c->o->retries || !transient(r, rc, os_errno))
    return SC_CHECK_DONE;
  long wait;
  if (c->retry_after_ms >= 0) {
    wait = c->retry_after_ms;
    if (wait > c->o->max_retry_wait_ms) {
      snprintf(r->a.detail, sizeof r->a.detail,
               "not retried: Retry-After %.0f s exceeds --max-retry-wait",
               (double)wait / 1000);
      return SC_CHECK_DONE;
    }
  } else {
    wait = backoff_ms(c);
  }
  *delay_ms = wait;
  return SC_CHECK_AGAIN;
}

/* Sleeps ms in short steps so that a stop request (*stop) is noticed;
 * returns -1 if the run is stopping. */
static int pause_ms(atomic_int *stop, long ms) {
  double until = sc_now_ms() + (double)ms;
  while (sc_now_ms() < until) {
    if (atomic_load(stop)) return -1;
    double left = until - sc_now_ms();
    struct timespec ts = {0, (long)((left > 100 ? 100 : left) * 1e6)};
    nanosleep(&ts, NULL);
  }
  return atomic_load(stop) ? -1 : 0;
}

int sc_check_run_blocking(struct sc_check *c, struct sc_result *r) {
  long delay;
  sc_check_begin(c);
  while (sc_check_needs_lookup(c)) {
    char addrs[4096], err[256];
    double t = sc_now_ms();
    int st = sc_resolve_blocking(
        c->dns, c->job.host, c->o->dns_servers, c->o->family,
        c->o->connect_timeout_ms ? c->o->connect_timeout_ms : c->o->timeout_ms,
        addrs, sizeof addrs, err, sizeof err);
    if (st == SC_RESOLVE_OK) {
      sc_check_resolved(c, addrs, sc_now_ms() - t);
      break;
    }
    if (sc_check_unresolved(c, st, err, sc_now_ms() - t, r, &delay) ==
        SC_CHECK_DONE)
      return 0;
    if (pause_ms(c->stop, delay) != 0) return -1;
  }
  for (;;) {
    sc_check_prepare(c);
    CURLcode rc = curl_easy_perform(c->easy);
    if (rc == CURLE_ABORTED_BY_CALLBACK && atomic_load(c->stop)) return -1;
    if (sc_check_finish(c, rc, r, &delay) == SC_CHECK_DONE) return 0;
    if (pause_ms(c->stop, delay) != 0) return -1;
  }
}
