/* feed.h - the line-file source: input files, read line by line.
 *
 * The feed streams the input files (reader.c) and validates each line
 * (url.c): a checkable URL becomes a job to check, a line that needs no
 * network to decide (an invalid URL, a reserved name) a decided job that
 * carries its class and reason (source.h), so every line read yields
 * exactly one result. It reports nothing itself. In the event model a
 * reader thread reads ahead a bounded number of lines, so a loop never
 * blocks on a slow pipe with checks in flight (next then returns -1 when
 * no line is ready); in the other models next reads the line itself and
 * waits for it when allowed to (blocks; else -1 where it would wait). In
 * every model a stop request ends a wait for input. Its ring lock is
 * taken inside the scheduler's (run.h). */
#ifndef SC_FEED_H
#define SC_FEED_H

#include "opts.h"
#include "source.h"

/* Opens every input file up front, so a missing one is a usage error
 * before any request. On failure prints "sitecheck: cannot read ..." and
 * returns NULL. The source's close ends the reader thread and closes the
 * files; it returns 1 if an input file failed mid-read. */
struct sc_source *sc_feed_open(const struct sc_opts *o);

/* The same for the n files named in files ("-" is stdin) instead of
 * o->files. A regular file that starts with a UTF-16 byte order mark is
 * converted to UTF-8 as it is read. */
struct sc_source *sc_feed_open_files(const struct sc_opts *o,
                                     char *const *files, int n);

#endif
