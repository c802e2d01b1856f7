/* job.h - one input line on its way to a check: the line as read and, when
 * it is a checkable URL, its normalized form. */
#ifndef SC_JOB_H
#define SC_JOB_H

#include <stddef.h>
#include <stdint.h>

struct sc_job {
  char *line; /* trimmed line, NUL-terminated (may hold NUL bytes: len) */
  size_t len;
  uint64_t lineno;
  char *url;  /* normalized URL to check, NULL if invalid */
  char *host; /* its host, lower-cased */
  long port;
  int ip_literal; /* the host is an address: no lookup needed */
  int alone;      /* at its start, a new host with no other check in
                     flight or waiting: it connects afresh (set by the
                     scheduler; see sc_sched_keep_connection for keeping) */
  int stolen;     /* taken by a loop other than its host's: it connects
                     afresh and closes (scheduler.c, take_ready) */
};

/* Frees the strings a job owns and zeroes it. */
void sc_job_clear(struct sc_job *j);

struct sc_result;

/* Starts a result for j: url/line from the job, everything else empty.
 * The result borrows j's strings. */
void sc_result_for_job(struct sc_result *r, const struct sc_job *j);

#endif
