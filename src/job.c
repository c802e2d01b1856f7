/* job.c - see job.h. */
#include "job.h"

#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "util.h"

void sc_job_clear(struct sc_job *j) {
  free(j->line);
  if (j->url) {
    free(j->url);
    free(j->host);
  }
  memset(j, 0, sizeof *j);
}

void sc_result_for_job(struct sc_result *r, const struct sc_job *j) {
  memset(r, 0, sizeof *r);
  r->url = j->line;
  r->url_len = j->len;
  r->line = j->lineno;
  r->input = j->input;
  r->input_no = j->input_no;
  r->check_url = j->url;
  r->tried_url = j->url;
  r->a.cls = SC_OK;
  r->a.content_length = -1;
  r->a.cert_days_left = SC_NO_DAYS;
  r->a.attempts = 1;
  r->a.dns_ms = r->a.connect_ms = r->a.tls_ms = r->a.ttfb_ms = SC_NO_TIME;
  r->a.start_ms = SC_NO_TIME;
  r->a.transfer_ms = SC_NO_TIME;
}

void sc_result_decided(struct sc_result *r, const struct sc_job *j) {
  sc_result_for_job(r, j);
  r->a.cls = j->cls;
  r->a.status = j->status;
  r->a.attempts = 0;
  if (j->why) sc_strcpy_cut(r->a.detail, sizeof r->a.detail, j->why);
  r->duplicate_of = j->duplicate_of;
}
