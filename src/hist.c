/* hist.c - see hist.h. */
#include "hist.h"

#include <math.h>
#include <string.h>

#define GAMMA ((1.0 + SC_HIST_ALPHA) / (1.0 - SC_HIST_ALPHA))

void sc_hist_init(struct sc_hist *h) {
  memset(h, 0, sizeof *h);
}

/* The logarithm's rounding can put a value next to a bound one bucket off;
 * the loops move it to the bucket whose bounds hold it, so the error bound
 * is exact. */
int sc_hist_bucket(double v) {
  if (!(v > SC_HIST_LOW)) return 0;
  double x = ceil(log(v / SC_HIST_LOW) / log(GAMMA));
  if (x >= SC_HIST_BUCKETS - 1) return SC_HIST_BUCKETS - 1;
  int i = x < 1 ? 1 : (int)x;
  while (i > 1 && v <= sc_hist_upper(i - 1)) i--;
  while (i < SC_HIST_BUCKETS - 1 && v > sc_hist_upper(i)) i++;
  return i;
}

double sc_hist_upper(int i) {
  return SC_HIST_LOW * pow(GAMMA, i);
}

double sc_hist_lower(int i) {
  return i <= 0 ? 0 : sc_hist_upper(i - 1);
}

double sc_hist_value(int i) {
  if (i <= 0) return SC_HIST_LOW;
  return 2 * sc_hist_upper(i) / (GAMMA + 1);
}

void sc_hist_add(struct sc_hist *h, double v) {
  if (!(v > 0)) v = 0;
  if (h->count == 0 || v < h->min) h->min = v;
  if (h->count == 0 || v > h->max) h->max = v;
  h->count++;
  h->sum += v;
  h->b[sc_hist_bucket(v)]++;
}

double sc_hist_quantile(const struct sc_hist *h, double q) {
  if (h->count == 0) return 0;
  double r = ceil(q * (double)h->count);
  uint64_t rank = r < 1 ? 1 : r > (double)h->count ? h->count : (uint64_t)r;
  uint64_t seen = 0;
  int i = 0;
  for (; i < SC_HIST_BUCKETS - 1; i++) {
    seen += h->b[i];
    if (seen >= rank) break;
  }
  double v = sc_hist_value(i);
  if (v < h->min) v = h->min;
  if (v > h->max) v = h->max;
  return v;
}
