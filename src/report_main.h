/* report_main.h - `sitecheck report`: reads records (JSON Lines, as -o
 * writes them) and writes the HTML report (report.h). */
#ifndef SC_REPORT_MAIN_H
#define SC_REPORT_MAIN_H

/* Entry point of `sitecheck report [-q] [--title T] -o FILE.html
 * RECORDS...`; argv[0] is "report". Returns the exit status: 0, 2 for a
 * usage error, an unreadable input or an unwritable output (one line on
 * stderr; no report is left behind), 3 for an internal failure. */
int sc_report_main(int argc, char **argv);

#endif
