/* watch_main.h - `sitecheck watch`: runs the watch (watch.h) over the
 * event engine and serves it (watch_http.h) until SIGINT or SIGTERM;
 * SIGHUP reads the list again and reopens -o. */
#ifndef SC_WATCH_MAIN_H
#define SC_WATCH_MAIN_H

#include "opts.h"

struct sc_dnscache;

/* Watches o->files (o parsed for SC_CMD_WATCH) with concurrency checks
 * in flight in loops loops, within fd_budget descriptors (the endpoint's
 * already set aside), every check resolving through dns (or NULL).
 * Blocks SIGHUP, SIGINT and SIGTERM in every thread and takes them on
 * this one. Prints "listening on http://ADDR:PORT" on stdout once the
 * endpoint is up. Returns the exit status: 0 when stopped by a signal,
 * SC_EXIT_USAGE if the list, -o or --listen cannot be had at the start,
 * SC_EXIT_INTERNAL if the engine failed. */
int sc_watch_main(const struct sc_opts *o, long concurrency, long fd_budget,
                  int loops, struct sc_dnscache *dns);

#endif
