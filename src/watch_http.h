/* watch_http.h - sitecheck watch's HTTP endpoint, on libmicrohttpd in a
 * thread of its own:
 *   /metrics  the watch's metrics (watch.h) and the endpoint's own counts,
 *             in Prometheus' text format;
 *   /probe?target=URL&module=http_2xx
 *             one fresh check of URL, answered as blackbox_exporter
 *             answers: its probe_* metrics. Other modules are a 400, a
 *             target neither watched nor matched by --probe-allow a 403,
 *             more than SC_PROBE_MAX probes at once a 503. The check's
 *             time limit is -t, or less: the scrape's
 *             X-Prometheus-Scrape-Timeout-Seconds less half a second, as
 *             blackbox_exporter takes it; it is never retried. The
 *             request waits suspended, costing no thread, until its
 *             answer comes.
 *
 * Hostile clients are bounded: at most SC_HTTP_CONNECTIONS connections
 * (SC_HTTP_PER_IP from one address), each with SC_HTTP_MEMORY bytes for
 * its request (a longer request line or head is refused), and a
 * connection idle for SC_HTTP_IDLE_S seconds is closed. Only GET and HEAD
 * are answered. The endpoint has no TLS and no authentication: put it
 * behind a reverse proxy where it must be reached from elsewhere than
 * loopback. */
#ifndef SC_WATCH_HTTP_H
#define SC_WATCH_HTTP_H

#include <stddef.h>

#include "opts.h"
#include "watch.h"

#define SC_HTTP_CONNECTIONS 512
#define SC_HTTP_PER_IP 128
#define SC_HTTP_MEMORY 16384
#define SC_HTTP_IDLE_S 10

/* Descriptors the endpoint may hold: its connections, the listening
 * socket, epoll's and the thread's wake-up pipe. */
#define SC_HTTP_FDS (SC_HTTP_CONNECTIONS + 8)

struct sc_watch_http;

/* Starts serving w on o->listen. Returns the endpoint, or NULL with a
 * message in err (the address cannot be bound, say). */
struct sc_watch_http *sc_watch_http_start(struct sc_watch *w,
                                          const struct sc_opts *o, char *err,
                                          size_t errlen);

/* The endpoint's base URL, "http://127.0.0.1:9115" (the port it got, if
 * --listen asked for port 0). */
void sc_watch_http_url(const struct sc_watch_http *h, char *out, size_t n);

/* Stops serving. Call sc_watch_close_probes first: every /probe still
 * waiting is then answered, and this gives their connections a moment
 * to be resumed before the daemon stops. */
void sc_watch_http_stop(struct sc_watch_http *h);

#endif
