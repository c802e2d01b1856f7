/* result.h - the outcome of checking one input line: a final HTTP status or
 * a failure class, plus what the per-URL record reports. Produced by the
 * check core (check.c) or by input validation, consumed by the sink. */
#ifndef SC_RESULT_H
#define SC_RESULT_H

#include <stddef.h>
#include <stdint.h>

/* Failure classes, in the alphabetical order the tally prints them. */
enum sc_class {
  SC_OK = -1, /* not a failure: the result carries a status code */
  SC_CONNECT = 0,
  SC_DNS,
  SC_INVALID_URL,
  SC_OTHER,
  SC_PROTOCOL,
  SC_TIMEOUT,
  SC_TLS,
  SC_TOO_MANY_REDIRECTS,
  SC_CLASS_COUNT
};

#define SC_DETAIL_MAX 256
#define SC_IP_MAX 64

struct sc_result {
  const char *url; /* the line as read, trimmed (not NUL-safe: url_len) */
  size_t url_len;
  uint64_t line;      /* 1-based line number in its input */
  int status;         /* final HTTP status, 0 if none */
  enum sc_class cls;  /* SC_OK when status is the answer */
  char detail[SC_DETAIL_MAX]; /* "" when none */
  double time_ms;
  const char *final_url; /* NULL when none; borrowed */
  long redirects;
  char ip[SC_IP_MAX]; /* "" when none */
};

/* "connect", "dns", ...; NULL for SC_OK. */
const char *sc_class_name(enum sc_class c);

/* Looks a class up by name; returns SC_OK when there is none. */
enum sc_class sc_class_from_name(const char *name);

#endif
