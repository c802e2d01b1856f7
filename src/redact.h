/* redact.h - masks the passwords of URLs before they are shown.
 *
 * Everything that prints a URL, or text that may quote one (a libcurl
 * error message), passes it through sc_redact_url first:
 * "http://alice:s3cret@host/" is shown as "http://alice:***@host/". The
 * user name stays (it says which account was used); a password of any
 * length, empty included, becomes SC_REDACT_MASK. Nothing else is masked:
 * a query string ("?token=...") is part of the address checked and is
 * shown as it is.
 *
 * This is no URL parser, and needs none: a URL's authority starts after
 * "scheme:" and the slashes that follow and ends at the first '/', '?' or
 * '#'; its userinfo is what comes before the last '@' in it; the password
 * is what follows the userinfo's first ':'. RFC 3986, WHATWG and libcurl
 * all place the password inside that span (they differ on which '@' ends
 * it, and on '\'), so masking all of it hides the password whichever way
 * a reader splits the URL; at worst it also hides a part of a malformed
 * URL that another reader would call the host. */
#ifndef SC_REDACT_H
#define SC_REDACT_H

#include <stddef.h>

#include "util.h"

#define SC_REDACT_MASK "***"

enum {
  /* The text is prose that may quote URLs anywhere (an error message):
   * every "scheme:/" or "//" in it starts one, and an authority also ends
   * at white space, '"', '<' or '>'. Without this flag the
   * text is one URL, read the way an input line is: a line that does not
   * start with "scheme:/" (or "//") is "https://" + the line, so its
   * authority starts at its first byte. */
  SC_REDACT_TEXT = 1,
  /* The text may have been cut short at its end. An authority that runs
   * into the end with no '@' but a ':' may be a password cut before its
   * '@'; as it cannot be told from a host:port, what follows that ':' is
   * masked too. */
  SC_REDACT_CUT = 2,
};

/* Appends in[0..len) to out with every password masked as described
 * above (flags: SC_REDACT_*). Any bytes, NUL included, are copied as they
 * are. Returns the number of passwords masked. */
int sc_redact_url(const char *in, size_t len, unsigned flags,
                  struct sc_buf *out);

#endif
