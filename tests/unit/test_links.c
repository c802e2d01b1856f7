/* test_links.c - robots.txt rules (robots.c), reading a document for its
 * links (page.c), and the tally's "ok" for local files found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "frontier.h"
#include "job.h"
#include "opts.h"
#include "page.h"
#include "record.h"
#include "robots.h"
#include "unit.h"
#include "util.h"

static int allowed(const char *txt, const char *path) {
  struct sc_robots *r = sc_robots_parse(txt, strlen(txt), "sitecheck");
  int a = sc_robots_allowed(r, path);
  sc_robots_free(r);
  return a;
}

TEST(robots_groups_and_longest_match) {
  const char *t =
      "# comment\n"
      "User-agent: other\n"
      "Disallow: /\n"
      "\n"
      "User-agent: *\n"
      "Disallow: /private/\n"
      "Allow: /private/open\n"
      "Disallow: /*.pdf$\n"
      "Disallow: /tmp*/x\n";
  EXPECT_EQ(allowed(t, "/"), 1);
  EXPECT_EQ(allowed(t, "/private/a"), 0);
  EXPECT_EQ(allowed(t, "/private/open/b"), 1); /* the longer rule */
  EXPECT_EQ(allowed(t, "/doc.pdf"), 0);
  EXPECT_EQ(allowed(t, "/doc.pdf?x=1"), 1); /* $ anchors the end */
  EXPECT_EQ(allowed(t, "/tmp123/x/y"), 0);
  EXPECT_EQ(allowed(t, "/robots.txt"), 1);
}

TEST(robots_own_group_wins_and_merges) {
  const char *t =
      "User-agent: *\n"
      "Disallow: /\n"
      "User-agent: SiteCheck/2.0\n" /* product token, any case */
      "Disallow: /a\n"
      "User-agent: googlebot\n"
      "User-agent: sitecheck\n"
      "Disallow: /b\n"
      "Allow: /b/ok\n"
      "Sitemap: https://x/s.xml\n";
  EXPECT_EQ(allowed(t, "/c"), 1); /* our groups, not *'s */
  EXPECT_EQ(allowed(t, "/a/1"), 0);
  EXPECT_EQ(allowed(t, "/b/1"), 0);
  EXPECT_EQ(allowed(t, "/b/ok"), 1);
  /* Equal length: allow wins. */
  EXPECT_EQ(allowed("User-agent: *\nDisallow: /x\nAllow: /x\n", "/x"), 1);
  /* An empty disallow allows everything. */
  EXPECT_EQ(allowed("User-agent: *\nDisallow:\n", "/any"), 1);
  struct sc_robots *none = sc_robots_all(0);
  EXPECT_EQ(sc_robots_allowed(none, "/"), 0);
  EXPECT_EQ(sc_robots_allowed(none, "/robots.txt"), 1);
  sc_robots_free(none);
}

TEST(robots_star_is_not_exponential) {
  /* Many stars against a long path that never matches: bounded work. */
  char pat[2100] = "User-agent: *\nDisallow: /";
  size_t at = strlen(pat);
  for (int i = 0; i < 1000; i++, at += 2) memcpy(pat + at, "*a", 2);
  memcpy(pat + at, "b\n", 3);
  char path[4001];
  path[0] = '/';
  memset(path + 1, 'a', 3999);
  path[4000] = '\0';
  EXPECT_EQ(allowed(pat, path), 1);
}

/* What a page reported, as "url line\n" lines. */
struct seen {
  struct sc_buf links;
  struct sc_buf text;
  int n;
};

static void on_link(void *arg, const struct sc_doc_link *l) {
  struct seen *s = arg;
  sc_buf_printf(&s->links, "%s %s %llu\n", sc_link_skip_name(l->skip), l->url,
                (unsigned long long)l->line);
  s->n++;
}

static void on_text(void *arg, const char *p, size_t n) {
  struct seen *s = arg;
  sc_buf_add(&s->text, p, n);
  sc_buf_addc(&s->text, '\0');
}

static const struct sc_page_out out = {on_link, NULL, on_text};

TEST(page_reports_each_link_once) {
  struct seen s = {0};
  struct sc_page *p =
      sc_page_open(SC_READ_PAGE, -1, "http://h/d/p.html",
                   "text/html; charset=utf-8", 1 << 20, &out, &s);
  EXPECT(p != NULL);
  const char *html =
      "<a href=a.html>1</a>\n<a href='a.html#x'>2</a>\n"
      "<a href=mailto:x@y>m</a><a href=mailto:x@y>m</a>\n<img src=/i.png>";
  for (int i = 0; i < 1000; i++) sc_page_feed(p, html, strlen(html));
  sc_page_close(p, 1, NULL, 0);
  EXPECT_STR(s.links.data ? (sc_buf_addc(&s.links, '\0'), s.links.data) : "",
             "ok http://h/d/a.html 1\nmailto mailto:x@y 3\n"
             "ok http://h/i.png 4\n");
  sc_buf_free(&s.links);
}

TEST(page_wants_html_only_when_crawling) {
  struct seen s = {0};
  EXPECT(sc_page_open(SC_READ_PAGE, -1, "http://h/x", "image/png", 100, &out,
                      &s) == NULL);
  EXPECT(sc_page_open(SC_READ_PAGE, -1, "http://h/x", NULL, 100, &out, &s) ==
         NULL);
  EXPECT_EQ(sc_page_wanted(SC_READ_PAGE, "application/xhtml+xml"), 1);
  EXPECT_EQ(sc_page_wanted(SC_READ_ANY, "text/plain"), 1);
  EXPECT_EQ(sc_page_wanted(SC_READ_NONE, "text/html"), 0);
}

TEST(page_sniffs_kind_and_caps) {
  /* --links on a URL whose type says nothing: the content decides. */
  struct seen s = {0};
  struct sc_page *p =
      sc_page_open(SC_READ_ANY, -1, "http://h/map", "application/octet-stream",
                   1 << 20, &out, &s);
  const char *xml =
      "<?xml version='1.0'?><urlset "
      "xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
      "<url><loc>http://h/1</loc></url><url><loc>http://h/2</loc></url>"
      "</urlset>";
  sc_page_feed(p, xml, 10);
  sc_page_feed(p, xml + 10, strlen(xml) - 10);
  sc_page_close(p, 1, NULL, 0);
  EXPECT_EQ(s.n, 2);
  sc_buf_free(&s.links);
  /* A page that never ends stops at the cap. */
  memset(&s, 0, sizeof s);
  p = sc_page_open(SC_READ_PAGE, -1, "http://h/", "text/html", 4096, &out, &s);
  char block[1000];
  int rc = 0, feeds = 0;
  memset(block, ' ', sizeof block);
  while (rc == 0 && feeds < 100)
    rc = sc_page_feed(p, block, sizeof block), feeds++;
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(feeds, 5);
  char why[160];
  sc_page_close(p, 0, why, sizeof why);
  EXPECT_STR(why, "read only its first 4096 bytes");
}

TEST(page_utf16_list_and_robots_text) {
  struct seen s = {0};
  /* "http://h/a\n# c\nb\n" in UTF-16LE with a BOM, as a list. */
  const char *u8 = "http://h/a\n# c\nb\n";
  unsigned char u16[64];
  size_t n = 0;
  u16[n++] = 0xFF, u16[n++] = 0xFE;
  for (const char *c = u8; *c; c++) u16[n++] = (unsigned char)*c, u16[n++] = 0;
  struct sc_page *p = sc_page_open(SC_READ_ANY, 0, "http://h/list.txt",
                                   "text/plain", 1000, &out, &s);
  for (size_t i = 0; i < n; i++) sc_page_feed(p, u16 + i, 1); /* split */
  sc_page_close(p, 1, NULL, 0);
  sc_buf_addc(&s.links, '\0');
  EXPECT_STR(s.links.data, "ok http://h/a 1\nok http://h/b 3\n");
  sc_buf_free(&s.links);
  memset(&s, 0, sizeof s);
  p = sc_page_open(SC_READ_ROBOTS, -1, "http://h/robots.txt", "text/plain", 0,
                   &out, &s);
  sc_page_feed(p, "User-agent: *\n", 14);
  sc_page_close(p, 1, NULL, 0);
  EXPECT_STR(s.text.data, "User-agent: *\n");
  sc_buf_free(&s.text);
}

TEST(tally_ok_among_classes) {
  struct sc_tally t;
  struct sc_result r;
  memset(&t, 0, sizeof t);
  memset(&r, 0, sizeof r);
  r.a.cls = -1; /* SC_OK, status 0: a local file found */
  sc_tally_add(&t, &r);
  r.a.status = 200;
  sc_tally_add(&t, &r);
  r.a.status = 0;
  r.a.cls = SC_MISSING_FILE;
  sc_tally_add(&t, &r);
  r.a.cls = SC_TIMEOUT;
  sc_tally_add(&t, &r);
  struct sc_buf b = {0};
  sc_tally_json(&b, &t);
  sc_buf_addc(&b, '\0');
  EXPECT_STR(b.data,
             "{\"200\": 1, \"missing_file\": 1, \"ok\": 1, \"timeout\": 1}");
  sc_buf_free(&b);
}

/* The frontier over two local documents that link to one missing file and
 * one URL: one result each, with their first places and counts. */
TEST(frontier_referrers_api) {
  char dir[] = "/tmp/sc-unit-XXXXXX", a[64], b[64];
  EXPECT(mkdtemp(dir) != NULL);
  snprintf(a, sizeof a, "%s/a.html", dir);
  snprintf(b, sizeof b, "%s/b.md", dir);
  FILE *fa = fopen(a, "w"), *fb = fopen(b, "w");
  fputs("<a href=gone.html>x</a>\n<a href='http://h.invalid/'>y</a>", fa);
  fputs("# b\n\n[g](gone.html) [h](http://h.invalid/#frag)\n", fb);
  fclose(fa);
  fclose(fb);
  struct sc_opts o;
  struct sc_buf err = {0};
  char *argv[] = {"sitecheck", "--links", a, NULL};
  EXPECT_EQ(sc_opts_read(&o, 3, argv, &err), 0);
  sc_extract_global_init();
  struct sc_frontier *f = sc_frontier_new(&o, NULL);
  EXPECT_EQ(sc_frontier_read_file(f, a, SC_INPUT_HTML), 0);
  EXPECT_EQ(sc_frontier_read_file(f, b, SC_INPUT_MARKDOWN), 0);
  struct sc_source *src = sc_frontier_source(f);
  struct sc_job job;
  int n = 0;
  while (src->next(src, &job, 0) == 1) {
    struct sc_result r;
    char buf[256], want[80];
    sc_result_decided(&r, &job);
    EXPECT_EQ(sc_frontier_done(f, &job, &r, buf, sizeof buf), 1);
    EXPECT_EQ(r.linked, 1);
    EXPECT_EQ(r.referrers, 2);
    const char *where;
    uint64_t line;
    int is_file;
    EXPECT_EQ(sc_refs_get(r.refs, 0, &where, &line, &is_file), 1);
    EXPECT_STR(where, a);
    EXPECT_EQ(is_file, 1);
    snprintf(want, sizeof want, "%s:%d", a, (int)line);
    EXPECT_STR(r.source, want);
    EXPECT_EQ(sc_refs_get(r.refs, 1, &where, &line, &is_file), 1);
    EXPECT_STR(where, b);
    EXPECT_EQ(line, 3);
    EXPECT_EQ(sc_refs_get(r.refs, 2, &where, &line, &is_file), 0);
    EXPECT_EQ(sc_refs_count(r.refs), 2);
    if (strstr(job.line, "gone.html")) EXPECT_EQ(r.a.cls, SC_MISSING_FILE);
    if (strstr(job.line, "invalid")) EXPECT_EQ(r.a.cls, SC_DNS);
    sc_job_clear(&job);
    n++;
  }
  EXPECT_EQ(n, 2);
  src->close(src);
  sc_frontier_free(f);
  sc_opts_free(&o);
  sc_buf_free(&err);
  remove(a);
  remove(b);
  rmdir(dir);
}
