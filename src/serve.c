/* serve.c - `sitecheck serve`: the simulated web.
 *
 * An HTTP/1.1 server on one libuv loop whose reply is chosen by the URL
 * path (like curl's tests/server/sws.c); the test suite, the demo and the
 * benchmarks all run against it. Each connection is one allocation holding
 * its handles, its request buffer and its response-head buffer; bodies come
 * from static buffers, and long bodies are written one chunk at a time from
 * the previous write's callback, so memory stays flat.
 *
 * TLS listeners (--tls ADDR:PORT,CERT,KEY) serve the same paths over
 * HTTPS, one SSL_CTX per listener. OpenSSL never touches the socket: each
 * TLS connection has an SSL with two memory BIOs; ciphertext from uv_read
 * is fed into one, SSL_read decrypts into the same request buffer plain
 * connections use, and whatever OpenSSL produces (handshake, records,
 * alerts) is drained from the other into a uv_write. A reply write is
 * complete when its ciphertext is, so streaming replies stay paced by the
 * client. Plain connections carry only a NULL SSL pointer. A client that
 * fails the handshake, or speaks plain HTTP to a TLS port, is closed;
 * replies end with close_notify where a plain reply would end with FIN.
 *
 * PATHS
 *   A path is a sequence of segments read left to right, so modifiers
 *   compose with what follows: /delay/300/status/404, /status/301/redirect/3.
 *   The query string is ignored except by /redirect-to.
 *
 *   /                    200 "ok\n".
 *   /delay/MS            Wait MS milliseconds (a timer), then go on.
 *   /status/CODE         Answer with status CODE (100..999), body
 *                        "CODE Reason\n"; also sets the status of what
 *                        follows. 3xx gets "Location: /"; 1xx, 204 and 304
 *                        have no body.
 *   /redirect/N          302 to the same path with N-1 (relative Location);
 *                        /redirect/0 is 200, or whatever follows it.
 *   /loop                302 to itself, forever.
 *   /redirect-to?url=U   302 with Location: U (percent-decoded).
 *   /bytes/N             200 with an N-byte body, N up to 10^12.
 *   /slowbody            200, Content-Length 1000, body one byte a second.
 *   /hang                Read the request, never answer.
 *   /drip                Status line, then one header byte a second forever.
 *   /headers-flood       Status line, then header lines forever, as fast
 *                        as the client reads.
 *   /garbage             Non-HTTP bytes, then close.
 *   /empty               Close without replying.
 *   /reset               TCP reset after reading the request.
 *   /head405             405 to HEAD, 200 to GET.
 *   /http10              "HTTP/1.0 200 OK" status line, close after the body.
 *   /info100             "100 Continue" and "103 Early Hints" before the reply.
 *   /noreason            Status line without a reason phrase: "HTTP/1.1 200".
 *   /lf                  Reply head with bare LF line ends instead of CRLF.
 *   /truncated           "HTTP/1.1 200 OK\r\nContent-Len", then close.
 *   /badbody             Content-Length 1000, 10 bytes, then a TCP reset.
 *   /shortbody           Content-Length 1000, no body bytes, then close.
 *   /stallbody           Content-Length 1000, then silence (no body byte).
 *   /badchunk            Transfer-Encoding: chunked, then a chunk size that
 *                        is not hex ("zz"), then close.
 *   /stats               200 "body_bytes N\n": filler body bytes queued so far
 *                        by /bytes, /slowbody and /badbody, all connections
 *                        (so tests can bound what a client was sent).
 *   /site/...            The generated website (serve_site.c lists its
 *   /robots.txt          routes): the rest of the path, from this segment
 *                        on, is the site's; its bodies are sent chunked
 *                        (to HTTP/1.0, until the close), a piece per write.
 *   anything else        404 "not found\n".
 *
 * Connections are kept alive (HTTP/1.1 unless "Connection: close"; HTTP/1.0
 * only with "Connection: keep-alive"); requests on one connection are
 * answered in order. Request heads may be up to 16 KiB (else 431 and
 * close); a request whose method contains a byte no method name has (a
 * TLS ClientHello on a plain port, say) gets 400 and a close at once.
 * Bodies announced by Content-Length are skipped. A connection is closed
 * as soon as the client closes or half-closes its side.
 *
 * LIMITS
 *   Only the client's slowness is timed, never a reply's own (/delay,
 *   /hang, /drip, /slowbody run as long as they were asked to):
 *   - a request head must be complete SERVE_HEAD_MS (10 s) after the
 *     connection was accepted or, on a kept-alive connection, after the
 *     head's first byte; a request body may pause that long between reads;
 *   - a kept-alive connection may wait SERVE_IDLE_MS (15 s) for the first
 *     byte of its next request.
 *   Either closes the connection, without a reply. Open connections are
 *   capped below the open-file limit (the limit less an eighth of it, at
 *   least 16 and at most 1024, and one per listener), so accept() never
 *   runs out of descriptors: libuv would then accept and drop every
 *   pending connection. At the cap, a new client takes the place of the
 *   connection that has waited longest for its client (a slow head or an
 *   idle keep-alive); if every connection is being answered, the new one
 *   is closed at once. So clients that hold connections without sending
 *   a request cannot lock out one that does. */
#include "serve.h"

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "run.h"
#include "serve_site.h"
#include "util.h"

#define SERVE_HEAD_MAX 16384    /* longest request head accepted */
#define SERVE_OUT_MAX 4096      /* response head plus short body */
#define SERVE_LOCATION_MAX 3072 /* longest Location sent (else 414) */
#define SERVE_CHUNK 65536       /* write size of /bytes, /headers-flood */
#define SERVE_BACKLOG 4096
#define SERVE_BYTES_MAX 1000000000000L
#define SERVE_DELAY_MAX 86400000L
#define SERVE_TLS_READ 65536 /* ciphertext read at once (one shared buffer) */
#define SERVE_HEAD_MS 10000  /* a request head in time (see LIMITS above) */
#define SERVE_IDLE_MS 15000  /* a kept-alive connection idle */

enum serve_kind {
  SERVE_OK,       /* "ok\n" */
  SERVE_STATUS,   /* "CODE Reason\n" */
  SERVE_ERROR,    /* short error text; code is fixed */
  SERVE_REDIRECT, /* empty body, Location from loc_* */
  SERVE_BYTES,    /* `left` filler bytes, chunk by chunk */
  SERVE_SLOWBODY, /* `left` filler bytes, one a second */
  SERVE_BADBODY,  /* head + 10 bytes, then reset */
  SERVE_HANG,
  SERVE_DRIP,
  SERVE_FLOOD,
  SERVE_GARBAGE,
  SERVE_TRUNCATED,
  SERVE_EMPTY,
  SERVE_RESET,
  SERVE_SHORTBODY, /* head, then close */
  SERVE_STALLBODY, /* head, then nothing */
  SERVE_BADCHUNK,  /* chunked head, a bad chunk size, close */
  SERVE_STATS,     /* "body_bytes N\n" */
  SERVE_SITE       /* the generated site's body, piece by piece */
};

struct serve_server;

/* What a connection that is not answering a request waits for from its
 * client, and so what its timer is set for. */
enum serve_wait {
  SERVE_WAIT_NONE, /* answering a request (or closing): no client timeout */
  SERVE_WAIT_HEAD, /* a request head, since the accept or its first byte */
  SERVE_WAIT_BODY, /* the rest of a request body, since the last read */
  SERVE_WAIT_IDLE  /* the next request on a kept-alive connection */
};

/* One client connection: the only allocation per connection. Freed in the
 * close callback of the last of its two handles. */
struct serve_conn {
  uv_tcp_t tcp;
  uv_timer_t timer; /* the client timeout while waiting; when answering,
                       the /delay wait, then /slowbody and /drip ticks */
  uv_write_t wreq;  /* at most one write is in flight */
  struct serve_server *srv;
  SSL *ssl; /* TLS listeners only: the session and its two memory BIOs */
  struct serve_conn *prev, *next;   /* srv->conns */
  struct serve_conn *wprev, *wnext; /* srv->waiting, while wait != NONE */
  enum serve_wait wait;
  int open_handles;
  bool closing, reading, writing;
  bool answered; /* a reply was completed: the next wait may be idle */
  bool busy;     /* a request is being answered; in[0..head_len) is it */
  bool started;  /* the reply has begun (the delay is over) */
  size_t in_len, head_len, scan;
  uint64_t body_left; /* request body bytes still to skip */
  /* The request being answered and the reply planned for it. */
  bool head_method, req_http10, keepalive, info100, http10, noreason, bare_lf;
  enum serve_kind kind;
  int code;
  uint64_t delay_ms, left;
  const char *loc_a, *loc_b; /* Location = loc_a [redirect/loc_num] loc_b */
  size_t loc_alen, loc_blen;
  long loc_num; /* -1: none */
  size_t drip_pos;
  const char *ctype;    /* Content-Type */
  struct sc_site *site; /* /site and /robots.txt: the reply being made */
  bool chunked;         /* SERVE_SITE: chunked, else until the close */
  bool site_end;        /* SERVE_SITE: the last piece is written */
  /* in[] comes first so that a short request shares a page with the
   * fields above: an idle connection costs about one page. */
  char in[SERVE_HEAD_MAX];
  char out[SERVE_OUT_MAX];
};

struct serve_listener {
  uv_tcp_t tcp;
  struct serve_server *srv;
  SSL_CTX *ctx; /* NULL: plain HTTP */
};

/* One --listen or --tls argument. */
struct serve_spec {
  char *addr;       /* a copy of the argument; cert and key point into it */
  const char *cert; /* NULL: plain HTTP */
  const char *key;
};

struct serve_server {
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  struct serve_listener *ls;
  int nls;
  bool stopping;
  struct serve_conn *conns;
  /* Connections waiting for their client, longest waiting first: the one
   * to close when a new client comes at the cap. */
  struct serve_conn *waiting, *waiting_tail;
  long nconns, max_conns; /* open descriptors, and their cap */
  uint64_t body_bytes;    /* filler bytes queued, for /stats */
};

static char serve_fill[SERVE_CHUNK];
static char serve_tls_in[SERVE_TLS_READ]; /* consumed in the read callback */
static char serve_flood[SERVE_CHUNK];
static char serve_drip[] =
    "X-Drip: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
static char serve_status_line[] = "HTTP/1.1 200 OK\r\n";
static char serve_garbage[] = "this is not http\r\n\r\n";
static char serve_truncated[] = "HTTP/1.1 200 OK\r\nContent-Len";
static char serve_badchunk[] = "zz\r\nhello\r\n0\r\n\r\n";
static const char serve_interim[] =
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n";

static void serve_respond(struct serve_conn *c);
static void serve_advance(struct serve_conn *c);
static void serve_read_start(struct serve_conn *c);
static int serve_tls_flush(struct serve_conn *c, bool app);
static int serve_tls_write(struct serve_conn *c, const uv_buf_t *bufs,
                           unsigned n);

/* clang-format off */
static const struct {
  int code;
  const char *text;
} serve_reasons[] = {
  {100, "Continue"}, {101, "Switching Protocols"}, {103, "Early Hints"},
  {200, "OK"}, {201, "Created"}, {202, "Accepted"}, {204, "No Content"},
  {206, "Partial Content"}, {301, "Moved Permanently"}, {302, "Found"},
  {303, "See Other"}, {304, "Not Modified"}, {307, "Temporary Redirect"},
  {308, "Permanent Redirect"}, {400, "Bad Request"}, {401, "Unauthorized"},
  {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
  {408, "Request Timeout"}, {410, "Gone"}, {414, "URI Too Long"},
  {418, "I'm a teapot"}, {429, "Too Many Requests"},
  {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
  {501, "Not Implemented"}, {502, "Bad Gateway"},
  {503, "Service Unavailable"}, {504, "Gateway Timeout"},
};
/* clang-format on */

static const char *serve_reason(int code) {
  for (size_t i = 0; i < sizeof serve_reasons / sizeof *serve_reasons; i++)
    if (serve_reasons[i].code == code) return serve_reasons[i].text;
  return "Unknown";
}

static bool serve_has_body(int code) {
  return code >= 200 && code != 204 && code != 304;
}

/* Appends n bytes at p; returns the new end. */
static char *serve_cat(char *p, const char *s, size_t n) {
  memcpy(p, s, n);
  return p + n;
}

static char *serve_cats(char *p, const char *s) {
  return serve_cat(p, s, strlen(s));
}

/* Appends v in decimal at p; returns the new end. */
static char *serve_u64(char *p, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n) *p++ = tmp[--n];
  return p;
}

/* ------------------------------------------------------------ lifetime */

static void serve_on_closed(uv_handle_t *h) {
  struct serve_conn *c = h->data;
  if (--c->open_handles > 0) return;
  if (c->prev)
    c->prev->next = c->next;
  else
    c->srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  SSL_free(c->ssl); /* and its BIOs; NULL for plain connections */
  sc_site_free(c->site);
  free(c);
}

/* Takes c off the waiting list, if it is on it. */
static void serve_unwait(struct serve_conn *c) {
  struct serve_server *srv = c->srv;
  if (c->wait == SERVE_WAIT_NONE) return;
  c->wait = SERVE_WAIT_NONE;
  if (c->wprev)
    c->wprev->wnext = c->wnext;
  else
    srv->waiting = c->wnext;
  if (c->wnext)
    c->wnext->wprev = c->wprev;
  else
    srv->waiting_tail = c->wprev;
  c->wprev = c->wnext = NULL;
}

/* Closes the connection (with a TCP reset if `reset`) and its timer. Safe
 * to call more than once and from any callback; c stays valid until the
 * close callbacks have run, and pending write callbacks see c->closing.
 * The descriptor is closed at once, so it no longer counts to the cap. */
static void serve_close(struct serve_conn *c, bool reset) {
  if (c->closing) return;
  c->closing = true;
  serve_unwait(c);
  c->srv->nconns--;
  if (c->ssl && !reset) { /* a graceful close says close_notify first */
    ERR_clear_error();
    if (SSL_is_init_finished(c->ssl)) SSL_shutdown(c->ssl);
    serve_tls_flush(c, false); /* queued before the close, so it is sent */
  }
  uv_close((uv_handle_t *)&c->timer, serve_on_closed);
  if (!reset || uv_tcp_close_reset(&c->tcp, serve_on_closed) != 0)
    uv_close((uv_handle_t *)&c->tcp, serve_on_closed);
}

/* ------------------------------------------------------------- writing */

static void serve_on_write(uv_write_t *req, int status);
static void serve_on_timer(uv_timer_t *t);

/* Queues bufs (which must stay valid until the callback; over TLS they
 * are encrypted at once) as the one write in flight; closes the
 * connection if libuv or OpenSSL refuses it. */
static void serve_write(struct serve_conn *c, const uv_buf_t *bufs,
                        unsigned n) {
  c->writing = true;
  if (c->ssl ? serve_tls_write(c, bufs, n)
             : uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, n,
                        serve_on_write)) {
    c->writing = false;
    serve_close(c, false);
  }
}

static void serve_write1(struct serve_conn *c, char *p, size_t n) {
  uv_buf_t b = uv_buf_init(p, (unsigned)n);
  serve_write(c, &b, 1);
}

/* Writes the next /bytes chunk from the static filler. */
static void serve_write_chunk(struct serve_conn *c) {
  size_t n = c->left < SERVE_CHUNK ? (size_t)c->left : SERVE_CHUNK;
  c->left -= n;
  c->srv->body_bytes += n;
  serve_write1(c, serve_fill, n);
}

/* The current reply is fully written: close, or forget the request and
 * go on with the next one already buffered (if any). */
static void serve_complete(struct serve_conn *c) {
  sc_site_free(c->site);
  c->site = NULL;
  if (!c->keepalive) {
    serve_close(c, false);
    return;
  }
  memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
  c->in_len -= c->head_len;
  c->head_len = c->scan = 0;
  c->busy = false;
  c->answered = true;
  serve_advance(c);
}

/* Writes the head in c->out[0..off) (off may be 0) and the generated
 * site's next piece of body, framed as a chunk (or bare, to a HTTP/1.0
 * client, who reads until the close); after the last piece, the last
 * chunk. c->out holds the framing, the piece stays in c->site. */
static void serve_write_site(struct serve_conn *c, size_t off) {
  const char *data;
  size_t n = sc_site_read(c->site, &data);
  char *p = c->out + off;
  uv_buf_t b[3];
  unsigned nb = 1;
  if (n == 0) {
    c->site_end = true;
    if (c->chunked) p = serve_cats(p, "0\r\n\r\n");
  } else {
    if (c->chunked) p += snprintf(p, 24, "%zx\r\n", n);
    b[nb++] = uv_buf_init((char *)data, (unsigned)n); /* uv_buf_t: no const */
    if (c->chunked) b[nb++] = uv_buf_init((char *)"\r\n", 2);
  }
  b[0] = uv_buf_init(c->out, (unsigned)(p - c->out));
  if (nb == 1 && p == c->out) {
    serve_complete(c); /* a bare body's end: nothing more to send */
    return;
  }
  serve_write(c, b[0].len ? b : b + 1, b[0].len ? nb : nb - 1);
}

/* Drives every multi-write reply: the next chunk, the next tick, the close
 * or reset after the bytes, or the end of the reply. */
static void serve_on_write(uv_write_t *req, int status) {
  struct serve_conn *c = req->data;
  c->writing = false;
  if (c->closing) return;
  if (status < 0) {
    serve_close(c, false);
    return;
  }
  switch (c->kind) {
    case SERVE_BYTES:
      if (c->left) {
        serve_write_chunk(c);
        return;
      }
      break;
    case SERVE_FLOOD:
      serve_write1(c, serve_flood, sizeof serve_flood);
      return;
    case SERVE_DRIP:
    case SERVE_SLOWBODY:
      if (c->kind == SERVE_DRIP || c->left) {
        if (!uv_is_active((uv_handle_t *)&c->timer))
          uv_timer_start(&c->timer, serve_on_timer, 1000, 1000);
        return;
      }
      uv_timer_stop(&c->timer);
      break;
    case SERVE_GARBAGE:
    case SERVE_TRUNCATED:
    case SERVE_SHORTBODY:
    case SERVE_BADCHUNK:
      serve_close(c, false);
      return;
    case SERVE_STALLBODY:
      return;
    case SERVE_BADBODY:
      serve_close(c, true);
      return;
    case SERVE_SITE:
      if (!c->site_end) {
        serve_write_site(c, 0);
        return;
      }
      break;
    default:
      break;
  }
  serve_complete(c);
}

/* Fires once when a /delay is over, then every second for /slowbody and
 * /drip, writing one byte per tick (skipping a tick if the last byte is
 * still queued). */
static void serve_on_timer(uv_timer_t *t) {
  struct serve_conn *c = t->data;
  if (!c->started) {
    serve_respond(c);
    return;
  }
  if (c->writing) return;
  if (c->kind == SERVE_DRIP) {
    serve_write1(c, serve_drip + c->drip_pos, 1);
    c->drip_pos = (c->drip_pos + 1) % (sizeof serve_drip - 1);
  } else if (c->left) {
    c->left--;
    c->srv->body_bytes++;
    serve_write1(c, serve_fill, 1);
  }
}

/* ----------------------------------------------------------------- TLS */

/* One drain of the write BIO on its way to the socket. */
struct serve_tls_out {
  uv_write_t req; /* first: the callback gets this struct back */
  bool app;       /* carries the reply write (c->wreq's stand-in) */
  char data[];
};

/* Frees the drain; a reply write's completion goes on to serve_on_write,
 * which paces streaming replies exactly as on plain connections. */
static void serve_tls_on_write(uv_write_t *req, int status) {
  struct serve_tls_out *o = (struct serve_tls_out *)req;
  struct serve_conn *c = req->data;
  bool app = o->app;
  free(o);
  if (app)
    serve_on_write(&c->wreq, status);
  else if (status < 0)
    serve_close(c, false);
}

/* Moves everything OpenSSL has produced into one uv_write (with app set,
 * even if that is nothing, so the reply write completes). Returns 0, or
 * -1 if nothing could be queued. */
static int serve_tls_flush(struct serve_conn *c, bool app) {
  BIO *wb = SSL_get_wbio(c->ssl);
  size_t n = BIO_ctrl_pending(wb);
  struct serve_tls_out *o;
  uv_buf_t b;
  if (n == 0 && !app) return 0;
  o = sc_xmalloc(sizeof *o + n);
  o->req.data = c;
  o->app = app;
  b = uv_buf_init(o->data, (unsigned)n);
  if ((n && BIO_read(wb, o->data, (int)n) != (int)n) ||
      uv_write(&o->req, (uv_stream_t *)&c->tcp, &b, 1, serve_tls_on_write)) {
    free(o);
    return -1;
  }
  return 0;
}

/* Encrypts bufs (copied at once; a memory BIO never refuses) and queues
 * the ciphertext as the reply write. Returns 0 or -1. */
static int serve_tls_write(struct serve_conn *c, const uv_buf_t *bufs,
                           unsigned n) {
  ERR_clear_error();
  for (unsigned i = 0; i < n; i++)
    if (bufs[i].len && SSL_write(c->ssl, bufs[i].base, (int)bufs[i].len) <= 0)
      return -1;
  return serve_tls_flush(c, true);
}

/* Decrypts what the read BIO holds into the free tail of c->in (driving
 * the handshake on the way) and sends what OpenSSL wants sent. Returns 0,
 * or -1 when the connection must close: a failed handshake (plain HTTP on
 * a TLS port included), a bad record, or the client's close_notify. */
static int serve_tls_pump(struct serve_conn *c) {
  int r = 1, e = SSL_ERROR_NONE;
  ERR_clear_error();
  while (r > 0 && c->in_len < sizeof c->in) {
    r = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof c->in - c->in_len));
    if (r > 0) c->in_len += (size_t)r;
  }
  if (r <= 0) e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL)
    SSL_set_quiet_shutdown(c->ssl, 1); /* fatal: no close_notify after it */
  if (serve_tls_flush(c, false)) return -1;
  return e == SSL_ERROR_NONE || e == SSL_ERROR_WANT_READ ? 0 : -1;
}

/* Gives connection c, just accepted on a TLS listener, its server-side
 * SSL over two fresh memory BIOs. Returns 0 or -1 (OpenSSL out of
 * memory); c->ssl is then NULL or owns whatever was made. */
static int serve_tls_start(struct serve_conn *c, SSL_CTX *ctx) {
  BIO *rb, *wb;
  if (!(c->ssl = SSL_new(ctx))) return -1;
  rb = BIO_new(BIO_s_mem());
  wb = BIO_new(BIO_s_mem());
  if (!rb || !wb) {
    BIO_free(rb);
    BIO_free(wb);
    return -1;
  }
  BIO_set_mem_eof_return(rb, -1); /* empty means "wait", never EOF */
  SSL_set_bio(c->ssl, rb, wb);
  SSL_set_accept_state(c->ssl);
  return 0;
}

/* Makes listener l's SSL_CTX from the PEM files of spec. Returns 0, or -1
 * after a one-line message on stderr. */
static int serve_tls_ctx(struct serve_listener *l,
                         const struct serve_spec *spec) {
  const char *what = "cannot create a TLS context", *file = "", *why;
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  unsigned long e;
  if (ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    what = "cannot load certificate";
    file = spec->cert;
    if (SSL_CTX_use_certificate_chain_file(ctx, spec->cert) == 1) {
      what = "cannot load private key";
      file = spec->key;
      if (SSL_CTX_use_PrivateKey_file(ctx, spec->key, SSL_FILETYPE_PEM) == 1 &&
          SSL_CTX_check_private_key(ctx) == 1) {
        l->ctx = ctx;
        return 0;
      }
    }
  }
  e = ERR_peek_last_error();
  why = e ? ERR_reason_error_string(e) : NULL;
  fprintf(stderr, "sitecheck serve: --tls %s: %s%s%s%s: %s\n", spec->addr, what,
          *file ? " '" : "", file, *file ? "'" : "",
          why ? why : "unknown error");
  ERR_clear_error();
  SSL_CTX_free(ctx);
  return -1;
}

/* Formats the reply head for c->code into c->out, with Content-Length
 * clen where the status allows a body (chunked for /badchunk). Returns
 * its length. Bounded: the Location was limited to SERVE_LOCATION_MAX when
 * routing. */
static size_t serve_head(struct serve_conn *c, uint64_t clen) {
  char *p = c->out, *q, *e;
  if (c->info100) p = serve_cat(p, serve_interim, sizeof serve_interim - 1);
  p = serve_cats(p, c->http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  p = serve_u64(p, (uint64_t)c->code);
  if (!c->noreason) {
    *p++ = ' ';
    p = serve_cats(p, serve_reason(c->code));
  }
  p = serve_cats(p, "\r\nServer: sitecheck-serve\r\nContent-Type: ");
  p = serve_cats(p, c->ctype);
  p = serve_cats(p, "\r\n");
  if (c->kind == SERVE_BADCHUNK || c->chunked) {
    p = serve_cats(p, "Transfer-Encoding: chunked\r\n");
  } else if (serve_has_body(c->code) && c->kind != SERVE_SITE) {
    p = serve_cats(p, "Content-Length: ");
    p = serve_u64(p, clen);
    p = serve_cats(p, "\r\n");
  }
  if (c->code / 100 == 3) {
    p = serve_cats(p, "Location: ");
    if (!c->loc_a) {
      *p++ = '/';
    } else {
      p = serve_cat(p, c->loc_a, c->loc_alen);
      if (c->loc_num >= 0) {
        p = serve_cats(p, "redirect/");
        p = serve_u64(p, (uint64_t)c->loc_num);
        p = serve_cat(p, c->loc_b, c->loc_blen);
      }
    }
    p = serve_cats(p, "\r\n");
  }
  if (c->code == 405) p = serve_cats(p, "Allow: GET\r\n");
  if (!c->keepalive && !c->http10) p = serve_cats(p, "Connection: close\r\n");
  if (c->keepalive && c->req_http10)
    p = serve_cats(p, "Connection: keep-alive\r\n");
  p = serve_cats(p, "\r\n");
  if (c->bare_lf) { /* /lf: drop every CR of the head */
    for (q = e = c->out; q < p; q++)
      if (*q != '\r') *e++ = *q;
    p = e;
  }
  return (size_t)(p - c->out);
}

/* Starts the reply planned in c (the delay, if any, is over). */
static void serve_respond(struct serve_conn *c) {
  char text[64];
  const char *body = text;
  size_t n, blen;
  uv_buf_t b[2];

  c->started = true;
  switch (c->kind) {
    case SERVE_HANG:
      return;
    case SERVE_EMPTY:
      serve_close(c, false);
      return;
    case SERVE_RESET:
      serve_close(c, true);
      return;
    case SERVE_GARBAGE:
      serve_write1(c, serve_garbage, sizeof serve_garbage - 1);
      return;
    case SERVE_TRUNCATED:
      serve_write1(c, serve_truncated, sizeof serve_truncated - 1);
      return;
    case SERVE_DRIP:
    case SERVE_FLOOD:
      serve_write1(c, serve_status_line, sizeof serve_status_line - 1);
      return;
    case SERVE_BYTES:
    case SERVE_SLOWBODY:
    case SERVE_BADBODY:
      if (c->kind != SERVE_BYTES) c->left = 1000;
      b[0] = uv_buf_init(c->out, (unsigned)serve_head(c, c->left));
      if (c->head_method || !serve_has_body(c->code)) c->left = 0;
      if (c->kind == SERVE_SLOWBODY || c->left == 0) {
        serve_write(c, b, 1);
      } else {
        n = c->kind == SERVE_BADBODY ? 10 : c->left;
        if (n > SERVE_CHUNK) n = SERVE_CHUNK;
        c->left -= n;
        c->srv->body_bytes += n;
        b[1] = uv_buf_init(serve_fill, (unsigned)n);
        serve_write(c, b, 2);
      }
      return;
    case SERVE_SHORTBODY:
    case SERVE_STALLBODY:
    case SERVE_BADCHUNK:
      b[0] = uv_buf_init(c->out, (unsigned)serve_head(c, 1000));
      b[1] = uv_buf_init(serve_badchunk, sizeof serve_badchunk - 1);
      serve_write(c, b, c->kind == SERVE_BADCHUNK && !c->head_method ? 2 : 1);
      return;
    case SERVE_SITE: /* chunked, or to HTTP/1.0 bare until the close */
      c->chunked = !c->req_http10;
      if (!c->chunked) c->keepalive = false;
      n = serve_head(c, 0);
      if (c->head_method) {
        c->site_end = true;
        serve_write1(c, c->out, n);
      } else {
        serve_write_site(c, n);
      }
      return;
    case SERVE_STATS:
      snprintf(text, sizeof text, "body_bytes %llu\n",
               (unsigned long long)c->srv->body_bytes);
      break;
    case SERVE_OK:
      body = "ok\n";
      break;
    case SERVE_REDIRECT:
      body = "";
      break;
    case SERVE_ERROR:
      if (c->code == 404) {
        body = "not found\n";
        break;
      }
      /* fall through */
    case SERVE_STATUS:
      snprintf(text, sizeof text, "%d %s\n", c->code, serve_reason(c->code));
      break;
  }
  blen = serve_has_body(c->code) ? strlen(body) : 0;
  n = serve_head(c, blen);
  if (!c->head_method) {
    memcpy(c->out + n, body, blen);
    n += blen;
  }
  serve_write1(c, c->out, n);
}

/* ------------------------------------------------------------- routing */

/* Moves *p past the next non-empty segment of [*p, end); stores it in
 * seg/len. Returns false if there is none. */
static bool serve_next_seg(const char **p, const char *end, const char **seg,
                           size_t *len) {
  const char *s = *p;
  while (s < end && *s == '/') s++;
  if (s == end) return false;
  *seg = s;
  while (s < end && *s != '/') s++;
  *len = (size_t)(s - *seg);
  *p = s;
  return true;
}

/* Reads the next segment as a number in [min, max]. Returns 0 or -1. */
static int serve_seg_num(const char **p, const char *end, long min, long max,
                         long *out) {
  const char *seg;
  size_t n;
  char tmp[24];
  if (!serve_next_seg(p, end, &seg, &n) || n >= sizeof tmp) return -1;
  memcpy(tmp, seg, n);
  tmp[n] = '\0';
  return sc_parse_long(tmp, min, max, out);
}

static int serve_hex(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Finds url=VALUE in the query and percent-decodes it in place (it lives
 * in c->in, which stays untouched until the reply is written). Returns its
 * decoded length, or -1 if absent or if it decodes to CR, LF or NUL. */
static long serve_query_url(char *q, size_t qlen, char **val) {
  char *end = q + qlen, *s = q, *d;
  while (s < end && !(end - s >= 4 && memcmp(s, "url=", 4) == 0)) {
    s = memchr(s, '&', (size_t)(end - s));
    if (!s) return -1;
    s++;
  }
  if (s >= end) return -1;
  s += 4;
  *val = d = s;
  for (; s < end && *s != '&'; s++) {
    int hi, lo;
    if (*s == '%' && end - s >= 3 && (hi = serve_hex(s[1])) >= 0 &&
        (lo = serve_hex(s[2])) >= 0) {
      *d = (char)(hi * 16 + lo);
      s += 2;
    } else {
      *d = *s;
    }
    if (*d == '\r' || *d == '\n' || *d == '\0') return -1;
    d++;
  }
  return (long)(d - *val);
}

/* Segments without an argument that only choose the kind of reply. A
 * SERVE_SITE row hands the rest of the path, from its own segment on, to
 * the generated site (serve_site_plan). */
static const struct {
  const char *name;
  enum serve_kind kind;
} serve_kinds[] = {
    {"slowbody", SERVE_SLOWBODY},   {"badbody", SERVE_BADBODY},
    {"hang", SERVE_HANG},           {"drip", SERVE_DRIP},
    {"headers-flood", SERVE_FLOOD}, {"garbage", SERVE_GARBAGE},
    {"truncated", SERVE_TRUNCATED}, {"empty", SERVE_EMPTY},
    {"reset", SERVE_RESET},         {"shortbody", SERVE_SHORTBODY},
    {"stallbody", SERVE_STALLBODY}, {"badchunk", SERVE_BADCHUNK},
    {"stats", SERVE_STATS},         {"site", SERVE_SITE},
    {"robots.txt", SERVE_SITE},
};

static void serve_fail(struct serve_conn *c, int code) {
  c->kind = SERVE_ERROR;
  c->code = code;
}

/* Plans the generated site's reply to path[0..len) ("site/...",
 * "robots.txt"): a 404, a redirect, or a body for serve_write_site. Its
 * absolute links name the address and port the client connected to. */
static void serve_site_plan(struct serve_conn *c, const char *path,
                            size_t len) {
  struct sockaddr_storage ss;
  int sl = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "127.0.0.1", host[INET6_ADDRSTRLEN + 2];
  unsigned port = 0;
  memset(&ss, 0, sizeof ss);
  ss.ss_family = AF_INET;
  if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
    uv_ip_name((struct sockaddr *)&ss, ip, sizeof ip);
    port = ntohs(((struct sockaddr_in *)&ss)->sin_port); /* = sin6_port */
  }
  snprintf(host, sizeof host, ss.ss_family == AF_INET6 ? "[%s]" : "%s", ip);
  c->site = sc_site_open(path, len, c->ssl ? "https" : "http", host, port);
  if (!c->site) {
    serve_fail(c, 404);
    return;
  }
  c->code = sc_site_code(c->site);
  if (c->code / 100 == 3) {
    c->kind = SERVE_REDIRECT;
    c->loc_a = sc_site_location(c->site);
    c->loc_alen = strlen(c->loc_a);
  } else {
    c->ctype = sc_site_type(c->site);
  }
}

/* Plans the reply to path (and query) by reading its segments left to
 * right; see the list at the top of this file. */
static void serve_route(struct serve_conn *c, char *path, size_t len,
                        char *query, size_t qlen) {
  const char *p = path, *end = path + len, *seg;
  size_t n, nkinds = sizeof serve_kinds / sizeof *serve_kinds;
  long v;

#define SEG(name) (strlen(name) == n && memcmp(seg, name, n) == 0)
  while (serve_next_seg(&p, end, &seg, &n)) {
    if (SEG("delay")) {
      if (serve_seg_num(&p, end, 0, SERVE_DELAY_MAX, &v)) goto notfound;
      c->delay_ms += (uint64_t)v;
    } else if (SEG("status")) {
      if (serve_seg_num(&p, end, 100, 999, &v)) goto notfound;
      c->code = (int)v;
      if (c->kind == SERVE_OK) c->kind = SERVE_STATUS;
    } else if (SEG("redirect")) {
      const char *at = seg;
      if (serve_seg_num(&p, end, 0, 1000000000L, &v)) goto notfound;
      if (v == 0) continue;
      c->kind = SERVE_REDIRECT;
      c->loc_a = path;
      c->loc_alen = (size_t)(at - path);
      c->loc_num = v - 1;
      c->loc_b = p;
      c->loc_blen = (size_t)(end - p);
      goto planned;
    } else if (SEG("loop")) {
      c->kind = SERVE_REDIRECT;
      c->loc_a = path;
      c->loc_alen = len;
      goto planned;
    } else if (SEG("redirect-to")) {
      char *url;
      long ulen = serve_query_url(query, qlen, &url);
      if (ulen < 0) {
        serve_fail(c, 400);
        return;
      }
      c->kind = SERVE_REDIRECT;
      c->loc_a = url;
      c->loc_alen = (size_t)ulen;
    } else if (SEG("bytes")) {
      if (serve_seg_num(&p, end, 0, SERVE_BYTES_MAX, &v)) goto notfound;
      c->kind = SERVE_BYTES;
      c->left = (uint64_t)v;
    } else if (SEG("head405")) {
      if (c->head_method) {
        c->kind = SERVE_STATUS;
        c->code = 405;
      }
    } else if (SEG("http10")) {
      c->http10 = true;
      c->keepalive = false;
    } else if (SEG("info100")) {
      c->info100 = true;
    } else if (SEG("noreason")) {
      c->noreason = true;
    } else if (SEG("lf")) {
      c->bare_lf = true;
    } else {
      size_t i = 0;
      while (i < nkinds && !SEG(serve_kinds[i].name)) i++;
      if (i == nkinds) goto notfound;
      c->kind = serve_kinds[i].kind;
      if (c->kind == SERVE_SITE) {
        serve_site_plan(c, seg, (size_t)(end - seg));
        if (c->kind == SERVE_ERROR) return;
        goto planned;
      }
    }
  }
#undef SEG
planned:
  if (c->loc_alen + c->loc_blen + 32 > SERVE_LOCATION_MAX) serve_fail(c, 414);
  if (c->code == 0) c->code = c->kind == SERVE_REDIRECT ? 302 : 200;
  return;
notfound: /* an unknown segment or a bad argument */
  serve_fail(c, 404);
}

/* -------------------------------------------------------- request head */

/* Returns the length of the complete request head at the start of c->in
 * (ended by an empty line, CRLF or bare LF), or 0 if it is incomplete.
 * Remembers how far it looked, so a head split over many reads is
 * scanned once. */
static size_t serve_head_end(struct serve_conn *c) {
  const char *b = c->in;
  size_t i = c->scan;
  while (i < c->in_len) {
    const char *nl = memchr(b + i, '\n', c->in_len - i);
    if (!nl) break;
    i = (size_t)(nl - b) + 1;
    if (i < c->in_len && b[i] == '\n') return i + 1;
    if (i + 1 < c->in_len && b[i] == '\r' && b[i + 1] == '\n') return i + 2;
  }
  c->scan = c->in_len >= 2 ? c->in_len - 2 : 0;
  return 0;
}

/* True if the comma-separated header value v contains token tok. */
static bool serve_has_token(const char *v, size_t n, const char *tok) {
  size_t tl = strlen(tok);
  const char *end = v + n;
  while (v < end) {
    const char *e = memchr(v, ',', (size_t)(end - v));
    if (!e) e = end;
    while (v < e && (*v == ' ' || *v == '\t')) v++;
    size_t l = (size_t)(e - v);
    while (l && (v[l - 1] == ' ' || v[l - 1] == '\t')) l--;
    if (l == tl && strncasecmp(v, tok, tl) == 0) return true;
    v = e + 1;
  }
  return false;
}

/* Forgets the last reply's plan: a 200 "ok\n", then close. */
static void serve_plan_init(struct serve_conn *c) {
  c->kind = SERVE_OK;
  c->code = 0;
  c->started = c->head_method = c->keepalive = c->info100 = c->http10 = false;
  c->noreason = c->bare_lf = false;
  c->delay_ms = c->left = 0;
  c->loc_a = c->loc_b = NULL;
  c->loc_alen = c->loc_blen = 0;
  c->loc_num = -1;
  c->drip_pos = 0;
  c->ctype = "text/plain";
  c->chunked = c->site_end = false;
}

/* Parses the request head in c->in[0..head_len) and plans the reply:
 * method, version and keep-alive, the body to skip, then the route. A
 * malformed head gets 400 and a close. */
static void serve_parse(struct serve_conn *c) {
  char *s = c->in, *end = c->in + c->head_len;
  char *eol = memchr(s, '\n', (size_t)(end - s));
  char *line_end = eol > s && eol[-1] == '\r' ? eol - 1 : eol;
  char *sp1 = memchr(s, ' ', (size_t)(line_end - s));
  char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
  char *target, *q;

  if (!sp2 || line_end - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
    serve_fail(c, 400);
    return;
  }
  c->head_method = sp1 - s == 4 && memcmp(s, "HEAD", 4) == 0;
  c->req_http10 = sp2[8] == '0';
  c->keepalive = !c->req_http10;

  for (s = eol + 1; s < end; s = eol + 1) {
    char *colon, *v, *ve;
    eol = memchr(s, '\n', (size_t)(end - s));
    ve = eol > s && eol[-1] == '\r' ? eol - 1 : eol;
    if (ve == s) break;
    colon = memchr(s, ':', (size_t)(ve - s));
    if (!colon) continue;
    for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++) {
    }
    size_t nl = (size_t)(colon - s), vl = (size_t)(ve - v);
    if (nl == 10 && strncasecmp(s, "connection", 10) == 0) {
      if (serve_has_token(v, vl, "close"))
        c->keepalive = false;
      else if (serve_has_token(v, vl, "keep-alive"))
        c->keepalive = true;
    } else if (nl == 14 && strncasecmp(s, "content-length", 14) == 0) {
      uint64_t len = 0;
      while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
      for (size_t i = 0; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9' || len > UINT64_MAX / 10 - 10) {
          c->keepalive = false;
          serve_fail(c, 400);
          return;
        }
        len = len * 10 + (uint64_t)(v[i] - '0');
      }
      c->body_left = len;
    } else if (nl == 17 && strncasecmp(s, "transfer-encoding", 17) == 0) {
      c->keepalive = false; /* a body we do not parse: answer, then close */
    }
  }

  target = sp1 + 1;
  *sp2 = '\0';
  if (strncmp(target, "http://", 7) == 0 ||
      strncmp(target, "https://", 8) == 0) {
    char *slash = strchr(strstr(target, "://") + 3, '/');
    target = slash ? slash : sp2; /* absolute-form; no path means "/" */
  }
  q = strchr(target, '?');
  if (q) *q++ = '\0';
  serve_route(c, target, strlen(target), q ? q : sp2,
              q ? (size_t)(sp2 - q) : 0);
}

/* True if c->in cannot be the start of a request: before the first space
 * comes a byte no method name has (a TLS ClientHello, say), so waiting for
 * the end of the head would be waiting for nothing. */
static bool serve_bad_start(const struct serve_conn *c) {
  for (size_t i = 0; i < c->in_len && c->in[i] != ' '; i++)
    if (!isalnum((unsigned char)c->in[i]) &&
        (c->in[i] == '\0' || !strchr("!#$%&'*+-.^_`|~", c->in[i])))
      return true;
  return false;
}

/* The client took too long (see LIMITS at the top): close, no reply. */
static void serve_on_wait_timer(uv_timer_t *t) {
  serve_close(t->data, false);
}

/* Called whenever c, not answering a request, waits for its client after
 * an accept, a read or a reply: sets the timer for what it waits for. A
 * head's time counts from its start, so bytes that trickle in do not
 * extend it, nor do stray line breaks an idle wait; a body's pause counts
 * from the last read. A connection that starts waiting joins the end of
 * the waiting list. */
static void serve_wait(struct serve_conn *c) {
  struct serve_server *srv = c->srv;
  enum serve_wait w = c->body_left                ? SERVE_WAIT_BODY
                      : c->in_len || !c->answered ? SERVE_WAIT_HEAD
                                                  : SERVE_WAIT_IDLE;
  if (w == c->wait && w != SERVE_WAIT_BODY) return;
  if (c->wait == SERVE_WAIT_NONE) {
    c->wprev = srv->waiting_tail;
    c->wnext = NULL;
    if (srv->waiting_tail)
      srv->waiting_tail->wnext = c;
    else
      srv->waiting = c;
    srv->waiting_tail = c;
  }
  c->wait = w;
  uv_timer_start(&c->timer, serve_on_wait_timer,
                 w == SERVE_WAIT_IDLE ? SERVE_IDLE_MS : SERVE_HEAD_MS, 0);
}

/* c has a whole request head (or a bad one) to answer: from now on only
 * the reply's own pace counts, and the timer is the reply's. */
static void serve_begin(struct serve_conn *c) {
  serve_unwait(c);
  uv_timer_stop(&c->timer);
  c->busy = true;
  serve_plan_init(c);
}

/* Drops request-body bytes and stray line breaks from the start of c->in,
 * then, if a whole request head is there, starts answering it (after its
 * delay), else waits for more (serve_wait). Answers 431 and closes if the
 * buffer is full without a head, 400 and closes at once if it cannot hold
 * one (serve_bad_start). */
static void serve_advance(struct serve_conn *c) {
  size_t skip = 0, end;
  if (c->busy || c->closing) return;
  if (c->body_left) {
    skip = c->body_left < c->in_len ? (size_t)c->body_left : c->in_len;
    c->body_left -= skip;
  }
  while (!c->body_left && skip < c->in_len &&
         (c->in[skip] == '\r' || c->in[skip] == '\n'))
    skip++;
  if (skip) {
    memmove(c->in, c->in + skip, c->in_len - skip);
    c->in_len -= skip;
    c->scan = 0;
  }
  serve_read_start(c); /* over TLS this may add to c->in, or close */
  if (c->closing) return;
  if (c->body_left) {
    serve_wait(c);
    return;
  }
  end = serve_head_end(c);
  if (!end) {
    bool bad = serve_bad_start(c);
    if (!bad && c->in_len < sizeof c->in) {
      serve_wait(c);
      return;
    }
    c->head_len = c->in_len;
    serve_begin(c);
    serve_fail(c, bad ? 400 : 431);
    serve_respond(c);
    return;
  }
  c->head_len = end;
  serve_begin(c);
  serve_parse(c);
  if (c->delay_ms && c->kind != SERVE_ERROR)
    uv_timer_start(&c->timer, serve_on_timer, c->delay_ms, 0);
  else
    serve_respond(c);
}

/* ------------------------------------------------------------- reading */

/* Hands libuv the free tail of c->in: plain reads land in place, no
 * copies. TLS reads land in the shared ciphertext buffer, which the read
 * callback empties into the connection's read BIO. */
static void serve_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  struct serve_conn *c = h->data;
  (void)hint;
  if (c->ssl)
    *buf = uv_buf_init(serve_tls_in, sizeof serve_tls_in);
  else
    *buf = uv_buf_init(c->in + c->in_len, (unsigned)(sizeof c->in - c->in_len));
}

/* Appends what arrived. EOF or an error closes the connection at once
 * (also during a delay or a stream). While a reply is being sent, further
 * requests wait in the buffer; reading pauses if it fills up. */
static void serve_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct serve_conn *c = s->data;
  if (c->ssl && nread > 0) { /* decrypt; c->in_len then counts it */
    if (BIO_write(SSL_get_rbio(c->ssl), buf->base, (int)nread) != nread ||
        serve_tls_pump(c)) {
      serve_close(c, false);
      return;
    }
    nread = 0;
  }
  if (nread == UV_ENOBUFS ||
      (nread >= 0 && c->busy && c->in_len + (size_t)nread == sizeof c->in)) {
    c->in_len += nread > 0 ? (size_t)nread : 0;
    uv_read_stop(s);
    c->reading = false;
    return;
  }
  if (nread < 0) {
    serve_close(c, false);
    return;
  }
  c->in_len += (size_t)nread;
  serve_advance(c);
}

/* Resumes reading (it pauses while a reply fills the buffer), first
 * decrypting what a TLS connection has already received; closes the
 * connection if libuv or OpenSSL says so. */
static void serve_read_start(struct serve_conn *c) {
  if (c->closing) return;
  if (c->ssl && serve_tls_pump(c)) {
    serve_close(c, false);
    return;
  }
  if (c->reading) return;
  if (uv_read_start((uv_stream_t *)&c->tcp, serve_on_alloc, serve_on_read))
    serve_close(c, false);
  else
    c->reading = true;
}

/* Accepts one client into a fresh serve_conn linked into srv->conns,
 * with its SSL if the listener is a TLS one. At the cap it first closes
 * the connection that has waited longest for its client, or, if none is
 * waiting, closes the new one at once (see LIMITS at the top). */
static void serve_on_connection(uv_stream_t *ls, int status) {
  struct serve_listener *l = ls->data;
  struct serve_server *srv = l->srv;
  struct serve_conn *c;
  bool full;
  if (status < 0) return;
  if (srv->nconns >= srv->max_conns && srv->waiting)
    serve_close(srv->waiting, false);
  full = srv->nconns >= srv->max_conns;
  c = sc_xmalloc(sizeof *c);
  memset(c, 0, offsetof(struct serve_conn, in)); /* not the buffers */
  c->srv = srv;
  uv_tcp_init(&srv->loop, &c->tcp);
  uv_timer_init(&srv->loop, &c->timer);
  c->tcp.data = c->timer.data = c->wreq.data = c;
  c->open_handles = 2;
  c->next = srv->conns;
  if (srv->conns) srv->conns->prev = c;
  srv->conns = c;
  srv->nconns++;
  if (uv_accept(ls, (uv_stream_t *)&c->tcp) || full ||
      (l->ctx && serve_tls_start(c, l->ctx))) {
    serve_close(c, false);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  serve_wait(c); /* the first request head, from now */
  serve_read_start(c);
}

/* ------------------------------------------------------------ the server */

/* Closes the listeners, the signal handles and every connection, so that
 * uv_run returns once their close callbacks have run. */
static void serve_on_signal(uv_signal_t *sig, int signum) {
  struct serve_server *srv = sig->data;
  (void)signum;
  if (srv->stopping) return;
  srv->stopping = true;
  for (int i = 0; i < srv->nls; i++)
    uv_close((uv_handle_t *)&srv->ls[i].tcp, NULL);
  uv_close((uv_handle_t *)&srv->sigint, NULL);
  uv_close((uv_handle_t *)&srv->sigterm, NULL);
  for (struct serve_conn *c = srv->conns; c; c = c->next) serve_close(c, false);
}

/* Binds and listens on name (ADDR:PORT) as listener number srv->nls.
 * Returns 0, or a libuv error code (the handle is then still counted, to
 * be closed by the caller). */
static int serve_listen(struct serve_server *srv, const char *name) {
  struct serve_listener *l = &srv->ls[srv->nls];
  struct sockaddr_storage sa;
  int r;
  uv_tcp_init(&srv->loop, &l->tcp);
  l->tcp.data = l;
  l->srv = srv;
  srv->nls++;
  sc_parse_addr(name, &sa); /* checked by serve_args */
  r = uv_tcp_bind(&l->tcp, (struct sockaddr *)&sa,
                  sa.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
  if (!r)
    r = uv_listen((uv_stream_t *)&l->tcp, SERVE_BACKLOG, serve_on_connection);
  return r;
}

/* Prints "listening on http[s]://ADDR:PORT" for listener l. */
static void serve_print_url(struct serve_listener *l) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  char name[64] = "?";
  uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
  uv_ip_name((struct sockaddr *)&ss, name, sizeof name);
  printf(ss.ss_family == AF_INET6 ? "listening on %s://[%s]:%d\n"
                                  : "listening on %s://%s:%d\n",
         l->ctx ? "https" : "http", name,
         ntohs(((struct sockaddr_in *)&ss)->sin_port)); /* = sin6_port */
}

static void serve_usage(FILE *f) {
  fputs(
      "usage: sitecheck serve [--listen ADDR:PORT]... "
      "[--tls ADDR:PORT,CERT,KEY]...\n"
      "Run the simulated web: an HTTP/1.1 server whose replies are chosen\n"
      "by the URL path (/delay/MS, /status/CODE, /redirect/N, /bytes/N,\n"
      "/hang, /drip, ... see sitecheck(1)), and /site/N/SEED/, a website\n"
      "of N pages for crawlers, with /robots.txt, sitemaps (gzipped too)\n"
      "and traps (/site/traps.html). Runs until SIGINT or SIGTERM.\n"
      "  --listen ADDR:PORT  listen there (repeatable; IPv6 as [::1]:PORT;\n"
      "                      port 0 picks a free port). Default, if no\n"
      "                      listener is given: 127.0.0.1:8080.\n"
      "  --tls ADDR:PORT,CERT,KEY\n"
      "                      HTTPS listener with the certificate (chain)\n"
      "                      and private key in PEM files CERT and KEY;\n"
      "                      same paths (repeatable; printed after the\n"
      "                      --listen ones).\n"
      "  -h, --help          show this help\n"
      "Limits: a request head must arrive in full within 10 s of the\n"
      "connection (or of its first byte, on a kept-alive connection); a\n"
      "kept-alive connection may sit idle 15 s; replies that are slow on\n"
      "purpose (/delay, /hang, /drip) are not timed. Connections are capped\n"
      "below the open-file limit (an eighth of it, 16 to 1024 descriptors,\n"
      "stays free); at the cap a new client takes the place of the\n"
      "connection that has waited longest for its client.\n",
      f);
}

/* Parses a --listen value (ADDR:PORT) or, with tls, a --tls value
 * (ADDR:PORT,CERT,KEY; the key path is the rest, commas and all) into sp,
 * which then owns a copy. Returns 0, or -1 (nothing kept). */
static int serve_parse_spec(const char *v, bool tls, struct serve_spec *sp) {
  struct sockaddr_storage sa;
  char *c1, *c2 = NULL;
  sp->addr = sc_xstrdup(v);
  sp->cert = sp->key = NULL;
  if (tls) {
    c1 = strchr(sp->addr, ',');
    c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c2 || c2 == c1 + 1 || !c2[1]) goto bad;
    *c1 = *c2 = '\0';
    sp->cert = c1 + 1;
    sp->key = c2 + 1;
  }
  if (sc_parse_addr(sp->addr, &sa) == 0) return 0;
bad:
  free(sp->addr);
  return -1;
}

/* Collects the --listen and --tls values of argv into specs (room for
 * argc): the plain listeners in the order given, then the TLS ones; at
 * least one (the default). Returns their number, 0 after -h (usage
 * printed), or -1 after a one-line error on stderr. The caller frees each
 * spec's addr. */
static int serve_args(int argc, char **argv, struct serve_spec *specs) {
  struct serve_spec *all = sc_xcalloc((size_t)argc + 1, sizeof *all);
  int n = 0, k = 0, rc = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    bool tls = strncmp(a, "--tls", 5) == 0;
    size_t ol = tls ? 5 : 8;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      serve_usage(stdout);
      goto out;
    }
    if (!tls && strncmp(a, "--listen", 8) != 0) a = "";
    if (a[ol] == '\0' && *a) {
      v = i + 1 < argc ? argv[++i] : NULL;
    } else if (a[ol] == '=') {
      v = a + ol + 1;
    } else {
      fprintf(stderr, "sitecheck serve: unknown argument '%s'\n", argv[i]);
      rc = -1;
      goto out;
    }
    if (!v || serve_parse_spec(v, tls, &all[n])) {
      fprintf(stderr,
              tls ? "sitecheck serve: --tls needs ADDR:PORT,CERTFILE,KEYFILE "
                    "(IPv6 as [V6ADDR]:PORT,...), not '%s'\n"
                  : "sitecheck serve: --listen needs ADDR:PORT or "
                    "[V6ADDR]:PORT, not '%s'\n",
              v ? v : "");
      rc = -1;
      goto out;
    }
    n++;
  }
  if (n == 0) serve_parse_spec("127.0.0.1:8080", false, &all[n++]);
  for (int tls = 0; tls < 2; tls++) /* plain first, each in order */
    for (int j = 0; j < n; j++)
      if ((all[j].cert != NULL) == tls) specs[k++] = all[j];
  free(all);
  return n;
out:
  for (int j = 0; j < n; j++) free(all[j].addr);
  free(all);
  return rc;
}

int sc_serve_main(int argc, char **argv) {
  struct serve_server srv;
  struct serve_spec *specs = sc_xcalloc((size_t)argc + 1, sizeof *specs);
  int n = serve_args(argc, argv, specs), rc = SC_EXIT_OK;

  if (n <= 0) {
    free(specs);
    return n == 0 ? SC_EXIT_OK : SC_EXIT_USAGE;
  }
  signal(SIGPIPE, SIG_IGN);
  long nofile = sc_raise_nofile(), reserve = nofile / 8;
  reserve = (reserve < 16 ? 16 : reserve > 1024 ? 1024 : reserve) + n;
  memset(serve_fill, 'x', sizeof serve_fill);
  for (size_t i = 0; i < sizeof serve_flood; i += 64) {
    memset(serve_flood + i, 'a', 62);
    memcpy(serve_flood + i, "X-Flood: ", 9);
    memcpy(serve_flood + i + 62, "\r\n", 2);
  }

  memset(&srv, 0, sizeof srv);
  srv.max_conns = nofile > reserve ? nofile - reserve : 1;
  uv_loop_init(&srv.loop);
  srv.ls = sc_xcalloc((size_t)n, sizeof *srv.ls);
  for (int i = 0; i < n && rc == SC_EXIT_OK; i++) /* certificates first */
    if (specs[i].cert && serve_tls_ctx(&srv.ls[i], &specs[i]))
      rc = SC_EXIT_USAGE;
  for (int i = 0; i < n && rc == SC_EXIT_OK; i++) {
    int r = serve_listen(&srv, specs[i].addr);
    if (r) {
      fprintf(stderr, "sitecheck serve: cannot listen on %s: %s\n",
              specs[i].addr, uv_strerror(r));
      rc = SC_EXIT_USAGE;
    }
  }
  if (rc == SC_EXIT_OK) {
    for (int i = 0; i < srv.nls; i++) serve_print_url(&srv.ls[i]);
    fflush(stdout);
    uv_signal_init(&srv.loop, &srv.sigint);
    uv_signal_init(&srv.loop, &srv.sigterm);
    srv.sigint.data = srv.sigterm.data = &srv;
    uv_signal_start(&srv.sigint, serve_on_signal, SIGINT);
    uv_signal_start(&srv.sigterm, serve_on_signal, SIGTERM);
  } else {
    for (int i = 0; i < srv.nls; i++)
      uv_close((uv_handle_t *)&srv.ls[i].tcp, NULL);
  }
  uv_run(&srv.loop, UV_RUN_DEFAULT);
  uv_loop_close(&srv.loop);
  for (int i = 0; i < n; i++) {
    SSL_CTX_free(srv.ls[i].ctx);
    free(specs[i].addr);
  }
  free(srv.ls);
  free(specs);
  return rc;
}
