/* report_main.h - `sitecheck report`: reads records (JSON Lines, as -o
 * writes them) and writes the HTML report (report.h). The reading and the
 * writing are also what `sitecheck demo --report` uses. */
#ifndef SC_REPORT_MAIN_H
#define SC_REPORT_MAIN_H

#include <stdio.h>

struct sc_report;

/* Entry point of `sitecheck report [-q] [--title T] -o FILE.html
 * RECORDS...`; argv[0] is "report". Returns the exit status: 0, 2 for a
 * usage error, an unreadable input or an unwritable output (one line on
 * stderr; no report is left behind), 3 for an internal failure. */
int sc_report_main(int argc, char **argv);

/* Feeds every record of f (called name in messages) to rep, a line at a
 * time; lines that are not records are counted and, unless quiet, one
 * warning says how many. Returns 0, or -1 after a read error (reported);
 * a CSV header is reported as a usage error. */
int sc_report_read(struct sc_report *rep, FILE *f, const char *name, int quiet);

#endif
