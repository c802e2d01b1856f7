/* test_where.c - where a result's URL was found (where.c): the phrase for
 * a list's line, an argument and a link, the places a run keeps from the
 * frontier, and the HTML report's "where found" column that says it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"
#include "frontier.h"
#include "input_kind.h"
#include "job.h"
#include "opts.h"
#include "report.h"
#include "unit.h"
#include "util.h"
#include "where.h"

/* Writes each piece as it comes: words as they are, a place as [PLACE],
 * a list's name as {NAME}, so a test sees the pieces apart. */
static void tagged(void *arg, enum sc_where_piece piece, const char *s,
                   size_t n) {
  struct sc_buf *b = arg;
  sc_buf_adds(b, piece == SC_WHERE_PLACE   ? "["
                 : piece == SC_WHERE_INPUT ? "{"
                                           : "");
  sc_buf_add(b, s, n);
  sc_buf_adds(b, piece == SC_WHERE_PLACE   ? "]"
                 : piece == SC_WHERE_INPUT ? "}"
                                           : "");
}

static char *said(const struct sc_where *w, unsigned max) {
  struct sc_buf b = {0};
  sc_where_say(w, max, tagged, &b);
  sc_buf_addc(&b, '\0');
  return b.data;
}

#define EXPECT_SAID(w, max, want) \
  do {                            \
    char *s_ = said((w), (max));  \
    EXPECT_STR(s_, (want));       \
    free(s_);                     \
  } while (0)

TEST(where_phrases) {
  struct sc_where w = {.input = "urls.txt", .line = 3};
  EXPECT_SAID(&w, SC_WHERE_ALL, "{urls.txt}:3");
  w.input = "-";
  EXPECT_SAID(&w, SC_WHERE_ALL, "stdin:3");
  w.input = NULL;
  EXPECT_SAID(&w, SC_WHERE_ALL, "stdin:3");
  /* A link as a record tells it: its first place and how many. */
  w = (struct sc_where){.linked = 1, .source = "https://x/docs/"};
  EXPECT_SAID(&w, SC_WHERE_ALL, "on [https://x/docs/]");
  w.places = 1;
  EXPECT_SAID(&w, SC_WHERE_ALL, "on [https://x/docs/]");
  w.places = 4;
  EXPECT_SAID(&w, 1, "on [https://x/docs/] and 3 more");
  EXPECT_SAID(&w, SC_WHERE_ALL, "on [https://x/docs/] and 3 more");
  /* A URL given as an argument; pages may link to it too. */
  w = (struct sc_where){.linked = 1};
  EXPECT_SAID(&w, SC_WHERE_ALL, "(argument)");
  w.places = 2;
  EXPECT_SAID(&w, 1, "(argument) and 2 more");
}

/* Five local documents link to one missing file: the frontier keeps the
 * first three places and counts all five. */
TEST(where_places_of_a_run) {
  char dir[] = "/tmp/sc-unit-XXXXXX", path[5][64];
  EXPECT(mkdtemp(dir) != NULL);
  for (int i = 0; i < 5; i++) {
    snprintf(path[i], sizeof path[i], "%s/%c.html", dir, 'a' + i);
    FILE *f = fopen(path[i], "w");
    for (int j = 0; j < i; j++) fputs("<p>\n", f);
    fputs("<a href=gone.html>x</a>\n", f);
    fclose(f);
  }
  struct sc_opts o;
  struct sc_buf err = {0};
  char *argv[] = {"sitecheck", "--links", path[0], NULL};
  EXPECT_EQ(sc_opts_read(&o, 3, argv, &err), 0);
  sc_extract_global_init();
  struct sc_frontier *f = sc_frontier_new(&o, NULL);
  for (int i = 0; i < 5; i++)
    EXPECT_EQ(sc_frontier_read_file(f, path[i], SC_INPUT_HTML), 0);
  struct sc_source *src = sc_frontier_source(f);
  struct sc_job job;
  int n = 0;
  while (src->next(src, &job, 0) == 1) {
    struct sc_result r;
    char buf[256];
    sc_result_decided(&r, &job);
    EXPECT_EQ(sc_frontier_done(f, &job, &r, buf, sizeof buf), 1);
    struct sc_where w = {.linked = r.linked,
                         .source = r.source,
                         .refs = r.refs,
                         .places = sc_refs_count(r.refs)};
    struct sc_buf want = {0};
    sc_buf_printf(&want, "on [%s:1] and 4 more", path[0]);
    EXPECT_SAID(&w, 1, want.data);
    want.len = 0;
    sc_buf_printf(&want, "on [%s:1], [%s:2], [%s:3] and 2 more", path[0],
                  path[1], path[2]);
    EXPECT_SAID(&w, SC_WHERE_ALL, want.data);
    want.len = 0;
    sc_buf_printf(&want, "on [%s:1], [%s:2] and 3 more", path[0], path[1]);
    EXPECT_SAID(&w, 2, want.data);
    sc_buf_free(&want);
    sc_job_clear(&job);
    n++;
  }
  EXPECT_EQ(n, 1);
  src->close(src);
  sc_frontier_free(f);
  sc_opts_free(&o);
  sc_buf_free(&err);
  for (int i = 0; i < 5; i++) remove(path[i]);
  rmdir(dir);
}

static char *write_report(struct sc_report *rep) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  EXPECT_EQ(sc_report_write(rep, f), 0);
  fclose(f);
  return text;
}

/* Adds a 404 for url at line, found as linked, source and referrers say. */
static void add_404(struct sc_report *rep, const char *url, uint64_t line,
                    int linked, const char *input, const char *source,
                    uint64_t referrers) {
  struct sc_report_rec v;
  sc_report_rec_init(&v);
  v.url = url;
  v.url_len = strlen(url);
  v.line = line;
  v.status = 404;
  v.time_ms = 1;
  v.linked = linked;
  v.input = input;
  v.source = source;
  v.referrers = referrers;
  sc_report_add(rep, &v);
}

TEST(report_where_found_column) {
  struct sc_report *rep = sc_report_new(NULL);
  add_404(rep, "http://h/a", 7, 0, "urls.txt", NULL, 0);
  add_404(rep, "http://h/b", 1, 1, NULL, NULL, 0);
  add_404(rep, "http://h/c", 2, 1, NULL, "http://h/docs/", 4);
  add_404(rep, "http://h/d", 3, 1, NULL,
          "http://u:pw@h/\"><script>alert(1)</script>", 1);
  add_404(rep, "http://h/e", 4, -1, NULL, NULL, 0);
  char *html = write_report(rep);
  EXPECT_CONTAINS(html, "<th tabindex=\"0\">where found</th>");
  EXPECT_CONTAINS(html, "<td class=\"w\">urls.txt:7</td>");
  EXPECT_CONTAINS(html, "<td class=\"w\">(argument)</td>");
  EXPECT_CONTAINS(html,
                  "<td class=\"w\">on <a href=\"http://h/docs/\" "
                  "rel=\"noopener noreferrer nofollow\">http://h/docs/</a> "
                  "and 3 more</td>");
  /* A hostile place: masked, escaped, and its link whole. */
  EXPECT_CONTAINS(html,
                  "<td class=\"w\">on <a href=\"http://u:***@h/&quot;&gt;"
                  "&lt;script&gt;alert(1)&lt;/script&gt;\" rel=\"noopener "
                  "noreferrer nofollow\">http://u:***@h/&quot;&gt;&lt;"
                  "script&gt;alert(1)&lt;/script&gt;</a></td>");
  EXPECT(!strstr(html, "<script>alert"));
  EXPECT(!strstr(html, "pw@"));
  /* Not known: an empty cell. */
  EXPECT_CONTAINS(html, "<td class=\"w\"></td>");
  free(html);
  sc_report_free(rep);
  /* When no row knows, there is no such column. */
  rep = sc_report_new(NULL);
  add_404(rep, "http://h/e", 4, -1, NULL, NULL, 0);
  html = write_report(rep);
  EXPECT(!strstr(html, "where found"));
  free(html);
  sc_report_free(rep);
}
