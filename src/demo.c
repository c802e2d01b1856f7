/* demo.c - placeholder until the four-model demo lands. */
#include "demo.h"

#include <stdio.h>

int sc_demo_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fputs("sitecheck demo: not built yet\n", stderr);
  return 2;
}
