/* job.c - see job.h. */
#include "job.h"

#include <stdlib.h>
#include <string.h>

#include "result.h"

void sc_job_clear(struct sc_job *j) {
  free(j->line);
  free(j->url);
  free(j->host);
  memset(j, 0, sizeof *j);
}

void sc_result_for_job(struct sc_result *r, const struct sc_job *j) {
  memset(r, 0, sizeof *r);
  r->url = j->line;
  r->url_len = j->len;
  r->line = j->lineno;
  r->check_url = j->url;
  r->a.cls = SC_OK;
  r->a.content_length = -1;
  r->a.cert_days_left = SC_NO_DAYS;
  r->a.attempts = 1;
  r->a.dns_ms = r->a.connect_ms = r->a.tls_ms = r->a.ttfb_ms = SC_NO_TIME;
}
