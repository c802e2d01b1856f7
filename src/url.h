/* url.h - turns an input line into a URL we can check, with libcurl's URL
 * API (curl_url), never a hand-written parser. */
#ifndef SC_URL_H
#define SC_URL_H

#include <stddef.h>

#include "result.h"

/* Validates and normalizes one trimmed input line of len bytes. A line
 * without a scheme is taken as https://LINE. On success returns SC_OK and
 * sets *out to a newly allocated normalized URL (caller frees). Otherwise
 * returns the failure class the line gets without any network traffic and
 * sets *why to a static reason:
 *   SC_INVALID_URL - not an http(s) URL we can check (syntax, NUL bytes,
 *                    spaces, other schemes, longer than SC_LINE_MAX);
 *   SC_DNS         - the host is in the reserved .invalid domain (RFC 6761
 *                    says such names never resolve; we do not ask DNS).
 * *ip_literal (if not NULL) is set to 1 when the host is an IPv4 or IPv6
 * address, which needs no name lookup (and so fewer descriptors). */
enum sc_class sc_url_normalize(const char *line, size_t len, int overlong,
                               char **out, const char **why, int *ip_literal);

#endif
