/* url.c - see url.h. */
#include "url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reader.h"
#include "util.h"

/* True when host is "invalid" or ends in ".invalid" (a trailing dot
 * allowed), case-insensitively. */
static int host_is_reserved_invalid(const char *host) {
  size_t n = strlen(host);
  if (n && host[n - 1] == '.') n--;
  if (n == 7) return strncasecmp(host, "invalid", 7) == 0;
  return n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0;
}

/* True when host (as curl_url returns it: IPv6 in brackets) is an
 * address literal. */
static int host_is_ip(const char *host) {
  unsigned char addr[16];
  char tmp[64];
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof tmp) {
    memcpy(tmp, host + 1, n - 2);
    tmp[n - 2] = '\0';
    char *zone = strchr(tmp, '%');
    if (zone) *zone = '\0';
    return inet_pton(AF_INET6, tmp, addr) == 1;
  }
  return inet_pton(AF_INET, host, addr) == 1;
}

int sc_url_location_is_invalid(const char *v, size_t n) {
  char buf[SC_LINE_MAX + 8];
  char *host = NULL;
  int bad = 0;
  if (n >= SC_LINE_MAX) return 0;
  /* Only an absolute or scheme-relative target can change the host. */
  if (n > 2 && v[0] == '/' && v[1] == '/')
    snprintf(buf, sizeof buf, "http:%.*s", (int)n, v);
  else if (memchr(v, ':', n) && n > 4 && strncasecmp(v, "http", 4) == 0)
    snprintf(buf, sizeof buf, "%.*s", (int)n, v);
  else
    return 0;
  CURLU *u = curl_url();
  if (u && curl_url_set(u, CURLUPART_URL, buf, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
    bad = host_is_reserved_invalid(host);
  curl_free(host);
  curl_url_cleanup(u);
  return bad;
}

enum sc_class sc_url_normalize(const char *line, size_t len, int overlong,
                               struct sc_url *out, const char **why) {
  enum sc_class cls = SC_INVALID_URL;
  char *scheme = NULL, *host = NULL, *url = NULL, *port = NULL;
  CURLU *u;

  memset(out, 0, sizeof *out);
  if (overlong) {
    *why = "line longer than 8192 bytes";
    return SC_INVALID_URL;
  }
  if (memchr(line, '\0', len)) {
    *why = "line contains a NUL byte";
    return SC_INVALID_URL;
  }
  u = curl_url();
  if (!u) {
    *why = "out of memory";
    return SC_OTHER;
  }
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, line,
                              CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    *why = curl_url_strerror(rc);
    goto done;
  }
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
    *why = "unsupported scheme (only http and https are checked)";
    goto done;
  }
  if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
    *why = "no host in the URL";
    goto done;
  }
  if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
    *why = "cannot rebuild the URL";
    goto done;
  }
  if (host_is_reserved_invalid(host)) {
    *why =
        "Could not resolve host: the .invalid domain never resolves "
        "(RFC 6761)";
    cls = SC_DNS;
    goto done;
  }
  if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
    *why = "no port for the URL";
    goto done;
  }
  if (atol(port) <= 0) {
    *why = "port 0 cannot be connected to";
    goto done;
  }
  *why = NULL;
  cls = SC_OK;
  out->url = sc_xstrdup(url);
  out->host = sc_xstrdup(host);
  for (char *h = out->host; *h; h++)
    if (*h >= 'A' && *h <= 'Z') *h = (char)(*h - 'A' + 'a');
  out->port = atol(port);
  out->ip_literal = host_is_ip(host);
done:
  curl_free(port);
  curl_free(scheme);
  curl_free(host);
  curl_free(url);
  curl_url_cleanup(u);
  return cls;
}
