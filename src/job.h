/* job.h - one input item on its way to a check: the line as read and,
 * when it is a checkable URL, its normalized form; or, for a decided job,
 * the answer its source already knows (source.h). A job is small (the
 * two kinds share their fields) and copied whole: the scheduler queues
 * thousands of them. */
#ifndef SC_JOB_H
#define SC_JOB_H

#include <stddef.h>
#include <stdint.h>

struct sc_job {
  char *line; /* trimmed line, NUL-terminated (may hold NUL bytes: len) */
  size_t len;
  uint64_t lineno;
  const char *input; /* its input's name as given ("-": stdin); borrowed
                        from the options, which outlive every job */
  uint32_t input_no; /* that input's index among the inputs */
  char *url;         /* normalized URL to check; NULL: a decided job (below) */
  union {
    struct {      /* a job to check */
      char *host; /* its host, lower-cased */
      long port;
    };
    struct {                 /* a decided job (url NULL) */
      const char *why;       /* detail, or NULL: static, or the source's */
      uint64_t duplicate_of; /* --dedup: line of the first occurrence */
    };
  };
  int16_t cls;        /* a decided job: enum sc_class, SC_OK when status is
                         the answer (a --dedup repeat's first was answered) */
  int16_t status;     /* ... and that status */
  int32_t timeout_ms; /* this check's time limit instead of -t's, or 0 (a
                         /probe of sitecheck watch: the scrape's timeout) */
  uint8_t ip_literal; /* the host is an address: no lookup needed */
  uint8_t alone;      /* at its start, a new host with no other check in
                         flight or waiting: it connects afresh (set by the
                         scheduler; see sc_sched_keep_connection) */
  uint8_t stolen;     /* taken by a loop other than its host's: it connects
                         afresh and closes (lanes.c) */
  uint8_t no_retry;   /* no retries, whatever --retries says (a /probe) */
  uint8_t read;       /* enum sc_read_mode (page.h): read the body for links */
  void *entry;        /* the links source's own record of this URL (frontier.h),
                         or NULL for a list's line; never freed with the job */
};

/* Frees the strings a job owns (line; url and host unless decided) and
 * zeroes it. */
void sc_job_clear(struct sc_job *j);

struct sc_result;

/* Starts a result for j: url/line from the job, everything else empty.
 * The result borrows j's strings. */
void sc_result_for_job(struct sc_result *r, const struct sc_job *j);

/* The whole result of a decided job (url NULL): no try was made. */
void sc_result_decided(struct sc_result *r, const struct sc_job *j);

#endif
