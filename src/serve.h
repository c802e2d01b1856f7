/* serve.h - `sitecheck serve`: the simulated web, an HTTP/1.1 server on
 * libuv whose behaviour is chosen by the URL path (see sitecheck.1). */
#ifndef SC_SERVE_H
#define SC_SERVE_H

/* Entry point of `sitecheck serve [--listen ADDR:PORT]...`. argv[0] is
 * "serve". Prints one line "listening on http://ADDR:PORT" per listener on
 * stdout (flushed) once ready, then runs until SIGINT/SIGTERM. Returns the
 * process exit status (0, or 2 for a usage error / bind failure). */
int sc_serve_main(int argc, char **argv);

#endif
