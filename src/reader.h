/* reader.h - streaming line reader for URL lists.
 *
 * Reads a file descriptor in fixed-size blocks and returns one trimmed,
 * non-blank, non-comment line at a time. Memory is bounded: a line longer
 * than SC_LINE_MAX bytes is returned cut to SC_LINE_MAX bytes with
 * *overlong set, and the rest of it is skipped without being stored. */
#ifndef SC_READER_H
#define SC_READER_H

#include <stddef.h>
#include <stdint.h>

#define SC_LINE_MAX 8192

struct sc_reader;

/* Wraps fd (not closed by the reader). */
struct sc_reader *sc_reader_new(int fd);
void sc_reader_free(struct sc_reader *r);

/* Starts r over on fd, as a new reader would (its wait function is
 * dropped too), keeping its memory: a thread that must not allocate
 * while the run goes on reads file after file with one reader. */
void sc_reader_reset(struct sc_reader *r, int fd);

/* Has every read wait for wait(arg, fd) first; a non-zero return makes
 * sc_reader_next fail with errno ECANCELED instead of reading (how the
 * feed keeps a silent pipe from holding up a stop). */
void sc_reader_set_wait(struct sc_reader *r, int (*wait)(void *arg, int fd),
                        void *arg);

/* Has the reader get its bytes from rd(arg, fd, buf, cap) instead of
 * read(2): same returns as read(2) (the feed converts UTF-16 input to
 * UTF-8 this way, input_kind.h). */
void sc_reader_set_read(struct sc_reader *r,
                        long (*rd)(void *arg, int fd, void *buf, size_t cap),
                        void *arg);

/* Returns the next line that is neither blank nor a comment, with
 * surrounding whitespace (and a CR before the LF) trimmed and a UTF-8 BOM at
 * the start of the input removed. *line points into the reader (valid until
 * the next call) and is NUL-terminated; it may contain NUL bytes, so use
 * *len. *lineno is the 1-based physical line number. Returns 1 for a line, 0
 * at end of input, -1 on a read error (errno set). */
int sc_reader_next(struct sc_reader *r, const char **line, size_t *len,
                   uint64_t *lineno, int *overlong);

#endif
