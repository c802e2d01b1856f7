/* pins.h - the --resolve entries ("pins", HOST:PORT:ADDR[,ADDR...] as
 * curl's option takes them), indexed once by host and port, so that each
 * transfer is handed only the entry for the URL it requests.
 *
 * libcurl loads every entry of a transfer's CURLOPT_RESOLVE list into its
 * DNS cache when the transfer starts, so handing it the whole list would
 * cost every transfer time in proportion to the list. An entry that names
 * one host and port in a form libcurl accepts (addresses, or a removal,
 * -HOST:PORT:) is keyed by them; the last one for a host:port wins, as in
 * libcurl. Every other entry - a wildcard host (*), anything libcurl would
 * reject - is handed with every transfer, so it works, or fails, as it
 * always did.
 * Built before any thread or worker starts and only read afterwards, so
 * threads share it without a lock. */
#ifndef SC_PINS_H
#define SC_PINS_H

#include <curl/curl.h>

struct sc_pins;

/* Indexes list (which must outlive the index: entries point into it).
 * Returns NULL for an empty list. */
struct sc_pins *sc_pins_new(const struct curl_slist *list);
void sc_pins_free(struct sc_pins *p); /* NULL is fine */

/* The list to hand a transfer to host:port as CURLOPT_RESOLVE: the entry
 * of host:port if there is one, then the entries every transfer gets; NULL
 * if that is nothing. host is compared without regard to ASCII case. The
 * list belongs to the index (valid until sc_pins_free): never modify it. p
 * may be NULL. */
struct curl_slist *sc_pins_for(const struct sc_pins *p, const char *host,
                               long port);

/* Whether host:port has an entry of its own (a removal entry counts: the
 * user decided how that name is resolved). p may be NULL. */
int sc_pins_has(const struct sc_pins *p, const char *host, long port);

#endif
