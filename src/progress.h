/* progress.h - what a person watching a run sees on stderr besides the
 * output contract: the progress line, the lines other modules print
 * during a run, and the line that says a run was interrupted.
 *
 * The line, e.g.
 *   1,234/5,000 done (24%), ETA 11 s, 12 failed, 8 running,
 *   4,096 waiting for the per-host limit of 8, 340 URLs/s, 3.6 s
 * (one line on the terminal): results so far of the input's total, the
 * failures among them (sink.h, sc_sink_failures), checks running and jobs
 * waiting with the reason most of them wait (scheduler.h,
 * sc_sched_stats), the rate over the last seconds, and the time since the
 * start. It is redrawn in place every 200 ms by a small thread, the same
 * in every model, never wider than the terminal (its width is read at
 * every draw; parts are dropped or shortened, the least important first),
 * and cleared before the summary.
 *
 * The total: when every input is a regular file, a second thread counts
 * its lines with its own descriptors and the input's own reader
 * (reader.h), so it counts exactly the lines the run reads (each yields
 * one result); it reads at the lowest CPU priority, allocates nothing
 * once started, and stops when the run ends. The total shows as `?`
 * until that count is done or the input has been read to its end (the
 * only way for stdin or a pipe). Without the line nothing is counted
 * during the run; an interrupted run counts its files then, for half a
 * second at most.
 *
 * Errors and warnings (msg.h) printed while the line is shown go out
 * around it as sc_progress_emit's text: sc_progress_start installs that
 * as msg's writer and sc_progress_stop takes it away again.
 *
 * Threads: none of the progress threads allocates or takes a lock of
 * stdio once started, and a fork waits until a draw is over (the process
 * model forks workers while they run).
 * Locks: the module's own lock guards the terminal and is a leaf: nothing
 * else is called under it. sc_progress_emit may be called with another
 * module's lock held (the sink's); the drawing thread takes the
 * scheduler's lock for its snapshot with the module's lock not held. */
#ifndef SC_PROGRESS_H
#define SC_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct sc_run;
struct sc_progress;

/* Why most waiting jobs wait (what the line names). */
enum sc_progress_why {
  SC_WHY_NONE,      /* nothing waits */
  SC_WHY_PER_HOST,  /* their hosts are at the --per-host limit */
  SC_WHY_HOST_RATE, /* their hosts are in a --host-rate pause */
  SC_WHY_RATE,      /* --rate's next start is not due */
  SC_WHY_SLOT       /* all -c checks are running: a free slot */
};

/* One state of the run, as the line shows it. */
struct sc_progress_view {
  uint64_t done;   /* results so far */
  int64_t total;   /* input lines in all (one result each), -1: not known */
  uint64_t failed; /* results not OK */
  long running, waiting;
  enum sc_progress_why why; /* the reason most of waiting wait */
  double limit;             /* the limit why names (a count, or per second) */
  double rate;              /* results per second lately, < 0: not known */
  double elapsed_s;
};

/* Starts what the run shows on stderr: the progress line if show (two
 * threads, see above), else nothing until sc_progress_close. run must be
 * open (sc_run_open) and stay so until sc_progress_stop. Returns the
 * progress object, never NULL (a thread that cannot start means no
 * line). */
struct sc_progress *sc_progress_start(const struct sc_run *run, int show,
                                      double t0_ms);

/* Writes text, whole lines (a last newline is added if it lacks one), to
 * stderr, so that it never mixes with the progress line: the line is
 * cleared first and drawn again after it, all under the module's lock in
 * one write. With no line shown (off, not drawn yet, stopped, or p NULL)
 * text is written as it is. For lines printed during a run (the failure
 * list, --show all); thread-safe; takes no lock but the module's. */
void sc_progress_emit(struct sc_progress *p, const char *text);

/* Ends the threads and clears the line, and notes the run's final count
 * and total for sc_progress_close. Call it once the engine has returned,
 * before sc_run_close. NULL is fine. */
void sc_progress_stop(struct sc_progress *p);

/* After the summary (sc_run_close): if a signal stopped the run (sc_stop,
 * run.h) and -q was not given, says so on stderr and how many URLs went
 * unchecked, "interrupted by SIGINT: 196 of 204 URLs unchecked", or
 * "interrupted by SIGINT: the rest of the input went unchecked" when the
 * total is not known. Frees p; NULL is fine. */
void sc_progress_close(struct sc_progress *p);

/* Writes the line for v into buf[size] (always terminated): at most
 * cols - 1 characters, so that it never wraps, plain ASCII (each byte one
 * column). What does not fit goes, the least important first: the
 * elapsed time; the reason's words (a short name stays); the rate; the
 * reason; the waiting count; the running count; the word "done"; the
 * failures; the ETA; the percentage; then done/total is cut. Returns the
 * length. */
size_t sc_progress_render(char *buf, size_t size,
                          const struct sc_progress_view *v, int cols);

#endif
