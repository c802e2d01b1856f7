/* job.c - see job.h. */
#include "job.h"

#include <stdlib.h>
#include <string.h>

#include "result.h"

void sc_job_clear(struct sc_job *j) {
  free(j->line);
  free(j->url);
  memset(j, 0, sizeof *j);
}

void sc_result_for_job(struct sc_result *r, const struct sc_job *j) {
  memset(r, 0, sizeof *r);
  r->url = j->line;
  r->url_len = j->len;
  r->line = j->lineno;
  r->cls = SC_OK;
}
