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

#include "htab.h"
#include "pins.h"
#include "redact.h"
#include "resolver.h"
#include "url.h"
#include "util.h"

/* libcurl's minimum receive buffer: its default, 16 KiB per handle, would
 * cost memory in proportion to the checks in flight, and a check reads
 * little more than a head. A page to read (body mode) gets the default:
 * libcurl 7.88 stalls on an HTTP/2 DATA frame several times larger than
 * the buffer (it pauses the stream and does not resume it until more
 * comes from the socket), and frames are up to 16 KiB. */
#define RECV_BUFFER 1024
#define PAGE_BUFFER 16384

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

/* True when URL url is https (URLs here are normalized: lower-case
 * scheme). */
static int is_https(const char *url) {
  return strncmp(url, "https:", 6) == 0;
}

/* Whether the transfer's response came over a multiplexed connection
 * (HTTP/2 or 3): there a transfer stopped early resets only its own
 * stream (RST_STREAM) and leaves the connection usable, where HTTP/1
 * has to close it. */
static int multiplexed(const struct sc_check *c) {
  long ver = 0;
  curl_easy_getinfo(c->easy, CURLINFO_HTTP_VERSION, &ver);
  return ver == CURL_HTTP_VERSION_2_0 || ver == CURL_HTTP_VERSION_3;
}

/* libcurl 7.88's share keeps 8 TLS sessions, the least recently used
 * going first: a set spreads servers over SESSION_SHARES shares by host
 * and port, so a list over a hundred servers keeps a session for each.
 * Plain http transfers attach to share 0: a handle with a share does not
 * allocate a session cache of its own, which libcurl otherwise gives
 * every easy handle, http or not. */
#define SESSION_SHARES 16

/* Shares of one thread: no lock functions, so libcurl takes no lock. */
struct sc_tls_sessions {
  CURLSH *sh[SESSION_SHARES]; /* each made on first use */
};

struct sc_tls_sessions *sc_tls_sessions_new(void) {
  return sc_xcalloc(1, sizeof(struct sc_tls_sessions));
}

void sc_tls_sessions_free(struct sc_tls_sessions *s) {
  if (!s) return;
  for (int i = 0; i < SESSION_SHARES; i++)
    if (s->sh[i]) curl_share_cleanup(s->sh[i]);
  free(s);
}

/* The share of set s for a transfer of url to host:port. */
static CURLSH *share_for(struct sc_tls_sessions *s, const char *url,
                         const char *host, long port) {
  size_t i = 0;
  if (is_https(url))
    i = sc_hash_u64(sc_hash_str(0, host) ^ (uint64_t)port) % SESSION_SHARES;
  if (!s->sh[i]) {
    s->sh[i] = curl_share_init();
    if (!s->sh[i] ||
        curl_share_setopt(s->sh[i], CURLSHOPT_SHARE,
                          CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
      sc_oom();
  }
  return s->sh[i];
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
  sc_buf_free(&c->location);
  sc_buf_free(&c->resolve_entry);
  sc_buf_free(&c->resolve_spare);
  free(c->hop_url);
  free(c->hop_host);
  c->hop_url = c->hop_host = NULL;
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

/* A certificate's notAfter as Unix time, or 0. */
static int64_t not_after(const X509 *cert) {
  struct tm tm;
  if (cert && ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
    return (int64_t)timegm(&tm);
  return 0;
}

/* Remembers when the peer's certificate expires, and the earliest expiry
 * in the chain it sent (on a client, OpenSSL's peer chain holds the leaf
 * too), while the TLS connection is still there to ask (a status line has
 * just arrived over it). */
static void note_certificate(struct sc_check *c) {
  struct curl_tlssessioninfo *ti = NULL;
  c->tr.cert_expiry = c->tr.cert_earliest = 0;
  if (curl_easy_getinfo(c->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
      !ti || ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
    return;
  SSL *ssl = (SSL *)ti->internals;
  c->tr.cert_expiry = c->tr.cert_earliest =
      not_after(SSL_get0_peer_certificate(ssl));
  STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
  for (int i = 0; chain && i < sk_X509_num(chain); i++) {
    int64_t t = not_after(sk_X509_value(chain, i));
    if (t && (!c->tr.cert_earliest || t < c->tr.cert_earliest))
      c->tr.cert_earliest = t;
  }
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

/* Appends "CODE URL\n" to the try's chain of responses, as
 * sc_buf_printf(b, "%ld %s\n") would, without printf: this runs for every
 * response. */
static void chain_add(struct sc_buf *b, long code, const char *url) {
  char num[24], *p = num + sizeof num;
  unsigned long v = code < 0 ? 0UL - (unsigned long)code : (unsigned long)code;
  do *--p = (char)('0' + v % 10);
  while (v /= 10);
  if (code < 0) *--p = '-';
  sc_buf_add(b, p, (size_t)(num + sizeof num - p));
  sc_buf_addc(b, ' ');
  sc_buf_adds(b, url);
  sc_buf_addc(b, '\n');
}

#define BODY_KEEP 16384     /* body bytes read for the sake of reuse */
#define BODY_GRACE_MS 200.0 /* and the time they may take */

/* Tracks the response heads of a transfer: which one is final, and
 * whether it is a redirect to follow (a 3xx with a Location that stays on
 * http(s), as libcurl would follow it: the first non-empty Location). */
static size_t on_header(char *buf, size_t size, size_t n, void *ud) {
  struct sc_check *c = ud;
  struct sc_try *t = &c->tr;
  size_t len = size * n;
  if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
    t->head_final = t->follow = t->off_web = 0;
    c->location.len = 0;
    t->server[0] = '\0';
    note_certificate(c);
  } else if (len >= 12 && strncasecmp(buf, "retry-after:", 12) == 0) {
    t->retry_after_ms = parse_retry_after(buf + 12, len - 12);
  } else if (len >= 7 && strncasecmp(buf, "server:", 7) == 0) {
    header_value(buf + 7, len - 7, t->server, sizeof t->server);
  } else if (len >= 9 && strncasecmp(buf, "location:", 9) == 0) {
    const char *v = buf + 9;
    size_t vn = len - 9;
    while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
      vn--;
    if (vn && !c->location.len) {
      sc_buf_add(&c->location, v, vn);
      t->off_web = location_off_web(v, vn);
    }
  } else if (len <= 2 && (buf[0] == '\r' || buf[0] == '\n')) {
    long code = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 || code < 100) {
      char *url = NULL;
      curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &url);
      chain_add(&c->chain, code, url ? url : "");
      t->follow = c->o->follow && code >= 300 && code < 400 &&
                  c->location.len && !t->off_web;
      t->head_final = !t->follow;
      if (uses_head(c)) return len; /* HEAD: no body */
      if (t->head_final) {
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
        t->keep = keeps_connection(c);
      }
      /* A redirect's body is read on the same terms, so that its
       * connection stays usable for the next hop (see on_body). Over a
       * multiplexed connection no body is read: stopping the stream
       * leaves the connection as usable as reading it would, and libcurl
       * 7.88 stalls reading HTTP/2 bodies through the small buffer. */
      if ((t->head_final && !t->keep) || multiplexed(c)) {
        t->body_stop = 1;
        return 0;
      }
      t->body_until = sc_now_ms() + BODY_GRACE_MS;
    }
  }
  return len;
}

/* Body bytes of the final response, or of a redirect to follow. The final
 * one has normally stopped at the end of its head (see on_header). Where
 * connections are reused, and for a redirect, a small body that comes at
 * once (at most BODY_KEEP bytes within BODY_GRACE_MS of the head's end) is
 * read to its end instead, so the connection survives for the next URL or
 * hop of the same host; anything larger or slower is cut. */
static size_t on_body(char *buf, size_t size, size_t n, void *ud) {
  struct sc_check *c = ud;
  struct sc_try *t = &c->tr;
  if (c->page) {
    if (c->body->data(c->page, buf, size * n) == 0) return size * n;
    t->body_stop = 1; /* the reader has what it wants */
    return CURL_WRITEFUNC_ERROR;
  }
  if ((t->keep || t->follow) && !t->body_stop) {
    t->body_bytes += size * n;
    if (t->body_bytes <= BODY_KEEP) return size * n;
  }
  t->body_stop = 1;
  return CURL_WRITEFUNC_ERROR;
}

/* Ends a blocking transfer when the run stops, and a kept body that is
 * taking longer than its grace. */
static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t x,
                       curl_off_t y) {
  struct sc_check *c = ud;
  (void)a, (void)b, (void)x, (void)y;
  if (c->tr.body_until > 0 && sc_now_ms() > c->tr.body_until) {
    c->tr.body_stop = 1;
    return 1;
  }
  return c->abortable && atomic_load(c->stop) != 0;
}

/* The check's time limits: -t and --connect-timeout, or the job's own
 * limit where it has one (and it is shorter). */
static long timeout_of(const struct sc_check *c) {
  return c->job.timeout_ms > 0 ? c->job.timeout_ms : c->o->timeout_ms;
}

static long connect_timeout_of(const struct sc_check *c) {
  long t = c->o->connect_timeout_ms ? c->o->connect_timeout_ms : timeout_of(c);
  return t < timeout_of(c) ? t : timeout_of(c);
}

/* Retries the check may make: --retries, or none for a job that asks so. */
static long retries_of(const struct sc_check *c) {
  return c->job.no_retry ? 0 : c->o->retries;
}

/* Starts a try, at sc_now_ms() == at, from the line's URL: no redirect
 * followed, no response yet, a -t of its own. */
static void try_from_line(struct sc_check *c, double at) {
  struct sc_try *t = &c->tr;
  t->url = c->job.url;
  t->host = c->job.host;
  t->port = c->job.port;
  t->ip_literal = c->job.ip_literal;
  t->origin = 1;
  t->hops = 0;
  t->deadline = at + (double)timeout_of(c);
  t->t_lookup = t->t_connect = t->t_tls = t->t_start = 0;
  t->dns_ms = 0;
  t->dns_any = t->entry_counted = 0;
  c->chain.len = 0;
}

void sc_check_begin(struct sc_check *c) {
  c->attempts = 0;
  c->resolve_entry.len = 0;
  c->dns_ms = SC_NO_TIME;
  c->use_get = 0;
  c->t0 = sc_now_ms();
  c->deadline =
      c->o->check_timeout_ms ? c->t0 + (double)c->o->check_timeout_ms : 0;
  c->rng = (uint64_t)(uintptr_t)c ^ (uint64_t)(c->t0 * 1000.0) ^ c->job.lineno;
  if (!c->rng) c->rng = 1;
  try_from_line(c, c->t0);
}

/* Milliseconds until the try's -t or --check-timeout runs out, whichever
 * comes first; 0 or less once it has. */
static double time_left(const struct sc_check *c) {
  double end = c->tr.deadline;
  if (c->deadline > 0 && c->deadline < end) end = c->deadline;
  return end - sc_now_ms();
}

long sc_check_time_left(const struct sc_check *c) {
  double left = ceil(time_left(c));
  return left < 1 ? 1 : (long)left;
}

/* True when --check-timeout has run out. */
static int check_ran_out(const struct sc_check *c) {
  return c->deadline > 0 && sc_now_ms() >= c->deadline - 1;
}

#define CHECK_RAN_OUT "the check's time limit (--check-timeout) ran out"

/* Whether resolve_entry holds our lookup's addresses for the hop's host
 * ("+host:port:addrs"). */
static int entry_for_host(const struct sc_check *c) {
  size_t n = strlen(c->tr.host);
  const char *e = c->resolve_entry.data;
  return c->resolve_entry.len > n + 1 && e[n + 1] == ':' &&
         memcmp(e + 1, c->tr.host, n) == 0;
}

/* Gives resolve_entry the hop's port: a redirect from http to https on
 * the same host reuses the addresses found, without another lookup. */
static void entry_for_port(struct sc_check *c) {
  const char *e = c->resolve_entry.data;
  if (strtol(e + 1 + strlen(c->tr.host) + 1, NULL, 10) == c->tr.port) return;
  struct sc_buf b = c->resolve_spare;
  const char *addrs = e + c->resolve_addrs;
  b.len = 0;
  sc_buf_printf(&b, "+%s:%ld:%s", c->tr.host, c->tr.port, addrs);
  c->resolve_addrs = b.len - strlen(addrs);
  c->resolve_spare = c->resolve_entry;
  c->resolve_entry = b;
}

/* The options every transfer of c's easy handle shares: set once after
 * each reset. The progress callback is installed here too; whether it
 * runs is the per-transfer CURLOPT_NOPROGRESS. */
static void set_invariants(struct sc_check *c) {
  const struct sc_opts *o = c->o;
  CURL *e = c->easy;
  curl_easy_setopt(e, CURLOPT_PRIVATE, c);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
  curl_easy_setopt(e, CURLOPT_USERAGENT,
                   o->user_agent ? o->user_agent : "sitecheck/" SC_VERSION);
  /* With no CA path, libcurl's per-multi CA cache works instead of
   * re-reading the bundle for every connection (docs/DESIGN.md). */
  curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
  if (o->cacert) curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
  if (o->fresh_tls) curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  if (o->insecure) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
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
  /* A blocking transfer's private connection cache keeps one connection,
   * so a thread holds at most one idle descriptor (see main.c). */
  if (c->abortable) curl_easy_setopt(e, CURLOPT_MAXCONNECTS, 1L);
}

/* Sets a per-transfer long option to v unless it has that value already
 * (*now: the value in force); set_int and set_flag for the options whose
 * values are smaller. */
static void set_long(struct sc_check *c, CURLoption opt, long *now, long v) {
  if (c->set.valid && *now == v) return;
  curl_easy_setopt(c->easy, opt, v);
  *now = v;
}

static void set_int(struct sc_check *c, CURLoption opt, int *now, int v) {
  if (c->set.valid && *now == v) return;
  curl_easy_setopt(c->easy, opt, (long)v);
  *now = v;
}

static void set_flag(struct sc_check *c, CURLoption opt, uint8_t *now, int v) {
  if (c->set.valid && *now == v) return;
  curl_easy_setopt(c->easy, opt, (long)v);
  *now = (uint8_t)v;
}

/* libcurl's default CURLOPT_DNS_CACHE_TIMEOUT, in seconds. */
#define DNS_CACHE_DEFAULT 60
/* How often an easy handle lets libcurl prune its DNS cache when the
 * transfers need no pruning of their own (see sc_check_prepare). */
#define DNS_PRUNE_MS 1000.0

/* Configures c's easy handle for the next transfer. An easy handle keeps
 * its options and more (libcurl's count of the retries it made on dead
 * connections, for one, which it caps per handle, not per transfer) from
 * one transfer to the next. Resetting it and setting every option again
 * for each transfer is a good part of a reused connection's cost, so the
 * reset comes only after a transfer that did not end plainly (see
 * sc_check_finish): then, and for the first transfer, the handle is reset
 * and the invariant options set. Every option that differs between
 * transfers is set here for each one, to the value this transfer wants,
 * libcurl's default included, and only when it changes (c->set). */
void sc_check_prepare(struct sc_check *c) {
  const struct sc_opts *o = c->o;
  struct sc_try *t = &c->tr;
  CURL *e = c->easy;
  int head = uses_head(c);
  close_page(c, 0);
  if (!c->easy_plain) {
    curl_easy_reset(e);
    set_invariants(c);
    c->set.valid = 0;
  }
  c->easy_plain = 0; /* until sc_check_finish finds the transfer plain */
  long buffer = c->job.read ? PAGE_BUFFER : RECV_BUFFER;
  if ((!c->set.valid || c->set.buffer != buffer) &&
      curl_easy_setopt(e, CURLOPT_BUFFERSIZE, buffer) != CURLE_OK) {
    /* libcurl 7.88 frees a handle's receive buffer when its transfer ends,
     * except when other transfers still use the connection (HTTP/2
     * streams); it then refuses a new size, while a curl_easy_reset has
     * made it believe the buffer is its default 16 KiB, and the next
     * response's data would overrun the small one. A new handle has no
     * buffer yet; the connections stay in the multi handle's cache. */
    curl_easy_cleanup(e);
    c->easy = e = curl_easy_init();
    if (!e) sc_oom();
    set_invariants(c);
    c->set.valid = 0;
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, buffer);
  }
  c->set.buffer = buffer;
  /* Attached before the handle's first transfer: once libcurl has given a
   * handle a session cache of its own, a share would replace it without
   * freeing it. A reset keeps the share but not its size, so the share is
   * set again after one. */
  if (c->tls) {
    CURLSH *sh = share_for(c->tls, t->url, t->host, t->port);
    if (!c->set.valid || sh != c->set.share) {
      curl_easy_setopt(e, CURLOPT_SHARE, sh);
      c->set.share = sh;
    }
  }
  if (!t->hops) c->attempts++;
  t->retry_after_ms = -1;
  t->head_final = t->follow = t->off_web = t->body_stop = t->keep = 0;
  t->body_bytes = 0;
  t->body_until = 0;
  t->server[0] = '\0';
  t->cert_expiry = 0;
  c->location.len = 0;
  c->errbuf[0] = '\0';
  curl_easy_setopt(e, CURLOPT_URL, t->url);
  /* What is left of the try's -t (or of --check-timeout): the hops of a
   * try share one time limit, as they did when libcurl followed them. */
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, sc_check_time_left(c));
  set_long(c, CURLOPT_CONNECTTIMEOUT_MS, &c->set.connect_ms,
           connect_timeout_of(c));
  /* Without reuse, GET stops at the first body byte, which closes an
   * HTTP/1 connection, so searching the cache for a reusable one is wasted
   * work, and costly with many checks in flight to one host: libcurl walks
   * every connection to that host. HEAD leaves connections reusable, so it
   * keeps the search. Redirect hops within one check reuse either way. */
  int fresh = !head && !t->hops && (!o->reuse || c->job.alone);
  set_flag(c, CURLOPT_FRESH_CONNECT, &c->set.fresh, fresh);
  /* HTTP/2, which libcurl offers over TLS (ALPN): a transfer that may
   * reuse waits for the protocol answer of a connection to its host still
   * being set up, instead of opening one of its own, so checks of one host
   * started together share one connection. Against HTTP/1.1 the checks
   * started with the first have waited for its handshake; later ones no
   * longer wait (libcurl remembers the answer while it keeps a connection
   * to the host). Only where one multi handle runs transfers side by side
   * (the event loop; a blocking transfer runs alone in its own), and not
   * for plain http, which is never multiplexed and would only wait. */
  set_flag(c, CURLOPT_PIPEWAIT, &c->set.pipewait,
           !fresh && !c->abortable && is_https(t->url));
  set_flag(c, CURLOPT_NOBODY, &c->set.nobody, head);
  /* -H headers go to the line's origin only (scheme, host and port), as
   * curl does without --location-trusted: a redirect elsewhere must not
   * receive an API key meant for the site checked. */
  struct curl_slist *headers =
      o->headers && (t->origin || o->location_trusted) ? o->headers : NULL;
  if (!c->set.valid || headers != c->set.headers) {
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    c->set.headers = headers;
  }
  /* libcurl loads the whole CURLOPT_RESOLVE list into its DNS cache at
   * the start of every transfer: it gets the --resolve entry of the host
   * it requests (pins.h), not all of them. A list is loaded only by the
   * transfer that follows setting it, so it is set for every transfer
   * that has one. */
  struct curl_slist *pins = sc_pins_for(o->pins, t->host, t->port);
  struct curl_slist *resolve = pins;
  int dns_timeout = DNS_CACHE_DEFAULT;
  int entry = c->resolve_entry.len && entry_for_host(c);
  if (entry) {
    entry_for_port(c);
    c->resolve_node.data = c->resolve_entry.data;
    c->resolve_node.next = pins;
    resolve = &c->resolve_node;
    /* Our entry only has to last until the transfer has used it, and
     * libcurl walks its whole DNS cache after every transfer: with
     * thousands of new hosts a second, let entries go soon. Not after 1 s:
     * libcurl ages entries in whole seconds of time(), so an entry made at
     * the end of one second would be "stale" a moment later, and libcurl
     * would then look the name up itself. */
    dns_timeout = 2;
  }
  if (!c->set.valid || resolve || c->set.resolve) {
    curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
    c->set.resolve = resolve;
  }
  /* At the end of every transfer libcurl prunes its DNS cache, a walk
   * over every entry, unless the transfer's cache timeout is -1, which
   * also keeps libcurl from expiring the entry the transfer uses. Nothing
   * is to expire when the host is an address, or when its entry is ours,
   * loaded fresh by this transfer: those prune at most once a second per
   * handle and skip the walk otherwise. A name libcurl resolves itself
   * (--resolver curl, a proxy's) keeps the timeout. */
  double now = sc_now_ms();
  if (((t->ip_literal && !c->proxied) || entry) &&
      now - c->dns_pruned < DNS_PRUNE_MS)
    dns_timeout = -1;
  else
    c->dns_pruned = now;
  set_int(c, CURLOPT_DNS_CACHE_TIMEOUT, &c->set.dns_timeout, dns_timeout);
  set_flag(c, CURLOPT_NOPROGRESS, &c->set.noprogress,
           !(c->abortable || (o->reuse && !head)));
  /* Driven by socket events, libcurl visits an idle transfer only when one
   * of its timers is due, so a body kept for reuse that never comes would
   * not reach on_progress to be cut. A speed check that cannot fire before
   * the time limit makes libcurl look at the transfer every second. */
  int slow_check = o->reuse && !head;
  set_flag(c, CURLOPT_LOW_SPEED_LIMIT, &c->set.low_limit, slow_check);
  set_long(c, CURLOPT_LOW_SPEED_TIME, &c->set.low_time,
           slow_check ? timeout_of(c) / 1000 + 2 : 0);
  c->set.valid = 1;
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

/* Milliseconds between two phase marks (microseconds since the start; 0 =
 * never reached), or SC_NO_TIME. */
static double span_ms(curl_off_t end, curl_off_t begin) {
  if (end <= 0 || end < begin) return SC_NO_TIME;
  return (double)(end - begin) / 1000.0;
}

/* Adds the finished transfer's phase marks to the try's sums, and its
 * name lookup: ours, the first time the addresses of our lookup are used
 * in this try, else libcurl's (a cache hit, or its own resolver). */
static void add_marks(struct sc_check *c) {
  static const CURLINFO marks[4] = {
      CURLINFO_NAMELOOKUP_TIME_T, CURLINFO_CONNECT_TIME_T,
      CURLINFO_APPCONNECT_TIME_T, CURLINFO_STARTTRANSFER_TIME_T};
  struct sc_try *t = &c->tr;
  curl_off_t v[4];
  for (int i = 0; i < 4; i++) {
    v[i] = 0;
    curl_easy_getinfo(c->easy, marks[i], &v[i]);
    if (v[i] < 0) v[i] = 0;
  }
  /* A hop on a reused connection has no connect mark of its own: its
   * lookup mark must not count either, or the sums could put the connect
   * before the lookup and connect_ms would vanish. */
  t->t_lookup += v[1] > 0 ? v[0] : 0;
  t->t_connect += v[1];
  t->t_tls += v[2];
  t->t_start += v[3];
  if (!t->entry_counted && c->dns_ms >= 0 && c->resolve_entry.len &&
      entry_for_host(c)) {
    t->dns_ms += c->dns_ms;
    t->dns_any = t->entry_counted = 1;
  } else if (v[0] > 0) {
    t->dns_ms += (double)v[0] / 1000.0;
    t->dns_any = 1;
  }
}

/* The response facts: version, headers, certificate, time to first
 * byte. */
static void describe_response(struct sc_check *c, struct sc_result *r) {
  CURL *e = c->easy;
  const struct sc_try *t = &c->tr;
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
  sc_strcpy_cut(a->server, sizeof a->server, t->server);
  a->cert_expiry = t->cert_expiry;
  a->cert_earliest = t->cert_earliest;
  if (t->cert_expiry) {
    double left = ((double)t->cert_expiry - (double)time(NULL)) / 86400.0;
    a->cert_days_left = (int32_t)floor(left);
  }
  a->ttfb_ms = span_ms(t->t_start, t->cert_expiry ? t->t_tls : t->t_connect);
  curl_off_t total = 0, start = 0;
  curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &total);
  curl_easy_getinfo(c->easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
  a->transfer_ms = span_ms(total, start); /* the last hop's */
}

/* Starts *r with what every outcome of a try reports: the line, the time
 * so far, the tries, the method, the redirects followed, the chain of
 * responses and the phase timings of the transfers done. */
static void fill_common(struct sc_check *c, struct sc_result *r) {
  const struct sc_try *t = &c->tr;
  struct sc_answer *a = &r->a;
  sc_result_for_job(r, &c->job);
  a->time_ms = sc_now_ms() - c->t0;
  a->start_ms = c->t0;
  a->attempts = c->attempts;
  sc_strcpy_cut(a->method, sizeof a->method, uses_head(c) ? "HEAD" : "GET");
  a->redirects = t->hops;
  if (c->chain.len) r->chain = c->chain.data;
  /* Phase timings are summed over redirect hops. */
  a->dns_ms = t->dns_any ? t->dns_ms : SC_NO_TIME;
  a->connect_ms = span_ms(t->t_connect, t->t_lookup);
  a->tls_ms = span_ms(t->t_tls, t->t_connect);
}

/* The address the last transfer connected to, into *r. */
static void note_ip(struct sc_check *c, struct sc_result *r) {
  char *ip = NULL;
  curl_easy_getinfo(c->easy, CURLINFO_PRIMARY_IP, &ip);
  if (ip && *ip) sc_strcpy_cut(r->a.ip, sizeof r->a.ip, ip);
}

static long backoff_ms(struct sc_check *c);

int sc_check_needs_lookup(const struct sc_check *c) {
  const struct sc_try *t = &c->tr;
  return c->o->use_cares && !t->ip_literal && !c->proxied &&
         !(c->resolve_entry.len && entry_for_host(c)) &&
         !sc_pins_has(c->o->pins, t->host, t->port);
}

void sc_check_resolved(struct sc_check *c, const char *addrs, double ms) {
  c->resolve_entry.len = 0;
  sc_buf_printf(&c->resolve_entry, "+%s:%ld:%s", c->tr.host, c->tr.port, addrs);
  c->resolve_addrs = c->resolve_entry.len - strlen(addrs);
  c->dns_ms = ms;
  c->tr.entry_counted = 0;
}

/* Adds "; not tried again: ..." to *r's detail (or makes it the detail):
 * --check-timeout leaves no time for the retry or the GET after HEAD. */
static void no_time_to_retry(struct sc_result *r) {
  static const char why[] =
      "not tried again: the check's time limit (--check-timeout) runs out "
      "first";
  char *d = r->a.detail;
  size_t n = strlen(d);
  if (!n)
    sc_strcpy_cut(d, sizeof r->a.detail, why);
  else if (n + 2 < sizeof r->a.detail)
    snprintf(d + n, sizeof r->a.detail - n, "; %s", why);
}

/* Another try from the line's URL after `wait` ms, unless --check-timeout
 * would run out before it starts: then *r stands, saying so. */
static enum sc_next retry_after_wait(struct sc_check *c, struct sc_result *r,
                                     long wait, long *delay_ms) {
  double now = sc_now_ms();
  if (c->deadline > 0 && now + (double)wait >= c->deadline) {
    no_time_to_retry(r);
    return SC_CHECK_DONE;
  }
  try_from_line(c, now + (double)wait);
  *delay_ms = wait;
  return SC_CHECK_AGAIN;
}

enum sc_next sc_check_unresolved(struct sc_check *c, int status,
                                 const char *why, double ms,
                                 struct sc_result *r, long *delay_ms) {
  const struct sc_try *t = &c->tr;
  if (!t->hops) c->attempts++; /* a lookup is a try too (a hop's: its try's) */
  fill_common(c, r);
  if (t->hops) {
    note_ip(c, r); /* of the hop before */
    r->final_url = t->url;
  }
  r->a.cls = SC_DNS;
  r->a.dns_ms = (t->dns_any ? t->dns_ms : 0) + ms;
  snprintf(r->a.detail, sizeof r->a.detail, "Could not resolve host: %.200s",
           why);
  *delay_ms = 0;
  if (check_ran_out(c)) {
    r->a.cls = SC_TIMEOUT;
    sc_strcpy_cut(r->a.detail, sizeof r->a.detail, CHECK_RAN_OUT);
    return SC_CHECK_DONE;
  }
  /* No such name is an answer; a lookup that timed out or failed (a lost
   * datagram, an overloaded server) is worth another try, unless lookups
   * of the name have failed that way often enough already. */
  if (status == SC_RESOLVE_NXDOMAIN || status == SC_RESOLVE_FAILED_BEFORE ||
      atomic_load(c->stop) || c->attempts > retries_of(c))
    return SC_CHECK_DONE;
  return retry_after_wait(c, r, backoff_ms(c), delay_ms);
}

/* The proxy libcurl used for the check, for naming it: -x, else the
 * variable libcurl reads for the URL's scheme (no_proxy aside), or NULL. */
static const char *proxy_of(const struct sc_check *c) {
  static const char *const http_vars[] = {"http_proxy", "all_proxy",
                                          "ALL_PROXY"};
  static const char *const https_vars[] = {"https_proxy", "HTTPS_PROXY",
                                           "all_proxy", "ALL_PROXY"};
  if (c->o->proxy) return c->o->proxy;
  int tls = is_https(c->tr.url);
  const char *const *vars = tls ? https_vars : http_vars;
  size_t n = tls ? 4 : 3;
  for (size_t i = 0; i < n; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return v;
  }
  return NULL;
}

/* Writes "WORDS: TAIL" into out, or WORDS alone when tail is NULL, cut
 * to fit: the words first, so a long libcurl text is what gets cut. */
static void say(char *out, size_t cap, const char *words, const char *tail) {
  sc_strcpy_cut(out, cap, words);
  size_t n = strlen(out);
  if (tail && n + 2 < cap) {
    memcpy(out + n, ": ", 2);
    sc_strcpy_cut(out + n + 2, cap - n - 2, tail);
  }
}

/* Writes "WORDS PROXY: TAIL" (": TAIL" only when tail) into out, the
 * proxy's password masked. */
static void name_proxy(const struct sc_check *c, const char *words,
                       const char *tail, char *out, size_t cap) {
  const char *p = proxy_of(c);
  struct sc_buf b = {0};
  sc_buf_printf(&b, "%s ", words);
  if (p)
    sc_redact_url(p, strlen(p), 0, &b);
  else
    sc_buf_printf(&b, "(unknown)");
  say(out, cap, b.data, tail);
  sc_buf_free(&b);
}

/* Says in words how a transfer that timed out before its final head got
 * as far as it did, from libcurl's phase marks of the transfer: no
 * connection, a connection but no TLS session, a connection but no
 * response byte, or response bytes but no complete head. N is the limit
 * that applied: --connect-timeout for a connection never made, when it is
 * the shorter; else -t (or the job's own limit). */
static void explain_timeout(const struct sc_check *c, char *out, size_t cap) {
  curl_off_t connect = 0, tls = 0, pre = 0, start = 0, down = 0;
  long head = 0;
  CURL *e = c->easy;
  curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect);
  /* A reused connection has no connect or TLS time of its own; that the
   * request was about to be sent (pretransfer) says it was there. */
  curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pre);
  curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &tls);
  curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &start);
  curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &down);
  curl_easy_getinfo(e, CURLINFO_HEADER_SIZE, &head);
  long limit = timeout_of(c);
  if (connect <= 0 && pre <= 0) {
    long lc = connect_timeout_of(c);
    snprintf(out, cap, "no connection within %g s%s", (double)lc / 1000.0,
             lc < limit ? " (--connect-timeout)" : "");
  } else if (pre <= 0 && is_https(c->tr.url) && !c->proxied && tls <= 0) {
    snprintf(out, cap,
             "connected, but the TLS handshake did not complete within %g s",
             (double)limit / 1000.0);
  } else if (start <= 0 && head <= 0 && down <= 0) {
    snprintf(out, cap, "connected, but no response within %g s",
             (double)limit / 1000.0);
  } else {
    snprintf(out, cap, "the response head did not complete within %g s",
             (double)limit / 1000.0);
  }
}

/* The detail of a transfer that ended with rc before its final head was
 * complete: the common causes in words, with libcurl's text after them
 * where it adds something (OpenSSL's reason for a TLS failure, a proxy's
 * own complaint), else libcurl's text as it is. why is that text. */
static void explain_failure(const struct sc_check *c, CURLcode rc,
                            const char *why, char *out, size_t cap) {
  long os_errno = 0;
  curl_off_t connect = 0;
  curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_getinfo(c->easy, CURLINFO_CONNECT_TIME_T, &connect);
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      explain_timeout(c, out, cap);
      return;
    case CURLE_COULDNT_CONNECT:
      if (c->proxied)
        name_proxy(c, "could not connect to the proxy",
                   os_errno == ECONNREFUSED ? "connection refused" : why, out,
                   cap);
      else if (os_errno == ECONNREFUSED)
        snprintf(out, cap, "connection refused");
      else
        break;
      return;
    case CURLE_COULDNT_RESOLVE_PROXY:
      name_proxy(c, "could not resolve the proxy", NULL, out, cap);
      return;
    case CURLE_GOT_NOTHING:
      snprintf(out, cap, "the server closed the connection before answering");
      return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      if (os_errno != ECONNRESET) break;
      snprintf(out, cap, "connection reset by the server");
      return;
    case CURLE_WEIRD_SERVER_REPLY:
      say(out, cap, "not an HTTP response", why);
      return;
    case CURLE_UNSUPPORTED_PROTOCOL: /* an HTTP/0.9 reply, if it connected */
      if (connect <= 0) break;
      snprintf(out, cap, "not an HTTP response");
      return;
    case CURLE_PEER_FAILED_VERIFICATION:
      say(out, cap, "the server's certificate was not accepted", why);
      return;
    case CURLE_SSL_CONNECT_ERROR:
      say(out, cap, "the TLS handshake failed", why);
      return;
    default:
      break;
  }
  sc_strcpy_cut(out, cap, why);
}

/* Fills *r from the finished transfer. */
static void interpret(struct sc_check *c, CURLcode rc, struct sc_result *r) {
  const struct sc_try *t = &c->tr;
  long code = 0;
  char *eff = NULL;
  struct sc_answer *a = &r->a;
  fill_common(c, r);
  note_ip(c, r);
  curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &eff);
  const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

  if (t->head_final && code > 0) {
    a->status = (int32_t)code;
    a->cls = SC_OK;
    r->final_url = eff;
    describe_response(c, r);
    if (code >= 300 && code < 400 && c->location.len)
      r->location = c->location.data;
    if (t->off_web && code >= 300 && code < 400) /* only a 3xx redirects */
      snprintf(a->detail, sizeof a->detail,
               "redirect off http(s) not followed");
    else if (rc != CURLE_OK && !t->body_stop)
      snprintf(a->detail, sizeof a->detail, "after the response head: %.200s",
               why);
    return;
  }
  /* libcurl 7.88 takes a connection closed inside the head as the end of
   * the response; for us an incomplete head is a protocol failure. */
  a->cls = rc == CURLE_OK ? SC_PROTOCOL : sc_classify(rc);
  int explained = 0;
  if (rc == CURLE_OK)
    why = "connection closed before the response head was complete";
  else if (rc == CURLE_ABORTED_BY_CALLBACK)
    why = "interrupted";
  else
    explained = 1;
  /* libcurl 7.88 reports a header line over CURL_MAX_HTTP_HEADER as out
   * of memory; once the response has begun, that is what it means. */
  curl_off_t started = 0;
  if (rc == CURLE_OUT_OF_MEMORY &&
      curl_easy_getinfo(c->easy, CURLINFO_STARTTRANSFER_TIME_T, &started) ==
          CURLE_OK &&
      started > 0) {
    a->cls = SC_PROTOCOL;
    why = "response head too large (a header line over 100 KB)";
    explained = 0;
  }
  if (explained)
    explain_failure(c, rc, why, a->detail, sizeof a->detail);
  else
    sc_strcpy_cut(a->detail, sizeof a->detail, why);
  if (t->hops > 0) r->final_url = eff;
}

/* The transfer ended at a redirect to follow. Moves the try on to the
 * Location's URL and returns 1: resolved against the hop's URL with
 * libcurl's URL API as libcurl resolves it when it follows (spaces and
 * bytes outside ASCII encoded), then normalized as input lines are (an
 * international host in its ASCII form, so that our lookup, TLS and the
 * origin test see the name DNS knows). Or fills *r with why the redirect
 * is not followed and returns 0; the records are those libcurl's own
 * following gave: a .invalid host is `dns` without a lookup (RFC 6761),
 * then --max-redirects, then a target that is not a URL; and a try whose
 * time has run out is a `timeout`. */
static int next_hop(struct sc_check *c, struct sc_result *r) {
  struct sc_try *t = &c->tr;
  struct sc_answer *a = &r->a;
  char *next = NULL, *eff = NULL;
  struct sc_url nu = {0};
  const char *why = NULL;
  enum sc_class cls = SC_OTHER;
  CURLUcode uc = CURLUE_OUT_OF_MEMORY;
  CURLU *u = curl_url();
  if (u) {
    uc = curl_url_set(u, CURLUPART_URL, t->url, 0);
    if (uc == CURLUE_OK)
      uc = curl_url_set(u, CURLUPART_URL, c->location.data,
                        CURLU_URLENCODE | CURLU_ALLOW_SPACE);
    if (uc == CURLUE_OK) uc = curl_url_get(u, CURLUPART_URL, &next, 0);
    curl_url_cleanup(u);
  }
  if (uc == CURLUE_OK) cls = sc_url_normalize(next, strlen(next), 0, &nu, &why);
  curl_free(next);
  curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &eff);
  if (cls == SC_OK && t->hops < c->o->max_redirects && time_left(c) > 0) {
    free(c->hop_url);
    free(c->hop_host);
    c->hop_url = nu.url;
    c->hop_host = nu.host;
    t->url = nu.url;
    t->host = nu.host;
    t->port = nu.port;
    t->ip_literal = nu.ip_literal;
    t->origin = is_https(nu.url) == is_https(c->job.url) &&
                nu.port == c->job.port && strcmp(nu.host, c->job.host) == 0;
    t->hops++;
    return 1;
  }
  free(nu.url);
  free(nu.host);
  fill_common(c, r);
  note_ip(c, r);
  if (cls == SC_DNS) {
    a->cls = SC_DNS;
    snprintf(a->detail, sizeof a->detail,
             "redirected to a host in the .invalid domain, which never "
             "resolves (RFC 6761)");
    r->final_url = eff;
  } else if (t->hops >= c->o->max_redirects) {
    a->cls = SC_TOO_MANY_REDIRECTS;
    snprintf(a->detail, sizeof a->detail, "Maximum (%ld) redirects followed",
             c->o->max_redirects);
    if (t->hops > 0) r->final_url = eff;
  } else if (cls != SC_OK) {
    a->cls = uc == CURLUE_OUT_OF_MEMORY ? SC_OTHER : SC_INVALID_URL;
    a->redirects = t->hops + 1; /* counted, as libcurl counts it */
    snprintf(a->detail, sizeof a->detail,
             "The redirect target URL could not be parsed: %.200s",
             uc != CURLUE_OK ? curl_url_strerror(uc) : why);
    r->final_url = eff;
  } else {
    a->cls = SC_TIMEOUT;
    if (check_ran_out(c))
      sc_strcpy_cut(a->detail, sizeof a->detail, CHECK_RAN_OUT);
    else
      snprintf(a->detail, sizeof a->detail,
               "the try's time limit (-t) ran out before redirect %d",
               t->hops + 1);
    if (t->hops > 0) r->final_url = eff;
  }
  return 0;
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
  /* A transfer that ended well on a connection it found made no retry
   * of libcurl's own and left nothing behind that the next transfer's
   * options do not set: its handle needs no reset (sc_check_prepare). */
  long connects = 1;
  curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &connects);
  c->easy_plain = rc == CURLE_OK && connects == 0;
  close_page(c, rc == CURLE_OK);
  *delay_ms = 0;
  add_marks(c);
  /* A redirect is followed even when its body failed: its head is
   * complete, and so is what the next hop needs. Not when the time ran
   * out on it: that is the try's answer. */
  if (c->tr.follow && rc != CURLE_OPERATION_TIMEDOUT && !atomic_load(c->stop)) {
    if (next_hop(c, r)) return SC_CHECK_AGAIN; /* the next hop, at once */
  } else {
    interpret(c, rc, r);
  }
  if (atomic_load(c->stop)) return SC_CHECK_DONE;
  if (r->a.cls == SC_TIMEOUT && check_ran_out(c)) {
    sc_strcpy_cut(r->a.detail, sizeof r->a.detail, CHECK_RAN_OUT);
    return SC_CHECK_DONE;
  }
  if (uses_head(c) && head_refused(r)) {
    if (check_ran_out(c)) {
      no_time_to_retry(r);
      return SC_CHECK_DONE;
    }
    c->use_get = 1;
    c->attempts--; /* the GET completes this try */
    try_from_line(c, sc_now_ms());
    return SC_CHECK_AGAIN;
  }
  long os_errno = 0;
  curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os_errno);
  if (c->attempts > retries_of(c) || !transient(r, rc, os_errno))
    return SC_CHECK_DONE;
  long wait;
  if (c->tr.retry_after_ms >= 0) {
    wait = c->tr.retry_after_ms;
    if (wait > c->o->max_retry_wait_ms) {
      snprintf(r->a.detail, sizeof r->a.detail,
               "not retried: Retry-After %.0f s exceeds --max-retry-wait",
               (double)wait / 1000);
      return SC_CHECK_DONE;
    }
  } else {
    wait = backoff_ms(c);
  }
  return retry_after_wait(c, r, wait, delay_ms);
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
  const struct sc_opts *o = c->o;
  long delay;
  sc_check_begin(c);
  for (;;) {
    /* Each new host, the line's or a redirect's, is looked up here, within
     * the time the try (or the check) has left. */
    if (sc_check_needs_lookup(c)) {
      char addrs[4096], err[256];
      double t = sc_now_ms();
      long limit = connect_timeout_of(c);
      long left = sc_check_time_left(c);
      int st = sc_resolve_blocking(c->dns, c->tr.host, o->dns_servers,
                                   o->family, left < limit ? left : limit,
                                   addrs, sizeof addrs, err, sizeof err);
      if (st != SC_RESOLVE_OK) {
        /* Cut at the time left, the lookup's timer (libuv's, in whole
         * milliseconds) may end a moment before that time is gone. */
        double rest = time_left(c);
        if (st == SC_RESOLVE_TIMEOUT && left < limit && rest > 0 &&
            pause_ms(c->stop, (long)ceil(rest)) != 0)
          return -1;
        if (sc_check_unresolved(c, st, err, sc_now_ms() - t, r, &delay) ==
            SC_CHECK_DONE)
          return 0;
        if (pause_ms(c->stop, delay) != 0) return -1;
        continue;
      }
      sc_check_resolved(c, addrs, sc_now_ms() - t);
    }
    sc_check_prepare(c);
    CURLcode rc = curl_easy_perform(c->easy);
    if (rc == CURLE_ABORTED_BY_CALLBACK && atomic_load(c->stop)) return -1;
    if (sc_check_finish(c, rc, r, &delay) == SC_CHECK_DONE) return 0;
    if (pause_ms(c->stop, delay) != 0) return -1;
  }
}
