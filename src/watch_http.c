/* watch_http.c - see watch_http.h.
 *
 * Why libmicrohttpd in its own thread, and not the loops' libuv: the
 * endpoint must answer while checks are slow or the loops are busy (a
 * scrape is how an operator sees that they are), and a hostile client
 * must never stall a loop whose clocks time other checks. Its own thread
 * with its own epoll keeps the two apart; the metrics are a snapshot taken
 * under the watch's lock (watch.h). libmicrohttpd also brings the limits
 * a small server written here would have to get right: request size,
 * idle time, connections per address and in all. */
#include "watch_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "metrics.h"
#include "util.h"

/* What blackbox_exporter takes off the scrape's timeout, so that its
 * answer arrives before Prometheus gives up. */
#define TIMEOUT_OFFSET_MS 500

/* The codes /probe answers, counted for /metrics. */
static const unsigned probe_codes[] = {200, 400, 403, 503};
enum { PROBE_CODES = sizeof probe_codes / sizeof probe_codes[0] };

struct sc_watch_http {
  struct MHD_Daemon *d;
  struct sc_watch *w;
  const struct sc_opts *o;
  int v6;
  unsigned port;
  char addr[64];
  atomic_long suspended; /* /probe requests waiting for their answer */
  atomic_ullong probes[PROBE_CODES];
};

/* A /probe request from its first call of the handler to its end. */
struct req {
  struct sc_watch_http *h;
  struct MHD_Connection *conn;
  enum sc_probe_rc rc;
  atomic_int answered; /* probe below is written */
  struct sc_probe probe;
};

/* Queues a response with body text (copied) and a content type. */
static enum MHD_Result answer(struct MHD_Connection *conn, unsigned code,
                              const char *type, const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  enum MHD_Result ok = MHD_queue_response(conn, code, r);
  MHD_destroy_response(r);
  return ok;
}

/* Queues buf as the response (MHD frees its data). */
static enum MHD_Result answer_buf(struct MHD_Connection *conn, unsigned code,
                                  struct sc_buf *buf) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      buf->len, buf->data, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    sc_buf_free(buf);
    return MHD_NO;
  }
  buf->data = NULL;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                          SC_METRICS_CONTENT_TYPE);
  enum MHD_Result ok = MHD_queue_response(conn, code, r);
  MHD_destroy_response(r);
  return ok;
}

static void count_probe(struct sc_watch_http *h, unsigned code) {
  for (int i = 0; i < PROBE_CODES; i++)
    if (probe_codes[i] == code) atomic_fetch_add(&h->probes[i], 1);
}

/* /metrics: the watch's, then the endpoint's own. */
static enum MHD_Result serve_metrics(struct sc_watch_http *h,
                                     struct MHD_Connection *conn) {
  struct sc_buf out = {0};
  sc_watch_render(h->w, &out);
  sc_metric_family(&out, "sitecheck_probe_requests_total", "counter",
                   "/probe requests, by the HTTP status of the answer");
  for (int i = 0; i < PROBE_CODES; i++) {
    char l[32];
    snprintf(l, sizeof l, "code=\"%u\"", probe_codes[i]);
    sc_metric_sample(&out, "sitecheck_probe_requests_total", l,
                     (double)atomic_load(&h->probes[i]));
  }
  return answer_buf(conn, MHD_HTTP_OK, &out);
}

/* The watch's answer to a probe (any thread): resume its request. */
static void probe_done(void *arg, const struct sc_probe *p) {
  struct req *q = arg;
  q->probe = *p;
  atomic_store(&q->answered, 1);
  MHD_resume_connection(q->conn);
}

/* The check's time limit for a scrape: -t, or the scrape's timeout less
 * TIMEOUT_OFFSET_MS if that is shorter. Returns 0, or -1 if the header is
 * not a number. */
static int probe_timeout(struct sc_watch_http *h, struct MHD_Connection *conn,
                         long *ms) {
  const char *v = MHD_lookup_connection_value(
      conn, MHD_HEADER_KIND, "X-Prometheus-Scrape-Timeout-Seconds");
  long scrape;
  *ms = h->o->timeout_ms;
  if (!v) return 0;
  if (sc_parse_seconds(v, &scrape) != 0) return -1;
  long m = scrape - TIMEOUT_OFFSET_MS;
  if (m > 0 && m < *ms) *ms = m;
  return 0;
}

/* The first call for a /probe request: its checks, then the probe, with
 * the connection suspended until the answer comes (suspended first, so
 * an answer that comes at once finds it so). */
static enum MHD_Result start_probe(struct sc_watch_http *h,
                                   struct MHD_Connection *conn,
                                   void **req_cls) {
  const char *target =
      MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "target");
  const char *module =
      MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "module");
  long timeout_ms;
  if (module && *module && strcmp(module, "http_2xx") != 0) {
    count_probe(h, MHD_HTTP_BAD_REQUEST);
    return answer(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
                  "Unknown module: sitecheck has http_2xx only\n");
  }
  if (!target || !*target) {
    count_probe(h, MHD_HTTP_BAD_REQUEST);
    return answer(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
                  "Target parameter is missing\n");
  }
  if (probe_timeout(h, conn, &timeout_ms) != 0) {
    count_probe(h, MHD_HTTP_BAD_REQUEST);
    return answer(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
                  "X-Prometheus-Scrape-Timeout-Seconds is not a number\n");
  }
  struct req *q = sc_xcalloc(1, sizeof *q);
  q->h = h;
  q->conn = conn;
  *req_cls = q;
  atomic_fetch_add(&h->suspended, 1);
  MHD_suspend_connection(conn);
  q->rc = sc_watch_probe(h->w, target, timeout_ms, probe_done, q);
  if (q->rc != SC_PROBE_QUEUED) {
    atomic_store(&q->answered, 1);
    MHD_resume_connection(conn);
  }
  return MHD_YES;
}

/* A later call for a /probe request, once resumed: its answer. */
static enum MHD_Result finish_probe(struct sc_watch_http *h, struct req *q) {
  if (!atomic_load(&q->answered)) { /* not ours to wake it: wait on */
    MHD_suspend_connection(q->conn);
    return MHD_YES;
  }
  atomic_fetch_sub(&h->suspended, 1);
  switch (q->rc) {
    case SC_PROBE_QUEUED: {
      struct sc_buf out = {0};
      sc_probe_text(&out, &q->probe);
      count_probe(h, MHD_HTTP_OK);
      return answer_buf(q->conn, MHD_HTTP_OK, &out);
    }
    case SC_PROBE_BAD:
      count_probe(h, MHD_HTTP_BAD_REQUEST);
      return answer(q->conn, MHD_HTTP_BAD_REQUEST, "text/plain",
                    "Target is not an http or https URL sitecheck checks\n");
    case SC_PROBE_FORBIDDEN:
      count_probe(h, MHD_HTTP_FORBIDDEN);
      return answer(q->conn, MHD_HTTP_FORBIDDEN, "text/plain",
                    "Target is neither watched nor allowed by "
                    "--probe-allow\n");
    case SC_PROBE_BUSY:
      break;
  }
  count_probe(h, MHD_HTTP_SERVICE_UNAVAILABLE);
  return answer(q->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                "Too many probes in flight\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  struct sc_watch_http *h = cls;
  (void)version, (void)upload_data, (void)upload_data_size;
  if (*req_cls) return finish_probe(h, *req_cls);
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                  "Only GET and HEAD\n");
  if (strcmp(url, "/metrics") == 0) return serve_metrics(h, conn);
  if (strcmp(url, "/probe") == 0) return start_probe(h, conn, req_cls);
  if (strcmp(url, "/") == 0)
    return answer(conn, MHD_HTTP_OK, "text/plain",
                  "sitecheck watch\n"
                  "  /metrics                             every URL watched\n"
                  "  /probe?target=URL&module=http_2xx    one fresh check\n");
  return answer(conn, MHD_HTTP_NOT_FOUND, "text/plain", "Not found\n");
}

/* A request is over (answered, or its connection closed): frees its
 * /probe state. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode why) {
  (void)cls, (void)conn, (void)why;
  free(*req_cls);
  *req_cls = NULL;
}

struct sc_watch_http *sc_watch_http_start(struct sc_watch *w,
                                          const struct sc_opts *o, char *err,
                                          size_t errlen) {
  struct sockaddr_storage sa;
  if (sc_parse_addr(o->listen, &sa) != 0) { /* opts.c checked it */
    snprintf(err, errlen, "bad --listen address '%s'", o->listen);
    return NULL;
  }
  struct sc_watch_http *h = sc_xcalloc(1, sizeof *h);
  h->w = w;
  h->o = o;
  h->v6 = sa.ss_family == AF_INET6;
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
  if (h->v6) flags |= MHD_USE_IPv6;
  errno = 0;
  h->d = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &sa,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)SC_HTTP_CONNECTIONS,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SC_HTTP_PER_IP,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SC_HTTP_IDLE_S,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SC_HTTP_MEMORY,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
      MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
  if (!h->d) {
    snprintf(err, errlen, "cannot listen on %s%s%s", o->listen,
             errno ? ": " : "", errno ? strerror(errno) : "");
    free(h);
    return NULL;
  }
  const union MHD_DaemonInfo *port =
      MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = port ? port->port : 0;
  if (h->v6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, h->addr,
              sizeof h->addr);
  else
    inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, h->addr,
              sizeof h->addr);
  return h;
}

void sc_watch_http_url(const struct sc_watch_http *h, char *out, size_t n) {
  snprintf(out, n, h->v6 ? "http://[%s]:%u" : "http://%s:%u", h->addr, h->port);
}

void sc_watch_http_stop(struct sc_watch_http *h) {
  if (!h) return;
  /* Suspended connections must be resumed before the daemon stops; the
   * watch has answered them all, and its thread takes them up now. */
  for (int i = 0; i < 200 && atomic_load(&h->suspended) > 0; i++) {
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  MHD_stop_daemon(h->d);
  free(h);
}
