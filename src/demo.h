/* demo.h - `sitecheck demo`: the talk's experiment on the simulated web. */
#ifndef SC_DEMO_H
#define SC_DEMO_H

/* Entry point of `sitecheck demo [--scale F] [--sites N]`; argv[0] is
 * "demo". Returns the exit status. */
int sc_demo_main(int argc, char **argv);

#endif
