/* resolver.h - host name resolution on the event loop (c-ares + libuv),
 * with a bounded TTL cache, for handing libcurl addresses through
 * CURLOPT_RESOLVE ("+host:port:ADDRS").
 *
 * One resolver per uv loop, used only from that loop's thread. Its own
 * cache may stand in front of the run's shared one (dnscache.h), which
 * every loop and blocking lookup of the run fills and asks, and which
 * also remembers names whose lookups keep failing. Names are
 * resolved with ares_getaddrinfo: /etc/hosts first, then DNS. With the
 * system's servers the search domains and ndots of /etc/resolv.conf apply
 * (as with getaddrinfo and libcurl); with servers given, names are looked
 * up as they are. "localhost" and "*.localhost" always answer the loopback
 * addresses and "*.invalid" always NXDOMAIN, without a query (RFC 6761).
 * c-ares is initialised on first use (thread-safe); callers need not call
 * ares_library_init. */
#ifndef SC_RESOLVER_H
#define SC_RESOLVER_H

#include <stddef.h>
#include <uv.h>

/* Statuses passed to sc_resolve_cb and returned by sc_resolve_blocking. */
#define SC_RESOLVE_OK 0
/* No such name (NXDOMAIN), or no address of the family (NODATA). */
#define SC_RESOLVE_NXDOMAIN (-1)
/* No answer within timeout_ms. */
#define SC_RESOLVE_TIMEOUT (-2)
/* Anything else: SERVFAIL, REFUSED, unreachable server, invalid name. */
#define SC_RESOLVE_ERROR (-3)
/* Earlier lookups of the name timed out or failed at the server, as often
 * in a row as the shared cache's failure memory asks, and recently: no
 * query was sent. err repeats the last failure's message and says so. */
#define SC_RESOLVE_FAILED_BEFORE (-4)

/* Most entries and bytes a resolver's own cache holds; at a limit expired
 * entries go first, then the oldest. */
#ifndef SC_RESOLVER_CACHE_MAX
#define SC_RESOLVER_CACHE_MAX 100000
#endif
#ifndef SC_RESOLVER_CACHE_BYTES
#define SC_RESOLVER_CACHE_BYTES ((size_t)32 << 20)
#endif
/* Most DNS queries the process's resolvers have on the wire at once (a
 * lookup of both families sends two; see sc_resolver_set_shares); further
 * lookups wait their turn, and the wait counts against their timeout. Against a
 * local dnsmasq 256 at once already lost datagrams now and then (each loss
 * costs a retry after timeout_ms/3); 128 never did, and gave the most
 * lookups/s. */
#ifndef SC_RESOLVER_MAX_QUERIES
#define SC_RESOLVER_MAX_QUERIES 128
#endif

struct sc_resolver;
struct sc_dnscache;

/* An idle resolver (no lookup outstanding) keeps no reference on the loop:
 * uv_run(UV_RUN_DEFAULT) returns once the rest of the loop is done, while
 * the resolver and its cache live on until sc_resolver_free. */

/* Creates the resolver of `loop`. shared: the run's cache (locked), asked
 * when the resolver's own cache has no answer and no query of the name is
 * under way, and given every answer and failure; NULL for none (no failure
 * memory either). It must outlive the resolver. servers: NULL for the system's
 * (/etc/resolv.conf, read now), or "ADDR[:PORT],..." with IPv4 or
 * [IPv6]:port entries, as --dns-servers takes. family: 0 for both (A and
 * AAAA), 4 or 6. timeout_ms: the most a lookup may take, from the call to
 * its callback (<= 0 means 5000); c-ares' first try waits timeout_ms/3
 * but at most 1 s, each next one twice the last, as many as fill
 * timeout_ms. Returns NULL and writes a message to err on a bad
 * argument or c-ares failure. The resolver owns uv handles on `loop` until
 * sc_resolver_free. */
struct sc_resolver *sc_resolver_new(uv_loop_t *loop, struct sc_dnscache *shared,
                                    const char *servers, int family,
                                    long timeout_ms, char *err, size_t errlen);

/* Says that r is one of `shares` resolvers of the process that ask the same
 * servers at once (one per event loop): r keeps its share of
 * SC_RESOLVER_MAX_QUERIES on the wire, at least one lookup. A local
 * resolver reads its one socket no faster for there being more loops, so
 * the process as a whole stays within what it reads without losing
 * datagrams. Call it before the first lookup; shares < 1 counts as 1. */
void sc_resolver_set_shares(struct sc_resolver *r, int shares);

/* Result of a lookup. status SC_RESOLVE_OK: addrs is "ip1,ip2,..." (IPv4
 * first, then IPv6 in brackets as CURLOPT_RESOLVE wants: "[::1]"), err "".
 * Otherwise a negative SC_RESOLVE_* status, addrs "" and a one-line message
 * naming the host in err. Both strings are valid only during the call. */
typedef void (*sc_resolve_cb)(void *arg, int status, const char *addrs,
                              const char *err);

/* Looks host up (a name, an IPv4 literal, or an IPv6 literal with or
 * without brackets; a literal is returned as it is, whatever the family).
 * Literals, the RFC 6761 names above, cache hits and names found in
 * /etc/hosts call cb (not NULL) before returning. Positive answers are cached
 * for the smallest record TTL, clamped to [1 s, 1 h]; negative answers
 * (NXDOMAIN, no record of the family) for 5 s, as ares_getaddrinfo does not
 * pass on the SOA minimum. A lookup that went out and timed out or failed
 * at the server is counted in the shared cache's failure memory (then the
 * name may answer SC_RESOLVE_FAILED_BEFORE for a while); other errors are
 * not cached. Concurrent lookups of the same name (case-insensitive) share
 * one query. cb may call any function of this resolver, including
 * sc_resolver_free. Returns an id (> 0) for sc_resolver_cancel, or 0 if cb
 * has already been called. */
unsigned long sc_resolver_lookup(struct sc_resolver *r, const char *host,
                                 sc_resolve_cb cb, void *arg);

/* Makes sure the callback of lookup `id` will not be called. Ids of
 * finished or cancelled lookups are ignored, so it is always safe to call,
 * also from inside another lookup's callback. */
void sc_resolver_cancel(struct sc_resolver *r, unsigned long id);

/* Cancels every lookup (their callbacks are not called), destroys the
 * c-ares channel and closes the resolver's uv handles. The caller then runs
 * the loop so the close callbacks run (the last one frees r) before
 * uv_loop_close. May be called from inside a callback; r must not be used
 * afterwards. */
void sc_resolver_free(struct sc_resolver *r);

/* Blocking lookup for the thread, process and serial models: the same
 * semantics, with shared (the run's cache, or NULL for no cache) as the
 * cache. A name the cache cannot answer is looked up on a private loop and
 * channel, by one thread at a time: threads that want the same name
 * meanwhile wait for that lookup's answer (at most timeout_ms, then
 * SC_RESOLVE_TIMEOUT). Writes the address list to addrs (cap bytes) and
 * any message to err. Returns the status (SC_RESOLVE_ERROR also if addrs
 * is too small). Thread-safe. */
int sc_resolve_blocking(struct sc_dnscache *shared, const char *host,
                        const char *servers, int family, long timeout_ms,
                        char *addrs, size_t cap, char *err, size_t errlen);

#endif
