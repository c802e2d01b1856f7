/* url.h - turns an input line into a URL we can check, with libcurl's URL
 * API (curl_url). A strict recognizer of URLs that are already in
 * curl_url's canonical form answers first (most lists are); it accepts
 * nothing curl_url would change, and anything else takes the full parse. */
#ifndef SC_URL_H
#define SC_URL_H

#include <stddef.h>

#include "result.h"

/* A checkable URL, as sc_url_normalize found it. The strings are the
 * caller's to free. An internationalised host name is in its ASCII
 * (IDNA, punycode) form in both: bücher.example is xn--bcher-kva.example,
 * the name DNS, TLS and the per-host limits know it by. */
struct sc_url {
  char *url;      /* normalized URL */
  char *host;     /* lower-cased host name or address ([v6] in brackets) */
  long port;      /* explicit or the scheme's default */
  int ip_literal; /* the host is an IPv4 or IPv6 address: no lookup */
};

/* Validates and normalizes one trimmed input line of len bytes. A line
 * names a scheme when the text before its first ':' is an RFC 3986 scheme
 * name and what follows that ':' is not a port (digits up to '/', '?',
 * '#' or the end): "mailto:a@b.c" and "urn:isbn:1" name schemes, while
 * "example.com:8080/x" and "localhost:3000" do not. A line that names no
 * scheme is taken as https://LINE. On success returns SC_OK and fills
 * *out. Otherwise returns the failure class the line gets without any
 * network traffic and sets *why to a static reason:
 *   SC_INVALID_URL - not an http(s) URL we can check (syntax, NUL bytes,
 *                    spaces, other schemes, a host that is not a valid
 *                    internationalised name, longer than SC_LINE_MAX);
 *   SC_DNS         - the host is in the reserved .invalid domain (RFC 6761
 *                    says such names never resolve; we do not ask DNS).
 * out is zeroed whenever the result is not SC_OK. */
enum sc_class sc_url_normalize(const char *line, size_t len, int overlong,
                               struct sc_url *out, const char **why);

/* The two halves of sc_url_normalize, for the test that holds them to
 * the same answers: sc_url_fast returns 1 and fills *out only for a URL
 * in canonical form (see url.c), else 0 with *out untouched;
 * sc_url_parse is the full parse with curl_url. */
int sc_url_fast(const char *line, size_t len, struct sc_url *out);
enum sc_class sc_url_parse(const char *line, size_t len, int overlong,
                           struct sc_url *out, const char **why);

#endif
