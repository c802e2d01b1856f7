/* watch.h - sitecheck watch's state: the URLs watched and when each is
 * due, the job source that hands their checks to the run when due, what
 * became of each (up or down, the last result's probe values), /probe
 * requests, and the metrics text of it all. It knows nothing of HTTP
 * servers or signals (watch_http.c, watch_main.c) and reaches the run only
 * through its source and its result hook (run.h).
 *
 * Schedule: each URL is checked once per --every, at a fixed offset
 * inside the interval, a keyed hash of the URL modulo the interval, so
 * starts spread over it instead of coming in one burst, and a URL keeps
 * its offset when the list is read again. Due times advance by whole
 * intervals from the watch's start and never from a check's end, so
 * starts do not drift. A URL still being checked when it is due again is
 * skipped for that round, and counted (as are rounds missed while the
 * scheduler was full).
 *
 * The source (source.h) hands out /probe checks first, then due URLs;
 * when nothing is due it tells the scheduler how long until the next
 * (idle_ms), so an idle watch sleeps instead of polling, and a /probe or a
 * reload wakes the takers at once (sc_sched_input_ready).
 *
 * State: a URL is up when its check's final status is 2xx. Its state
 * changes after --down-after results in a row the other way; the first
 * state is set the same way and reported only when it is down. Each
 * change is one line on stderr (unless -q) and, with -o, one JSON line
 * appended to the file. Memory is a fixed record per URL plus its strings,
 * whatever the uptime.
 *
 * Threads and locks: the source's functions run under the scheduler's
 * lock and take the watch's lock inside it (run.h's order); every other
 * function takes the watch's lock itself and must be called with no lock
 * of the scheduler's or the watch's held. Rendering copies what it needs
 * under the lock and formats outside it, so a scrape of many URLs never
 * holds up the loops. The -o file has a lock of its own, a leaf. */
#ifndef SC_WATCH_H
#define SC_WATCH_H

#include "job.h"
#include "metrics.h"
#include "opts.h"
#include "result.h"
#include "source.h"
#include "util.h"

struct sc_watch;
struct sc_sched;

/* A watch over o->files (o must outlive it). Reads nothing yet. */
struct sc_watch *sc_watch_new(const struct sc_opts *o);

/* Frees w; its source must be closed already (sc_run_close). */
void sc_watch_free(struct sc_watch *w);

/* Reads the list files: new URLs are scheduled, URLs no longer listed
 * stop (a check of one in flight is let finish and forgotten), the same
 * URL listed twice is watched once (a warning says where), and a line
 * that is not a checkable URL is skipped with a warning. If a file cannot
 * be read, says so on stderr, changes nothing and returns -1; else
 * returns the number of URLs watched. */
long sc_watch_load(struct sc_watch *w);

/* Opens -o (appending; "-" is stdout), or, again, reopens it so a rotated
 * log gets a new file. Returns 0, or -1 after saying why (the old file,
 * if any, stays in use). */
int sc_watch_open_events(struct sc_watch *w);

/* The source the run takes checks from (closing it frees nothing: the
 * watch stays w's caller's), and the scheduler behind it, for its wakes
 * and its count of waiting jobs. */
struct sc_source *sc_watch_source(struct sc_watch *w);
void sc_watch_set_sched(struct sc_watch *w, struct sc_sched *s);

/* The run's result hook (run.h, on_result): arg is the watch. */
void sc_watch_on_result(void *arg, const struct sc_job *job,
                        const struct sc_result *r);

/* What sc_watch_probe made of a request. */
enum sc_probe_rc {
  SC_PROBE_QUEUED,    /* done will be called */
  SC_PROBE_BAD,       /* the target is not a URL sitecheck checks */
  SC_PROBE_FORBIDDEN, /* neither watched nor matched by --probe-allow */
  SC_PROBE_BUSY       /* SC_PROBE_MAX probes in flight, or closing */
};

#define SC_PROBE_MAX 100

/* Asks for one fresh check of target, limited to timeout_ms and without
 * retries (a /probe request). When it is queued, done(arg, p) is called
 * exactly once, with no lock held, on whichever thread finds the answer:
 * the check's result, or, if none has come timeout_ms + 250 ms after the
 * request (it waited for a host slot, say), a failed probe (from
 * sc_watch_tick), or a failed probe when the watch closes. */
enum sc_probe_rc sc_watch_probe(
    struct sc_watch *w, const char *target, long timeout_ms,
    void (*done)(void *arg, const struct sc_probe *p), void *arg);

/* Answers the probes past their time (see sc_watch_probe). Call it
 * often, from one thread. */
void sc_watch_tick(struct sc_watch *w);

/* Answers every probe still waiting as failed, and refuses new ones. */
void sc_watch_close_probes(struct sc_watch *w);

/* Appends the metrics of /metrics: the probe_* families with one sample
 * per URL that has a result, labelled target="URL" (password masked),
 * then sitecheck's own: checks by outcome, check time, in flight,
 * waiting, skipped rounds, state changes, start delay, URLs watched, and
 * the process's CPU time and memory. */
void sc_watch_render(struct sc_watch *w, struct sc_buf *out);

/* The number of URLs watched (for the banner). */
long sc_watch_count(struct sc_watch *w);

#endif
