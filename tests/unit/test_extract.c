/* test_extract.c - the link extractors (HTML, Markdown, sitemaps), the
 * input kind sniffer and the UTF-16 converter. Each extractor's output is
 * written as one line per link, "LINE ELEMENT.ATTR SKIP URL[#FRAGMENT]",
 * so a test states exactly what a document yields. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "extract.h"
#include "extract_html.h"
#include "extract_md.h"
#include "extract_sitemap.h"
#include "input_kind.h"
#include "util.h"
#include "unit.h"

/* What an extractor reported. */
struct got {
  struct sc_buf links, anchors;
  long n, anchors_n;
  long stop_after; /* the callback says stop at this link, 0: never */
  long quiet;      /* count only, do not print */
  uint64_t last_line;
  int lines_decrease;
};

static int on_link(const struct sc_doc_link *l, void *arg) {
  struct got *g = arg;
  g->n++;
  if (l->line < g->last_line) g->lines_decrease = 1;
  g->last_line = l->line;
  if (!g->quiet) {
    sc_buf_printf(&g->links, "%llu %s.%s %s %s", (unsigned long long)l->line,
                  l->element, l->attr, sc_link_skip_name(l->skip), l->url);
    if (l->fragment) sc_buf_printf(&g->links, "#%s", l->fragment);
    if (l->rel) sc_buf_printf(&g->links, " rel=%s", l->rel);
    if (l->flags & SC_LINK_CHILD_SITEMAP) sc_buf_adds(&g->links, " child");
    sc_buf_addc(&g->links, '\n');
  }
  return g->stop_after && g->n >= g->stop_after;
}

static int on_anchor(const char *id, uint64_t line, void *arg) {
  struct got *g = arg;
  g->anchors_n++;
  sc_buf_printf(&g->anchors, "%llu %s\n", (unsigned long long)line, id);
  return 0;
}

static void got_free(struct got *g) {
  sc_buf_free(&g->links);
  sc_buf_free(&g->anchors);
}

static const char *links(const struct got *g) {
  return g->links.data ? g->links.data : "";
}

static const char *anchors(const struct got *g) {
  return g->anchors.data ? g->anchors.data : "";
}

/* Runs the HTML extractor over text, fed chunk bytes at a time. */
static int html_run(struct got *g, const char *base, const char *text,
                    size_t chunk) {
  struct sc_html *h = sc_html_new(base, NULL, on_link, on_anchor, g);
  size_t n = strlen(text);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i += chunk)
    rc = sc_html_feed(h, text + i, n - i < chunk ? n - i : chunk);
  if (rc == 0) rc = sc_html_finish(h);
  sc_html_free(h);
  return rc;
}

#define PAGE "https://example.com/dir/page.html?x=1"

/* Feeds a string literal, NUL bytes in it included. */
#define html_feed_lit(h, lit) sc_html_feed((h), (lit), sizeof(lit) - 1)

TEST(extract_html_elements) {
  static const char page[] =
      "<!doctype html>\n"
      "<html><head>\n"
      "<link rel=stylesheet href=/s.css>\n"
      "<script src=app.js></script>\n"
      "<meta http-equiv=\"Refresh\" content=\"5; url=/next\">\n"
      "<meta name=x content=\"0; url=/not-a-refresh\">\n"
      "</head><body>\n"
      "<a href=\"a.html\" rel=\"nofollow\">a</a>\n"
      "<map><area href=\"/area\"></map>\n"
      "<img src=i.png srcset=\"i2.png 2x\">\n"
      "<iframe src=\"//frames.example.org/f\"></iframe>\n"
      "<picture><source src=v.mp4 srcset=\"s1.webp 1x, s2.webp 2x\">"
      "</picture>\n"
      "<form action=\"?search\"></form>\n"
      "<p href=\"/not-a-link\" src=\"/nor-this\">x</p>\n"
      "<A HREF=/UPPER>x</A>\n"
      "<object data=\"movie.swf\" type=\"application/x-shockwave-flash\">"
      "<param name=movie value=\"/not-this.swf\"></object>\n"
      "</body></html>\n";
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page, sizeof page), 0);
  EXPECT_STR(links(&g),
             "3 link.href ok https://example.com/s.css rel=stylesheet\n"
             "4 script.src ok https://example.com/dir/app.js\n"
             "5 meta.content ok https://example.com/next\n"
             "8 a.href ok https://example.com/dir/a.html rel=nofollow\n"
             "9 area.href ok https://example.com/area\n"
             "10 img.src ok https://example.com/dir/i.png\n"
             "10 img.srcset ok https://example.com/dir/i2.png\n"
             "11 iframe.src ok https://frames.example.org/f\n"
             "12 source.src ok https://example.com/dir/v.mp4\n"
             "12 source.srcset ok https://example.com/dir/s1.webp\n"
             "12 source.srcset ok https://example.com/dir/s2.webp\n"
             "13 form.action ok https://example.com/dir/page.html?search\n"
             "15 a.href ok https://example.com/UPPER\n"
             "16 object.data ok https://example.com/dir/movie.swf\n");
  got_free(&g);
}

TEST(extract_html_resolve) {
  static const char page[] =
      "<a href=\"../up\">1</a>\n"
      "<a href=\"//other.example.net/p\">2</a>\n"
      "<a href=\"?q=2\">3</a>\n"
      "<a href=\"#frag\">4</a>\n"
      "<a href=\"\">5</a>\n"
      "<a href=\"  /trim \t\">6</a>\n"
      "<a href=\"/ta\tb\nc\">7</a>\n"
      "<a href=\"/x#caf%C3%A9%20y\">8</a>\n"
      "<a href=\"HTTPS://Example.com/Up?A#B\">9</a>\n"
      "<a href=\"../../../../z\">10</a>\n"
      "<a href=\"/sp ace/caf\xC3\xA9\">11</a>\n"
      "<a href=\"/a&amp;b\">12</a>\n"
      "<a href=\"#\">13</a>\n";
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page, sizeof page), 0);
  EXPECT_STR(links(&g),
             "1 a.href ok https://example.com/up\n"
             "2 a.href ok https://other.example.net/p\n"
             "3 a.href ok https://example.com/dir/page.html?q=2\n"
             "4 a.href ok https://example.com/dir/page.html?x=1#frag\n"
             "5 a.href ok https://example.com/dir/page.html?x=1\n"
             "6 a.href ok https://example.com/trim\n"
             "8 a.href ok https://example.com/tabc\n" /* its tag ends on 8 */
             "9 a.href ok https://example.com/x#caf\xC3\xA9 y\n"
             "10 a.href ok https://Example.com/Up?A#B\n"
             "11 a.href ok https://example.com/z\n"
             "12 a.href ok https://example.com/sp%20ace/caf%c3%a9\n"
             "13 a.href ok https://example.com/a&b\n"
             "14 a.href ok https://example.com/dir/page.html?x=1\n");
  got_free(&g);
}

TEST(extract_html_skip_reasons) {
  static const char page[] =
      "<a href=\"mailto:someone@example.com\">m</a>\n"
      "<a href=\"TEL:+1-555\">t</a>\n"
      "<a href=\" java\tscript:alert(1)\">j</a>\n"
      "<img src=\"data:image/png;base64,iVBOR#x\">\n"
      "<a href=\"ftp://ftp.example.com/f#x\">f</a>\n"
      "<a href=\"irc:chan\">i</a>\n"
      "<a href=\"http://example.com:99999/\">p</a>\n"
      "<a href=\"/c\x01tl\x01\">c</a>\n";
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page, sizeof page), 0);
  EXPECT_STR(links(&g),
             "1 a.href mailto mailto:someone@example.com\n"
             "2 a.href tel TEL:+1-555\n"
             "3 a.href javascript javascript:alert(1)\n"
             "4 img.src data data:image/png;base64,iVBOR#x\n"
             "5 a.href scheme ftp://ftp.example.com/f#x\n"
             "6 a.href scheme irc:chan\n"
             "7 a.href unparsable http://example.com:99999/\n"
             "8 a.href unparsable /c\x01tl\n");
  got_free(&g);
}

TEST(extract_html_too_long) {
  struct sc_buf page = {0};
  sc_buf_adds(&page, "<a href=\"/");
  for (int i = 0; i < SC_LINK_MAX + 10; i++) sc_buf_addc(&page, 'x');
  sc_buf_adds(&page, "\">x</a><a href=/after>y</a>");
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page.data, 4096), 0);
  EXPECT_EQ(g.n, 2);
  EXPECT_CONTAINS(links(&g), "1 a.href too_long /xxxx");
  EXPECT_CONTAINS(links(&g), "1 a.href ok https://example.com/after\n");
  got_free(&g);
  sc_buf_free(&page);
}

TEST(extract_html_no_base) {
  struct got g = {0};
  EXPECT_EQ(html_run(&g, NULL,
                     "<a href=rel>r</a><a href=\"https://abs.example/\">a</a>"
                     "<a href=#top>t</a>",
                     64),
            0);
  EXPECT_STR(links(&g),
             "1 a.href relative rel\n"
             "1 a.href ok https://abs.example/\n"
             "1 a.href relative #top\n");
  got_free(&g);
}

/* The first <base href> counts, from where it stands; its href resolves
 * against the page; a base without href, and later ones, are ignored. */
TEST(extract_html_base_href) {
  static const char page[] =
      "<html><head>\n"
      "<link href=before.css>\n"
      "<base target=_blank>\n"
      "<base href=\"../assets/\">\n"
      "<base href=\"https://ignored.example/\">\n"
      "</head><body>\n"
      "<a href=after.html>a</a>\n"
      "<a href=\"/root\">r</a>\n"
      "<a href=\"#f\">f</a>\n"
      "<object data=\"doc.pdf#page=2\"></object>\n"
      "</body></html>\n";
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page, 1), 0);
  EXPECT_STR(links(&g),
             "2 link.href ok https://example.com/dir/before.css\n"
             "7 a.href ok https://example.com/assets/after.html\n"
             "8 a.href ok https://example.com/root\n"
             "9 a.href ok https://example.com/assets/#f\n"
             "10 object.data ok https://example.com/assets/doc.pdf#page=2\n");
  got_free(&g);

  /* A base that does not resolve leaves the page's URL in effect. */
  struct got g2 = {0};
  EXPECT_EQ(html_run(&g2, PAGE,
                     "<base href=\"http://bad.example:99999/\"><a href=x>x</a>",
                     1000),
            0);
  EXPECT_STR(links(&g2), "1 a.href ok https://example.com/dir/x\n");
  got_free(&g2);
}

TEST(extract_html_srcset) {
  static const char page[] =
      "<img srcset=\"a.png 1x, b.png 2x,c.png,, d.png 640w 480h ,"
      "data:image/png;base64,AA,BB= 3x, e.png (min-width: 1px, x) 1x,"
      " f.png,,, g.png\">";
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page, sizeof page), 0);
  EXPECT_STR(links(&g),
             "1 img.srcset ok https://example.com/dir/a.png\n"
             "1 img.srcset ok https://example.com/dir/b.png\n"
             "1 img.srcset ok https://example.com/dir/c.png\n"
             "1 img.srcset ok https://example.com/dir/d.png\n"
             "1 img.srcset data data:image/png;base64,AA,BB=\n"
             "1 img.srcset ok https://example.com/dir/e.png\n"
             "1 img.srcset ok https://example.com/dir/f.png\n"
             "1 img.srcset ok https://example.com/dir/g.png\n");
  got_free(&g);
}

TEST(extract_html_meta_refresh) {
  static const char page[] =
      "<meta http-equiv=refresh content=\"5; url=/a\">\n"
      "<meta http-equiv=refresh content=\"0;URL='/b'x\">\n"
      "<meta http-equiv=refresh content='0; URL = \"/c\" junk'>\n"
      "<meta http-equiv=refresh content=\"3,/d\">\n"
      "<meta http-equiv=refresh content=\"0 /e\">\n"
      "<meta http-equiv=refresh content=\"1.5; url=/f\">\n"
      "<meta http-equiv=refresh content=\".5;url=https://g.example/\">\n"
      "<meta http-equiv=refresh content=\"0; ur/h\">\n"
      "<meta http-equiv=refresh content=\"5\">\n"
      "<meta http-equiv=refresh content=\"5; \">\n"
      "<meta http-equiv=refresh content=\"soon; url=/no\">\n"
      "<meta http-equiv=refresh content=\"5x; url=/no\">\n"
      "<meta http-equiv=refresh>\n"
      "<meta http-equiv=expires content=\"0; url=/no\">\n";
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page, 7), 0);
  EXPECT_STR(links(&g),
             "1 meta.content ok https://example.com/a\n"
             "2 meta.content ok https://example.com/b\n"
             "3 meta.content ok https://example.com/c\n"
             "4 meta.content ok https://example.com/d\n"
             "5 meta.content ok https://example.com/e\n"
             "6 meta.content ok https://example.com/f\n"
             "7 meta.content ok https://g.example/\n"
             "8 meta.content ok https://example.com/dir/ur/h\n");
  got_free(&g);
}

TEST(extract_html_anchors_and_lines) {
  static const char page[] =
      "<html>\n"
      "<body id=\"top\">\n"
      "<h2 id='s&amp;1'>x</h2>\n"
      "<a name=\"old-style\" href=\"#top\">x</a>\n"
      "<p id=\"\">empty ids are no target</p>\n"
      "<a\n"
      "   href=\"/multi\"\n"
      "   id=m\n"
      ">x</a>\n";
  struct got g = {0};
  EXPECT_EQ(html_run(&g, PAGE, page, 3), 0);
  EXPECT_STR(anchors(&g),
             "2 top\n"
             "3 s&1\n"
             "4 old-style\n"
             "9 m\n");
  EXPECT_STR(links(&g),
             "4 a.href ok https://example.com/dir/page.html?x=1#top\n"
             "9 a.href ok https://example.com/multi\n");
  got_free(&g);
}

/* Whatever the chunking, the same links come out: also where libxml2's
 * push parser would decide on a cut "</script", "<!DOCTYPE" or UTF-8
 * sequence (see risky_tail in extract_html.c). */
TEST(extract_html_chunking) {
  static const char page[] =
      "<!DOCTYPE html><html><head><title>t\xC3\xA9</title>"
      "<base href=/b/></head><body>\n<!-- <a href=/commented> -->\n"
      "<script>var s = '<a href=/in-script>' + \"</scr\" + \"ipt>\";\n"
      "// caf\xC3\xA9 \xE2\x82\xAC </SCRIPT><style>p{}</STYLE>\n"
      "<a href='one'>1</a><img srcset='x.png 1x, y.png 2x'>\n"
      "<p>x<!DOCTYPE html><a href=\"/caf\xC3\xA9\" id=\"i\">2</a>\n"
      "</body></html>";
  struct got whole = {0};
  EXPECT_EQ(html_run(&whole, PAGE, page, sizeof page), 0);
  EXPECT_STR(links(&whole),
             "5 a.href ok https://example.com/b/one\n"
             "5 img.srcset ok https://example.com/b/x.png\n"
             "5 img.srcset ok https://example.com/b/y.png\n"
             "6 a.href ok https://example.com/caf%c3%a9\n");
  for (size_t chunk = 1; chunk < sizeof page; chunk++) {
    struct got g = {0};
    EXPECT_EQ(html_run(&g, PAGE, page, chunk), 0);
    EXPECT_STR(links(&g), links(&whole));
    EXPECT_STR(anchors(&g), "6 i\n");
    got_free(&g);
  }
  got_free(&whole);
}

/* Broken markup, invalid bytes and NULs do not stop the links after. */
TEST(extract_html_malformed) {
  static const char page[] =
      "<a href=/1>\xff\xfe\x80 <b><i></b></i>\n"
      "<a href=\"/2\" href=\"/dup\"><<<>>>\n"
      "<div <a href=/3>\n"
      "</p></p></div></span>\n"
      "<a href='/4'\n"
      "<a href=/5>\n"
      "<img src=\"/6\"<img src=/7>\n"
      "&bogus; &#xFFFFFFFF; &#0; <a href=\"/8?a=1&amp;b=2&c\">\n";
  struct got g = {0};
  struct sc_html *h = sc_html_new(PAGE, NULL, on_link, on_anchor, &g);
  EXPECT_EQ(sc_html_feed(h, page, sizeof page - 1), 0);
  EXPECT_EQ(html_feed_lit(h, "\0\0<a href=/9>"), 0);
  EXPECT_EQ(sc_html_finish(h), 0);
  sc_html_free(h);
  EXPECT_CONTAINS(links(&g), "1 a.href ok https://example.com/1\n");
  EXPECT_CONTAINS(links(&g), "2 a.href ok https://example.com/2\n");
  EXPECT(!strstr(links(&g), "/dup"));
  EXPECT_CONTAINS(links(&g), "ok https://example.com/8?a=1&b=2&c\n");
  EXPECT_CONTAINS(links(&g), "ok https://example.com/9\n");
  EXPECT(g.n >= 6);
  got_free(&g);
}

/* A page cut anywhere: what was complete is reported, freeing without
 * finishing is fine, and finishing reports a tag complete at the end. */
TEST(extract_html_truncated) {
  static const char page[] = "<p><a href=/one>1</a><a href=/two>2</a><a hr";
  for (size_t cut = 0; cut <= sizeof page - 1; cut++) {
    struct got g = {0};
    struct sc_html *h = sc_html_new(PAGE, NULL, on_link, NULL, &g);
    EXPECT_EQ(sc_html_feed(h, page, cut), 0);
    sc_html_free(h);
    EXPECT(g.n <= 2);
    if (cut >= 17) EXPECT(g.n >= 1);
    got_free(&g);
  }
  struct got g = {0};
  struct sc_html *h = sc_html_new(PAGE, NULL, on_link, NULL, &g);
  EXPECT_EQ(html_feed_lit(h, "<a href=/last>"), 0);
  EXPECT_EQ(sc_html_finish(h), 0);
  sc_html_free(h);
  EXPECT_STR(links(&g), "1 a.href ok https://example.com/last\n");
  got_free(&g);
}

/* A quoted attribute value cut by a chunk boundary, short or as long as
 * a large data: URL, does not hold back the links after it until the end
 * of the page (libxml2 2.9's lookahead would, see unstick). */
TEST(extract_html_split_attribute) {
  struct got g = {0};
  struct sc_html *h = sc_html_new(PAGE, NULL, on_link, NULL, &g);
  EXPECT_EQ(html_feed_lit(h, "<p><img alt=\"a>b"), 0);
  EXPECT_EQ(html_feed_lit(h, "c\" src='/i'><a href=/x>x</a>"), 0);
  EXPECT_STR(links(&g),
             "1 img.src ok https://example.com/i\n"
             "1 a.href ok https://example.com/x\n");
  static const char start[] = "<img src=\"data:image/png;base64,";
  EXPECT_EQ(sc_html_feed(h, start, sizeof start - 1), 0);
  char chunk[1000];
  memset(chunk, 'A', sizeof chunk);
  for (int i = 0; i < 2000; i++)
    EXPECT_EQ(sc_html_feed(h, chunk, sizeof chunk), 0);
  EXPECT_EQ(html_feed_lit(h, "\"><a href='/after'>y</a><p>"), 0);
  EXPECT_EQ(g.n, 4);
  EXPECT_CONTAINS(links(&g), "1 a.href ok https://example.com/after\n");
  EXPECT_EQ(sc_html_finish(h), 0);
  EXPECT_EQ(g.n, 4);
  sc_html_free(h);
  got_free(&g);
}

TEST(extract_html_stop) {
  struct got g = {0};
  g.stop_after = 2;
  struct sc_html *h = sc_html_new(PAGE, NULL, on_link, NULL, &g);
  EXPECT_EQ(html_feed_lit(h, "<a href=1></a><img src=2 srcset='3 1x, 4 2x'>"),
            SC_EXTRACT_STOPPED);
  EXPECT_EQ(g.n, 2);
  EXPECT_EQ(html_feed_lit(h, "<a href=5>"), SC_EXTRACT_STOPPED);
  EXPECT_EQ(sc_html_finish(h), SC_EXTRACT_STOPPED);
  EXPECT_EQ(g.n, 2);
  sc_html_free(h);
  got_free(&g);
}

/* 100,000 links through one extractor: every one reported, and the heap
 * in use after the last is what it was after the first thousand. */
TEST(extract_html_many_links_bounded) {
  struct got g = {0};
  g.quiet = 1;
  struct sc_html *h = sc_html_new(PAGE, NULL, on_link, on_anchor, &g);
  char chunk[4096];
  size_t len = 0;
  size_t at_1000 = 0, peak = 0;
  for (long i = 0; i < 100000; i++) {
    len += (size_t)snprintf(chunk + len, sizeof chunk - len,
                            "<a href=\"/page%ld\">link</a>\n", i % 7);
    if (len > sizeof chunk - 64) {
      EXPECT_EQ(sc_html_feed(h, chunk, len), 0);
      len = 0;
      struct mallinfo2 mi = mallinfo2();
      size_t used = mi.uordblks + mi.hblkhd; /* hblkhd: mmap'd blocks */
      if (i >= 1000 && !at_1000) at_1000 = used;
      if (used > peak) peak = used;
    }
  }
  EXPECT_EQ(sc_html_feed(h, chunk, len), 0);
  EXPECT_EQ(sc_html_finish(h), 0);
  EXPECT_EQ(g.n, 100000);
  EXPECT(!g.lines_decrease);
  EXPECT_EQ(g.last_line, 100000);
  EXPECT(peak < at_1000 + 64 * 1024);
  sc_html_free(h);
  got_free(&g);
}

TEST(extract_html_deep_nesting) {
  struct got g = {0};
  struct sc_html *h = sc_html_new(PAGE, NULL, on_link, NULL, &g);
  for (int i = 0; i < 100000; i++) EXPECT_EQ(html_feed_lit(h, "<div>"), 0);
  EXPECT_EQ(html_feed_lit(h, "<a href=/deep>x</a>"), 0);
  for (int i = 0; i < 100000; i++) EXPECT_EQ(html_feed_lit(h, "<b><i>"), 0);
  EXPECT_EQ(html_feed_lit(h, "<img src=/deeper>"), 0);
  EXPECT_EQ(sc_html_finish(h), 0);
  sc_html_free(h);
  EXPECT_STR(links(&g),
             "1 a.href ok https://example.com/deep\n"
             "1 img.src ok https://example.com/deeper\n");
  got_free(&g);
}

/* Without a charset: UTF-8, unless <meta charset> says otherwise; bytes
 * that are not UTF-8 turn the rest of the page to Latin-1. */
TEST(extract_html_default_charset) {
  struct got u = {0};
  EXPECT_EQ(html_run(&u, PAGE, "<a href=\"/\xE2\x82\xAC\">x</a>", 3), 0);
  EXPECT_STR(links(&u), "1 a.href ok https://example.com/%e2%82%ac\n");
  got_free(&u);
  struct got m = {0};
  EXPECT_EQ(
      html_run(&m, PAGE,
               "<meta charset=\"windows-1252\"><a href=\"/\x80\">x</a>", 5),
      0);
  EXPECT_STR(links(&m), "1 a.href ok https://example.com/%e2%82%ac\n");
  got_free(&m);
  struct got l = {0};
  EXPECT_EQ(html_run(&l, PAGE, "<p>\xE9t\xE9</p><a href=\"/\xE9\">x</a>", 4),
            0);
  EXPECT_STR(links(&l), "1 a.href ok https://example.com/%c3%a9\n");
  got_free(&l);
}

/* The Content-Type charset decides how bytes become the URL's UTF-8. */
TEST(extract_html_charset) {
  struct got g = {0};
  struct sc_html *h = sc_html_new(PAGE, "ISO-8859-1", on_link, on_anchor, &g);
  static const char page[] = "<a href=\"/caf\xE9\" id=\"\xE9t\xE9\">x</a>";
  EXPECT_EQ(sc_html_feed(h, page, sizeof page - 1), 0);
  EXPECT_EQ(sc_html_finish(h), 0);
  sc_html_free(h);
  EXPECT_STR(links(&g), "1 a.href ok https://example.com/caf%c3%a9\n");
  EXPECT_STR(anchors(&g), "1 \xC3\xA9t\xC3\xA9\n");
  got_free(&g);
}

/* --- Markdown ----------------------------------------------------------- */

static int md_run(struct got *g, const char *base, const char *text,
                  size_t max) {
  struct sc_md *m = sc_md_new(base, max, on_link, on_anchor, g);
  size_t n = strlen(text);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i += 5)
    rc = sc_md_feed(m, text + i, n - i < 5 ? n - i : 5);
  int rc2 = sc_md_finish(m);
  sc_md_free(m);
  return rc ? rc : rc2;
}

#define DOC "https://example.com/docs/README.md"

TEST(extract_md_links) {
  static const char doc[] =
      "# Title with [a link](one.md)\n"                        /* 1 */
      "\n"                                                     /* 2 */
      "Text ![an image](img/i.png \"title\") and\n"            /* 3 */
      "an autolink <https://auto.example/x> and a bare\n"      /* 4 */
      "https://bare.example/y plus www.example.org too.\n"     /* 5 */
      "Mail <someone@example.com> or bare me@example.com.\n"   /* 6 */
      "A [reference][ref] and [another] one.\n"                /* 7 */
      "Entities [e](/a?b=1&amp;c=&#50;&#x33;&copy;&nope;)\n"   /* 8 */
      "Code `[not](a-link)` and [esc](/p\\_q) and [f](#sec)\n" /* 9 */
      "\n"                                                     /* 10 */
      "    [indented](code-block)\n"                           /* 11 */
      "\n"                                                     /* 12 */
      "```\n[fenced](code)\n```\n"                             /* 13-15 */
      "\n"                                                     /* 16 */
      "[ref]: ../ref.html \"T\"\n"                             /* 17 */
      "[another]: <https://another.example/>\n"                /* 18 */
      "[unused]: /never\n";                                    /* 19 */
  struct got g = {0};
  EXPECT_EQ(md_run(&g, DOC, doc, 0), 0);
  EXPECT_STR(links(&g),
             "1 a.href ok https://example.com/docs/one.md\n"
             "3 img.src ok https://example.com/docs/img/i.png\n"
             "4 a.href ok https://auto.example/x\n"
             "5 a.href ok https://bare.example/y\n"
             "5 a.href ok http://www.example.org/\n"
             "6 a.href mailto mailto:someone@example.com\n"
             "6 a.href mailto mailto:me@example.com\n"
             "7 a.href ok https://example.com/ref.html\n"
             "7 a.href ok https://another.example/\n"
             "8 a.href ok https://example.com/a?b=1&c=23%c2%a9&nope;\n"
             "9 a.href ok https://example.com/p_q\n"
             "9 a.href ok https://example.com/docs/README.md#sec\n");
  got_free(&g);
}

/* Lines inside containers, after soft breaks, with CRLF, and for a link
 * without text. */
TEST(extract_md_lines) {
  static const char doc[] =
      "Para line one\r\n"               /* 1 */
      "line two [x](/two)\r\n"          /* 2 */
      "line three\r\n"                  /* 3 */
      "[y](/four) and [](/empty4)\r\n"  /* 4 */
      "\r\n"                            /* 5 */
      "> quote\r\n"                     /* 6 */
      "> [q](/quote7)\r\n"              /* 7 */
      "\r\n"                            /* 8 */
      "- item\r\n"                      /* 9 */
      "  - nested [n](/nested10)\r\n"   /* 10 */
      "\r\n"                            /* 11 */
      "| a | b |\r\n"                   /* 12 */
      "|---|---|\r\n"                   /* 13 */
      "| [t](/table14) | x |\r\n"       /* 14 */
      "\r\n"                            /* 15 */
      "[![img](/i16.png)](/link16)\r\n" /* 16 */
      "[multi\r\n"                      /* 17 */
      "line](/m17)\r\n";                /* 18 */
  struct got g = {0};
  EXPECT_EQ(md_run(&g, DOC, doc, 0), 0);
  EXPECT_STR(links(&g),
             "2 a.href ok https://example.com/two\n"
             "4 a.href ok https://example.com/four\n"
             "4 a.href ok https://example.com/empty4\n"
             "7 a.href ok https://example.com/quote7\n"
             "10 a.href ok https://example.com/nested10\n"
             "14 a.href ok https://example.com/table14\n"
             "16 a.href ok https://example.com/link16\n"
             "16 img.src ok https://example.com/i16.png\n"
             "17 a.href ok https://example.com/m17\n");
  got_free(&g);
}

/* Raw HTML goes through the HTML extractor, on the document's lines, one
 * extractor per block: an inline <script> left open in one paragraph does
 * not swallow the HTML of the next block. */
TEST(extract_md_raw_html) {
  static const char doc[] =
      "<p align=\"center\">\n"                     /* 1 */
      "  <img src=\"logo.png\" width=100>\n"       /* 2 */
      "</p>\n"                                     /* 3 */
      "\n"                                         /* 4 */
      "Inline <a href=\"/inline\">html</a> here\n" /* 5 */
      "and <a name=\"anchor\"></a> an anchor.\n"   /* 6 */
      "\n"                                         /* 7 */
      "Use the <script> element\n"                 /* 8 */
      "with [md](/after-script).\n"                /* 9 */
      "\n"                                         /* 10 */
      "<div id=\"d\"><a href='/div'>d</a></div>\n" /* 11 */
      "\n"                                         /* 12 */
      "<script>\n"                                 /* 13 */
      "[not](/in-a-script-block)\n"                /* 14 */
      "</script>\n"                                /* 15 */
      "<a\n"                                       /* 16 */
      "href=/split>x</a>\n";                       /* 17 */
  struct got g = {0};
  EXPECT_EQ(md_run(&g, DOC, doc, 0), 0);
  EXPECT_STR(links(&g),
             "2 img.src ok https://example.com/docs/logo.png\n"
             "5 a.href ok https://example.com/inline\n"
             "9 a.href ok https://example.com/after-script\n"
             "11 a.href ok https://example.com/div\n"
             "17 a.href ok https://example.com/split\n");
  EXPECT_STR(anchors(&g), "6 anchor\n11 d\n");
  got_free(&g);
}

TEST(extract_md_cap_and_stop) {
  static const char doc[] = "[a](/a) [b](/b)\n\n[c](/c) [d](/d)\n";
  struct got g = {0};
  /* Kept: the first 10 bytes; the second link is cut off. */
  EXPECT_EQ(md_run(&g, DOC, doc, 10), SC_EXTRACT_LIMIT);
  EXPECT_STR(links(&g), "1 a.href ok https://example.com/a\n");
  got_free(&g);

  struct got s = {0};
  s.stop_after = 3;
  EXPECT_EQ(md_run(&s, DOC, doc, 0), SC_EXTRACT_STOPPED);
  EXPECT_EQ(s.n, 3);
  got_free(&s);

  struct got e = {0};
  EXPECT_EQ(md_run(&e, DOC, "", 0), 0);
  EXPECT_EQ(e.n, 0);
  got_free(&e);
}

/* 100,000 links: all reported, nothing kept per link (a bounded number
 * of bytes beyond the document and md4c's own state). */
TEST(extract_md_many_links) {
  struct sc_buf doc = {0};
  for (int i = 0; i < 100000; i++) sc_buf_adds(&doc, "[x](/same) ");
  struct got g = {0};
  g.quiet = 1;
  EXPECT_EQ(md_run(&g, DOC, doc.data, 0), 0);
  EXPECT_EQ(g.n, 100000);
  got_free(&g);
  sc_buf_free(&doc);
}

/* --- sitemaps ----------------------------------------------------------- */

static int sitemap_run(struct got *g, const void *data, size_t n, size_t chunk,
                       size_t max_bytes, size_t max_urls, char *detail,
                       size_t detail_size) {
  struct sc_sitemap *s = sc_sitemap_new("https://example.com/sitemap.xml",
                                        max_bytes, max_urls, on_link, g);
  const unsigned char *p = data;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i += chunk)
    rc = sc_sitemap_feed(s, p + i, n - i < chunk ? n - i : chunk);
  if (rc == 0) rc = sc_sitemap_finish(s);
  if (detail) sc_strcpy_cut(detail, detail_size, sc_sitemap_error(s));
  sc_sitemap_free(s);
  return rc;
}

/* gzip of data[0..n) as one member. */
static void gzip_into(struct sc_buf *out, const void *data, size_t n) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    abort();
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)n;
  int rc;
  do {
    sc_buf_reserve(out, 65536);
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = 65536;
    rc = deflate(&z, Z_FINISH);
    out->len = (size_t)((char *)z.next_out - out->data);
  } while (rc == Z_OK);
  deflateEnd(&z);
}

static const char urlset[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"\n"
    "  xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n"
    "  <url>\n"
    "    <loc>https://example.com/</loc>\n"
    "    <lastmod>2024-01-01</lastmod>\n"
    "  </url>\n"
    "  <url><loc>\n"
    "      https://example.com/a?x=1&amp;y=2#frag\n"
    "  </loc>\n"
    "    <image:image><image:loc>https://example.com/i.png</image:loc>"
    "</image:image>\n"
    "  </url>\n"
    "  <url><loc><![CDATA[https://example.com/cdata]]></loc></url>\n"
    "  <url><loc>relative/page</loc></url>\n"
    "  <url><loc>mailto:x@example.com</loc></url>\n"
    "  <url><loc></loc></url>\n"
    "  <loc>https://example.com/misplaced</loc>\n"
    "</urlset>\n";

static const char urlset_links[] =
    "5 url.loc ok https://example.com/\n"
    "8 url.loc ok https://example.com/a?x=1&y=2#frag\n"
    "13 url.loc ok https://example.com/cdata\n"
    "14 url.loc ok https://example.com/relative/page\n"
    "15 url.loc mailto mailto:x@example.com\n"
    "16 url.loc unparsable \n";

TEST(extract_sitemap_urlset) {
  for (size_t chunk = 1; chunk < 64; chunk += 7) {
    struct got g = {0};
    EXPECT_EQ(sitemap_run(&g, urlset, sizeof urlset - 1, chunk, 0, 0, NULL, 0),
              0);
    EXPECT_STR(links(&g), urlset_links);
    got_free(&g);
  }
}

TEST(extract_sitemap_index) {
  static const char index[] =
      "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
      "<sitemap><loc>https://example.com/s1.xml.gz</loc></sitemap>\n"
      "<sitemap><loc>/s2.xml</loc><lastmod>2024</lastmod></sitemap>\n"
      "<url><loc>https://example.com/not-in-an-index</loc></url>\n"
      "</sitemapindex>";
  struct got g = {0};
  EXPECT_EQ(sitemap_run(&g, index, sizeof index - 1, 100, 0, 0, NULL, 0), 0);
  EXPECT_STR(links(&g),
             "2 sitemap.loc ok https://example.com/s1.xml.gz child\n"
             "3 sitemap.loc ok https://example.com/s2.xml child\n");
  got_free(&g);

  /* No namespace at all is fine too; another root is not a sitemap. */
  struct got n = {0};
  static const char bare[] = "<urlset><url><loc>/bare</loc></url></urlset>";
  EXPECT_EQ(sitemap_run(&n, bare, sizeof bare - 1, 100, 0, 0, NULL, 0), 0);
  EXPECT_STR(links(&n), "1 url.loc ok https://example.com/bare\n");
  got_free(&n);

  struct got r = {0};
  char detail[256];
  static const char rss[] = "<rss><channel><link>https://x/</link></rss>";
  EXPECT_EQ(
      sitemap_run(&r, rss, sizeof rss - 1, 100, 0, 0, detail, sizeof detail),
      SC_EXTRACT_SYNTAX);
  EXPECT_CONTAINS(detail, "<rss>");
  EXPECT_EQ(r.n, 0);
  got_free(&r);
}

TEST(extract_sitemap_gzip) {
  struct sc_buf gz = {0};
  gzip_into(&gz, urlset, sizeof urlset - 1);
  for (size_t chunk = 1; chunk < 200; chunk += 13) {
    struct got g = {0};
    EXPECT_EQ(sitemap_run(&g, gz.data, gz.len, chunk, 0, 0, NULL, 0), 0);
    EXPECT_STR(links(&g), urlset_links);
    got_free(&g);
  }

  /* Two members (as `cat a.gz b.gz`), then trailing zeros. */
  struct sc_buf two = {0};
  size_t half = sizeof urlset / 2;
  gzip_into(&two, urlset, half);
  gzip_into(&two, urlset + half, sizeof urlset - 1 - half);
  sc_buf_add(&two, "\0\0\0\0", 4);
  struct got g2 = {0};
  EXPECT_EQ(sitemap_run(&g2, two.data, two.len, 10, 0, 0, NULL, 0), 0);
  EXPECT_STR(links(&g2), urlset_links);
  got_free(&g2);

  /* Truncated, and corrupt. */
  char detail[256];
  struct got t = {0};
  EXPECT_EQ(
      sitemap_run(&t, gz.data, gz.len - 10, 50, 0, 0, detail, sizeof detail),
      SC_EXTRACT_GZIP);
  EXPECT_CONTAINS(detail, "truncated");
  got_free(&t);
  gz.data[12] ^= 0x55;
  gz.data[13] ^= 0x55;
  struct got c = {0};
  EXPECT_EQ(sitemap_run(&c, gz.data, gz.len, 50, 0, 0, detail, sizeof detail),
            SC_EXTRACT_GZIP);
  got_free(&c);
  sc_buf_free(&gz);
  sc_buf_free(&two);
}

/* A small gzip that inflates past the 50 MiB cap stops there: 64 MiB of
 * whitespace with an empty element every 60,000 bytes. */
TEST(extract_sitemap_gzip_bomb) {
  size_t big = (size_t)64 * 1024 * 1024;
  char *xml = sc_xmalloc(big);
  static const char start[] = "<urlset><url><loc>/first</loc></url>";
  memset(xml, ' ', big);
  memcpy(xml, start, sizeof start - 1);
  for (size_t i = 60000; i + 4 < big; i += 60000) memcpy(xml + i, "<x/>", 4);
  struct sc_buf gz = {0};
  gzip_into(&gz, xml, big);
  free(xml);
  EXPECT(gz.len < big / 100);
  struct got g = {0};
  char detail[256];
  EXPECT_EQ(
      sitemap_run(&g, gz.data, gz.len, 65536, 0, 0, detail, sizeof detail),
      SC_EXTRACT_LIMIT);
  EXPECT_CONTAINS(detail, "larger than 52428800 bytes");
  EXPECT_STR(links(&g), "1 url.loc ok https://example.com/first\n");
  sc_buf_free(&gz);
  got_free(&g);
}

TEST(extract_sitemap_limits) {
  struct sc_buf xml = {0};
  sc_buf_adds(&xml, "<urlset>");
  for (int i = 0; i < 50001; i++)
    sc_buf_printf(&xml, "<url><loc>https://example.com/%d</loc></url>\n", i);
  sc_buf_adds(&xml, "</urlset>");
  struct got g = {0};
  g.quiet = 1;
  char detail[256];
  EXPECT_EQ(
      sitemap_run(&g, xml.data, xml.len, 65536, 0, 0, detail, sizeof detail),
      SC_EXTRACT_LIMIT);
  EXPECT_EQ(g.n, 50000);
  EXPECT_STR(detail, "more than 50000 URLs in one sitemap");
  EXPECT_STR(sc_extract_strerror(SC_EXTRACT_LIMIT), "limit reached");
  got_free(&g);

  struct got b = {0};
  b.quiet = 1;
  EXPECT_EQ(
      sitemap_run(&b, xml.data, xml.len, 1000, 4096, 0, detail, sizeof detail),
      SC_EXTRACT_LIMIT);
  EXPECT(b.n > 0 && b.n < 100);
  EXPECT_CONTAINS(detail, "larger than 4096 bytes");
  got_free(&b);
  sc_buf_free(&xml);

  /* One tag of thousands of attributes is refused, not parsed. */
  struct sc_buf tag = {0};
  sc_buf_adds(&tag, "<urlset><url><loc>https://example.com/1</loc></url><url ");
  for (int i = 0; i < 20000; i++) sc_buf_printf(&tag, "a%d='' ", i);
  sc_buf_adds(&tag, "><loc>https://example.com/2</loc></url></urlset>");
  struct got t = {0};
  EXPECT_EQ(
      sitemap_run(&t, tag.data, tag.len, 4096, 0, 0, detail, sizeof detail),
      SC_EXTRACT_LIMIT);
  EXPECT_STR(links(&t), "1 url.loc ok https://example.com/1\n");
  EXPECT_STR(detail, "more than 65536 bytes without a '>'");
  got_free(&t);
  sc_buf_free(&tag);
}

/* Entity expansion and external entities do nothing: the DOCTYPE is
 * refused before its internal subset is read. */
TEST(extract_sitemap_entities) {
  static const char lol[] =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE lolz [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
      " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
      " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
      " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
      " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
      " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
      "]>\n"
      "<urlset><url><loc>https://example.com/&lol9;</loc></url>"
      "<url><loc>https://example.com/after</loc></url></urlset>\n";
  static const char xxe[] =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE urlset [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
      "<urlset><url><loc>https://example.com/&xxe;</loc></url></urlset>\n";
  static const char ext_dtd[] =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE urlset SYSTEM \"file:///etc/passwd\">\n"
      "<urlset><url><loc>https://example.com/x</loc></url></urlset>\n";
  static const char undeclared[] =
      "<urlset><url><loc>https://example.com/ok</loc></url>\n"
      "<url><loc>https://example.com/&xxe;</loc></url></urlset>\n";
  const char *docs[] = {lol, xxe, ext_dtd};
  char detail[256];
  for (int i = 0; i < 3; i++) {
    struct got g = {0};
    EXPECT_EQ(sitemap_run(&g, docs[i], strlen(docs[i]), 16, 0, 0, detail,
                          sizeof detail),
              SC_EXTRACT_SYNTAX);
    EXPECT_EQ(g.n, 0);
    EXPECT(!strstr(links(&g), "root:") && !strstr(links(&g), "lol"));
    EXPECT_STR(detail, "line 2: a sitemap has no DOCTYPE");
    got_free(&g);
  }
  /* Without a DTD an entity reference is an error, and reads nothing. */
  struct got u = {0};
  EXPECT_EQ(sitemap_run(&u, undeclared, sizeof undeclared - 1, 16, 0, 0, detail,
                        sizeof detail),
            SC_EXTRACT_SYNTAX);
  EXPECT_STR(links(&u), "1 url.loc ok https://example.com/ok\n");
  EXPECT_CONTAINS(detail, "line 2: Entity 'xxe' not defined");
  EXPECT(!strstr(links(&u), "root:"));
  got_free(&u);
}

TEST(extract_sitemap_malformed) {
  static const char amp[] =
      "<urlset>\n<url><loc>https://example.com/1</loc></url>\n"
      "<url><loc>https://example.com/?a=1&b=2</loc></url>\n"
      "<url><loc>https://example.com/3</loc></url></urlset>";
  char detail[256];
  struct got g = {0};
  EXPECT_EQ(
      sitemap_run(&g, amp, sizeof amp - 1, 8, 0, 0, detail, sizeof detail),
      SC_EXTRACT_SYNTAX);
  EXPECT_STR(links(&g), "2 url.loc ok https://example.com/1\n");
  EXPECT_CONTAINS(detail, "line 3:");
  got_free(&g);

  /* Cut short, empty, not XML at all. */
  static const char *bad[] = {"<urlset><url><loc>https://example.com/1</loc>",
                              "", "x", "https://example.com/plain\n"};
  for (int i = 0; i < 4; i++) {
    struct got b = {0};
    EXPECT_EQ(sitemap_run(&b, bad[i], strlen(bad[i]), 3, 0, 0, NULL, 0),
              SC_EXTRACT_SYNTAX);
    EXPECT_EQ(b.n, i == 0 ? 1 : 0);
    got_free(&b);
  }

  /* UTF-8 it must be, whatever it declares; UTF-16 with a BOM is read. */
  static const char latin1[] =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<urlset>"
      "<url><loc>https://example.com/1</loc></url>\n"
      "<url><loc>https://example.com/caf\xE9</loc></url></urlset>";
  struct got e = {0};
  EXPECT_EQ(sitemap_run(&e, latin1, sizeof latin1 - 1, 5, 0, 0, detail,
                        sizeof detail),
            SC_EXTRACT_SYNTAX);
  EXPECT_STR(links(&e), "2 url.loc ok https://example.com/1\n");
  EXPECT_CONTAINS(detail,
                  "line 3: Input is not proper UTF-8, indicate "
                  "encoding ! Bytes: 0xE9");
  got_free(&e);
  static const char u8[] =
      "<urlset><url><loc>/caf\xC3\xA9</loc></url></urlset>";
  struct sc_buf u16 = {0};
  sc_buf_add(&u16, "\xFF\xFE", 2);
  for (size_t i = 0; u8[i]; i++) {
    if (u8[i] == '\xC3') {
      sc_buf_add(&u16, "\xE9\0", 2); /* U+00E9 */
      i++;
    } else {
      sc_buf_addc(&u16, u8[i]);
      sc_buf_addc(&u16, '\0');
    }
  }
  struct got w = {0};
  EXPECT_EQ(sitemap_run(&w, u16.data, u16.len, 3, 0, 0, NULL, 0), 0);
  EXPECT_STR(links(&w), "1 url.loc ok https://example.com/caf%c3%a9\n");
  got_free(&w);
  sc_buf_free(&u16);

  /* An overlong loc is reported as such, cut. */
  struct sc_buf x = {0};
  sc_buf_adds(&x, "<urlset><url><loc>https://example.com/");
  for (int i = 0; i < SC_LINK_MAX; i++) sc_buf_addc(&x, 'y');
  sc_buf_adds(&x, "</loc></url></urlset>");
  struct got l = {0};
  EXPECT_EQ(sitemap_run(&l, x.data, x.len, 1000, 0, 0, NULL, 0), 0);
  EXPECT_EQ(l.n, 1);
  EXPECT_CONTAINS(links(&l), "1 url.loc too_long https://example.com/yyy");
  EXPECT_EQ(strlen(links(&l)), strlen("1 url.loc too_long ") + SC_LINK_MAX + 1);
  got_free(&l);
  sc_buf_free(&x);
}

TEST(extract_sitemap_stop) {
  struct got g = {0};
  g.stop_after = 2;
  char detail[256];
  EXPECT_EQ(sitemap_run(&g, urlset, sizeof urlset - 1, 1000, 0, 0, detail,
                        sizeof detail),
            SC_EXTRACT_STOPPED);
  EXPECT_EQ(g.n, 2);
  got_free(&g);
}

/* --- input kinds and UTF-16 --------------------------------------------- */

static enum sc_input_kind kind_of(const char *name, const char *head) {
  return sc_input_kind(name, (const unsigned char *)head, strlen(head));
}

TEST(input_kind_sniff) {
  /* The content decides where it is decisive... */
  EXPECT_EQ(kind_of(NULL, "<!DOCTYPE html>\n<html>"), SC_INPUT_HTML);
  EXPECT_EQ(kind_of("x.md", "\xEF\xBB\xBF  <!doctype HTML><p>"), SC_INPUT_HTML);
  EXPECT_EQ(kind_of("urls.txt", "<html lang=en>"), SC_INPUT_HTML);
  EXPECT_EQ(kind_of("page.md", "<HTML>"), SC_INPUT_HTML);
  EXPECT_EQ(kind_of(NULL,
                    "<?xml version=\"1.0\"?>\n<!-- c -->\n"
                    "<urlset xmlns=\"http://www.sitemaps.org/\">"),
            SC_INPUT_SITEMAP);
  EXPECT_EQ(kind_of("index.html", "<sitemapindex><sitemap>"), SC_INPUT_SITEMAP);
  EXPECT_EQ(kind_of("a.txt",
                    "<?xml version='1.0'?><sm:urlset "
                    "xmlns:sm='http://www.sitemaps.org/'>"),
            SC_INPUT_SITEMAP);
  EXPECT_EQ(kind_of(NULL,
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC "
                    "\"-//W3C//DTD XHTML 1.0 Strict//EN\" \"x\">"),
            SC_INPUT_HTML);
  /* ...the name where it is not... */
  EXPECT_EQ(kind_of("README.md", "<p align=\"center\">"), SC_INPUT_MARKDOWN);
  EXPECT_EQ(kind_of("notes.markdown", "# Title"), SC_INPUT_MARKDOWN);
  EXPECT_EQ(kind_of("https://x.example/a/b.MD?raw=1", "text"),
            SC_INPUT_MARKDOWN);
  EXPECT_EQ(kind_of("frag.htm", "just text"), SC_INPUT_HTML);
  EXPECT_EQ(kind_of("feed.xml", "<?xml version=\"1.0\"?><rss>"),
            SC_INPUT_SITEMAP);
  EXPECT_EQ(kind_of("short.xml", "<?xml ver"), SC_INPUT_SITEMAP);
  EXPECT_EQ(kind_of("plain.xml", "https://example.com/\n"), SC_INPUT_LIST);
  /* ...weak HTML after the name, and a list by default. */
  EXPECT_EQ(kind_of(NULL, "<div class=x>"), SC_INPUT_HTML);
  EXPECT_EQ(kind_of("x.txt", "  <a href=/>"), SC_INPUT_HTML);
  EXPECT_EQ(kind_of(NULL, "<abbr>"), SC_INPUT_LIST);
  EXPECT_EQ(kind_of(NULL, "https://example.com/\nhttps://x/\n"), SC_INPUT_LIST);
  EXPECT_EQ(kind_of("urls.txt", "# comment\nexample.com\n"), SC_INPUT_LIST);
  EXPECT_EQ(kind_of(NULL, ""), SC_INPUT_LIST);
  EXPECT_STR(sc_input_kind_name(SC_INPUT_SITEMAP), "sitemap");
  EXPECT_STR(sc_input_kind_name(SC_INPUT_LIST), "list");
}

TEST(input_kind_gzip_and_utf16) {
  static const char sm[] = "<?xml version=\"1.0\"?><urlset><url>";
  struct sc_buf gz = {0};
  gzip_into(&gz, sm, sizeof sm - 1);
  EXPECT_EQ(sc_input_kind("anything", (unsigned char *)gz.data, gz.len),
            SC_INPUT_SITEMAP);
  EXPECT_EQ(sc_input_kind(NULL, (unsigned char *)gz.data, 10),
            SC_INPUT_LIST); /* too little to inflate, no name */
  EXPECT_EQ(sc_input_kind("s.xml.gz", (unsigned char *)gz.data, 10),
            SC_INPUT_SITEMAP);
  sc_buf_free(&gz);
  struct sc_buf gl = {0};
  gzip_into(&gl, "https://example.com/\n", 21);
  EXPECT_EQ(sc_input_kind("list.gz", (unsigned char *)gl.data, gl.len),
            SC_INPUT_LIST);
  sc_buf_free(&gl);

  static const unsigned char le[] = {0xFF, 0xFE, '<', 0, 'u', 0, 'r', 0, 'l', 0,
                                     's',  0,    'e', 0, 't', 0, '>', 0};
  static const unsigned char be[] = {0xFE, 0xFF, 0,   '<', 0,   'h', 0,
                                     't',  0,    'm', 0,   'l', 0,   '>'};
  EXPECT_EQ(sc_input_kind(NULL, le, sizeof le), SC_INPUT_SITEMAP);
  EXPECT_EQ(sc_input_kind(NULL, be, sizeof be), SC_INPUT_HTML);
  EXPECT_EQ(sc_utf16_bom(le, sizeof le), SC_UTF16_LE);
  EXPECT_EQ(sc_utf16_bom(be, sizeof be), SC_UTF16_BE);
  EXPECT_EQ(sc_utf16_bom(be, 1), SC_UTF16_NONE);
  EXPECT_EQ(sc_utf16_bom((const unsigned char *)"ab", 2), SC_UTF16_NONE);
}

/* UTF-16 "a\u00e9\u20ac\U0001F600\n" plus a lone low surrogate and a lone
 * high one, in both byte orders, fed whole and a byte at a time. */
TEST(utf16_convert) {
  static const unsigned short units[] = {0xFEFF, 'a',    0xE9, 0x20AC,
                                         0xD83D, 0xDE00, '\n', 0xDC00,
                                         'b',    0xD800, 'c'};
  static const char want[] =
      "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n\xEF\xBF\xBD"
      "b\xEF\xBF\xBD"
      "c";
  size_t nu = sizeof units / sizeof units[0];
  for (int big = 0; big < 2; big++) {
    unsigned char bytes[64];
    for (size_t i = 0; i < nu; i++) {
      bytes[2 * i + (big ? 1 : 0)] = (unsigned char)(units[i] & 0xFF);
      bytes[2 * i + (big ? 0 : 1)] = (unsigned char)(units[i] >> 8);
    }
    enum sc_utf16_bom bom = sc_utf16_bom(bytes, 2 * nu);
    EXPECT_EQ(bom, big ? SC_UTF16_BE : SC_UTF16_LE);
    for (size_t step = 1; step <= 2 * nu; step++) {
      struct sc_utf16 *c = sc_utf16_new(bom);
      struct sc_buf out = {0};
      for (size_t i = 0; i < 2 * nu; i += step)
        sc_utf16_convert(c, bytes + i, 2 * nu - i < step ? 2 * nu - i : step,
                         &out);
      sc_utf16_finish(c, &out);
      sc_utf16_free(c);
      EXPECT_STR(out.data, want);
      sc_buf_free(&out);
    }
    /* An odd byte or a high surrogate left at the end. */
    struct sc_utf16 *c = sc_utf16_new(bom);
    struct sc_buf out = {0};
    sc_utf16_convert(c, bytes + 2, 3, &out);
    sc_utf16_finish(c, &out);
    EXPECT_STR(out.data, "a\xEF\xBF\xBD");
    sc_buf_free(&out);
    sc_utf16_convert(c, bytes + 8, 2, &out);
    sc_utf16_finish(c, &out);
    EXPECT_STR(out.data, "\xEF\xBF\xBD");
    sc_buf_free(&out);
    sc_utf16_free(c);
  }
  EXPECT(sc_utf16_new(SC_UTF16_NONE) == NULL);
}
