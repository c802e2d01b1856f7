/* hist.h - a fixed-size histogram of positive values (check times in
 * milliseconds) in logarithmic buckets, for percentiles in bounded memory.
 *
 * Bucket scheme: with g = (1 + a) / (1 - a) and a = SC_HIST_ALPHA (0.01),
 * bucket i > 0 holds the values v in (L * g^(i-1), L * g^i], where
 * L = SC_HIST_LOW (0.001 ms); bucket 0 holds every v <= L. A bucket is
 * reported as 2 * L * g^i / (g + 1), which is within a relative a of every
 * value in it, so a percentile is within 1% of the exact nearest-rank one
 * (values at or below L, and above the top bucket's bound, about 36 hours,
 * are reported as L and as that bound). Estimates are also clamped to the
 * exact minimum and maximum seen. The histogram is one plain struct (about
 * 10 KiB) with no allocation. */
#ifndef SC_HIST_H
#define SC_HIST_H

#include <stdint.h>

#define SC_HIST_ALPHA 0.01
#define SC_HIST_LOW 0.001
#define SC_HIST_BUCKETS 1280

struct sc_hist {
  uint64_t count;
  double min, max, sum;
  uint64_t b[SC_HIST_BUCKETS];
};

/* Empties h. */
void sc_hist_init(struct sc_hist *h);

/* Counts one value (negative values count as 0). */
void sc_hist_add(struct sc_hist *h, double v);

/* The bucket v falls in, 0 .. SC_HIST_BUCKETS - 1. */
int sc_hist_bucket(double v);

/* Bucket i's bounds (lower exclusive, upper inclusive) and the value it
 * reports. */
double sc_hist_lower(int i);
double sc_hist_upper(int i);
double sc_hist_value(int i);

/* The q-quantile (0 < q <= 1) by nearest rank: the value of rank
 * ceil(q * count), estimated as above. 0 when h is empty. */
double sc_hist_quantile(const struct sc_hist *h, double q);

#endif
