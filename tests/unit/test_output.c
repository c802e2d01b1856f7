/* test_output.c - JSON escaping, tally and record formatting, failure-class
 * mapping, --fail-on and number parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "job.h"
#include "record.h"
#include "util.h"
#include "unit.h"

TEST(json_str) {
  struct sc_buf b = {0};
  sc_json_str(&b, "a\"b\\c\n\x01", 7);
  EXPECT_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
  b.len = 0;
  sc_json_str(&b, "caf\xC3\xA9 \xE2\x82\xAC", 9); /* valid UTF-8 kept */
  EXPECT_STR(b.data, "\"caf\xC3\xA9 \xE2\x82\xAC\"");
  b.len = 0;
  sc_json_str(&b,
              "a\xFF"
              "b\xC0\x80"
              "c\xED\xA0\x80"
              "d\xE2\x82",
              12);
  EXPECT_STR(
      b.data,
      "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
  b.len = 0;
  sc_json_str(&b, "x\0y", 3);
  EXPECT_STR(b.data, "\"x\\u0000y\"");
  sc_buf_free(&b);
}

static struct sc_result res(int status, enum sc_class cls) {
  static struct sc_job job = {.line = "u", .len = 1};
  struct sc_result r;
  sc_result_for_job(&r, &job);
  r.a.status = status;
  r.a.cls = cls;
  return r;
}

TEST(tally) {
  struct sc_tally t;
  struct sc_buf b = {0};
  memset(&t, 0, sizeof t);
  sc_tally_json(&b, &t);
  EXPECT_STR(b.data, "{}");
  struct sc_result rs[] = {
      res(404, SC_OK),    res(0, SC_TIMEOUT),     res(200, SC_OK),
      res(0, SC_CONNECT), res(200, SC_OK),        res(0, SC_TOO_MANY_REDIRECTS),
      res(1, SC_OK),      res(0, SC_INVALID_URL), res(999, SC_OK)};
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
    sc_tally_add(&t, &rs[i]);
  b.len = 0;
  sc_tally_json(&b, &t);
  EXPECT_STR(b.data,
             "{\"1\": 1, \"200\": 2, \"404\": 1, \"999\": 1, \"connect\": 1, "
             "\"invalid_url\": 1, \"timeout\": 1, \"too_many_redirects\": 1}");
  EXPECT(t.total == 9);
  sc_buf_free(&b);
}

TEST(records) {
  struct sc_buf b = {0};
  struct sc_result r = res(200, SC_OK);
  r.url = "a,\"b\"";
  r.url_len = 5;
  r.line = 7;
  r.a.time_ms = 12.34;
  r.final_url = "http://x/";
  r.a.redirects = 1;
  r.a.content_length = 0;
  r.a.cert_expiry = 86400 * 365;
  r.a.cert_days_left = -3;
  r.a.ttfb_ms = 1.25;
  r.chain = "302 http://a/\n200 http://x/\n";
  snprintf(r.a.ip, sizeof r.a.ip, "127.0.0.1");
  snprintf(r.a.method, sizeof r.a.method, "GET");
  snprintf(r.a.server, sizeof r.a.server, "srv \"1\"");
  r.a.start_ms = 1500.04;
  snprintf(r.a.worker, sizeof r.a.worker, "thread 3");
  sc_record_jsonl(&b, &r);
  EXPECT_STR(
      b.data,
      "{\"url\":\"a,\\\"b\\\"\",\"line\":7,\"status\":200,\"error\":null,"
      "\"detail\":null,\"time_ms\":12.3,\"final_url\":\"http://x/\","
      "\"redirects\":1,\"ip\":\"127.0.0.1\",\"attempts\":1,"
      "\"method\":\"GET\",\"http_version\":null,\"content_type\":null,"
      "\"content_length\":0,\"server\":\"srv \\\"1\\\"\","
      "\"chain\":[{\"url\":\"http://a/\",\"status\":302},"
      "{\"url\":\"http://x/\",\"status\":200}],"
      "\"cert_expiry\":\"1971-01-01T00:00:00Z\",\"cert_days_left\":-3,"
      "\"dns_ms\":null,\"connect_ms\":null,\"tls_ms\":null,"
      "\"ttfb_ms\":1.2,\"duplicate_of\":null,\"input\":null,"
      "\"ok\":false,\"tried_url\":null,\"location\":null,"
      "\"source\":null,\"referrers\":null,"
      "\"start_ms\":1500.0,\"worker\":\"thread 3\"}\n");
  b.len = 0;
  sc_csv_header(&b);
  EXPECT(strncmp(b.data,
                 "url,line,status,error,detail,time_ms,final_url,"
                 "redirects,ip,attempts,",
                 54) == 0);
  b.len = 0;
  sc_record_csv(&b, &r);
  EXPECT_STR(
      b.data,
      "\"a,\"\"b\"\"\",7,200,,,12.3,http://x/,1,127.0.0.1,1,GET,,,0,"
      "\"srv \"\"1\"\"\",\"[{\"\"url\"\":\"\"http://a/\"\",\"\"status\"\":302},"
      "{\"\"url\"\":\"\"http://x/\"\",\"\"status\"\":200}]\","
      "1971-01-01T00:00:00Z,-3,,,,1.2,,,false,,,,,1500.0,thread 3\n");
  b.len = 0;
  struct sc_result e = res(0, SC_TIMEOUT);
  snprintf(e.a.detail, sizeof e.a.detail, "took\ntoo long");
  sc_record_csv(&b, &e);
  EXPECT_STR(
      b.data,
      "u,0,,timeout,\"took\ntoo long\",0.0,,0,,1,,,,,,,,,,,,,,,false,,,,,,"
      "\n");
  b.len = 0;
  e.duplicate_of = 4;
  sc_record_jsonl(&b, &e);
  EXPECT(strstr(b.data, "\"duplicate_of\":4,") != NULL);
  /* No check ran (or no engine said who): null, not 0 or "". */
  EXPECT(strstr(b.data, "\"start_ms\":null,\"worker\":null}") != NULL);
  /* A link's result: where it was found and how many places link to it. */
  b.len = 0;
  e.linked = 1;
  e.source = "page.md:3";
  e.referrers = 2;
  sc_record_jsonl(&b, &e);
  EXPECT(strstr(b.data, "\"source\":\"page.md:3\",\"referrers\":2,") != NULL);
  e.linked = 0;
  e.source = NULL;
  b.len = 0;
  sc_record_jsonl(&b, &e);
  EXPECT(strstr(b.data, "\"status\":null,\"error\":\"timeout\"") != NULL);
  EXPECT(strstr(b.data, "\"ip\":null") != NULL);
  EXPECT(strstr(b.data, "\"content_length\":null") != NULL);
  sc_buf_free(&b);
}

TEST(record_fields_one_list) {
  /* The CSV header and the JSON keys come from one table, in order. */
  struct sc_buf h = {0}, j = {0};
  sc_csv_header(&h);
  EXPECT_STR(h.data,
             "url,line,status,error,detail,time_ms,final_url,redirects,ip,"
             "attempts,method,http_version,content_type,content_length,"
             "server,chain,cert_expiry,cert_days_left,dns_ms,connect_ms,"
             "tls_ms,ttfb_ms,duplicate_of,input,ok,tried_url,location,"
             "source,referrers,start_ms,worker\n");
  struct sc_result r = res(200, SC_OK);
  sc_record_jsonl(&j, &r);
  char keys[1024] = "";
  for (const char *p = j.data; (p = strstr(p, "\":")); p += 2) {
    const char *q = p;
    while (q[-1] != '"') q--;
    strncat(keys, q, (size_t)(p - q));
    strncat(keys, ",", 2);
  }
  keys[strlen(keys) - 1] = '\n';
  EXPECT_STR(keys, h.data);
  sc_buf_free(&h);
  sc_buf_free(&j);
}

TEST(classify) {
  EXPECT(sc_classify(CURLE_COULDNT_CONNECT) == SC_CONNECT);
  EXPECT(sc_classify(CURLE_COULDNT_RESOLVE_HOST) == SC_DNS);
  EXPECT(sc_classify(CURLE_OPERATION_TIMEDOUT) == SC_TIMEOUT);
  EXPECT(sc_classify(CURLE_TOO_MANY_REDIRECTS) == SC_TOO_MANY_REDIRECTS);
  EXPECT(sc_classify(CURLE_PEER_FAILED_VERIFICATION) == SC_TLS);
  EXPECT(sc_classify(CURLE_SSL_CONNECT_ERROR) == SC_TLS);
  EXPECT(sc_classify(CURLE_GOT_NOTHING) == SC_PROTOCOL);
  EXPECT(sc_classify(CURLE_RECV_ERROR) == SC_PROTOCOL);
  EXPECT(sc_classify(CURLE_WEIRD_SERVER_REPLY) == SC_PROTOCOL);
  EXPECT(sc_classify(CURLE_UNSUPPORTED_PROTOCOL) == SC_PROTOCOL);
  EXPECT(sc_classify(CURLE_URL_MALFORMAT) == SC_INVALID_URL);
  EXPECT(sc_classify(CURLE_OUT_OF_MEMORY) == SC_OTHER);
  EXPECT(sc_classify(CURLE_ABORTED_BY_CALLBACK) == SC_OTHER);
}

TEST(failon) {
  struct sc_failon f;
  char *bad = NULL;
  memset(&f, 0, sizeof f);
  EXPECT(sc_failon_parse(&f, "4xx,503,timeout", &bad) == 0);
  struct sc_result r404 = res(404, SC_OK), r500 = res(500, SC_OK),
                   r503 = res(503, SC_OK), rto = res(0, SC_TIMEOUT),
                   rdns = res(0, SC_DNS);
  EXPECT(sc_failon_match(&f, &r404));
  EXPECT(!sc_failon_match(&f, &r500));
  EXPECT(sc_failon_match(&f, &r503));
  EXPECT(sc_failon_match(&f, &rto));
  EXPECT(!sc_failon_match(&f, &rdns));
  EXPECT(sc_failon_parse(&f, "error", &bad) == 0);
  EXPECT(sc_failon_match(&f, &rdns));
  EXPECT(sc_failon_parse(&f, "4xx,bogus", &bad) == -1);
  EXPECT_STR(bad, "bogus");
  free(bad);
  EXPECT(sc_failon_parse(&f, "", &bad) == -1);
  free(bad);
  EXPECT(sc_failon_parse(&f, "6x", &bad) == -1);
  free(bad);
}

TEST(numbers) {
  long v;
  EXPECT(sc_parse_seconds("10", &v) == 0 && v == 10000);
  EXPECT(sc_parse_seconds("0.25", &v) == 0 && v == 250);
  EXPECT(sc_parse_seconds("-1", &v) == -1);
  EXPECT(sc_parse_seconds("abc", &v) == -1);
  EXPECT(sc_parse_seconds("1e400", &v) == -1);
  EXPECT(sc_parse_seconds("nan", &v) == -1);
  EXPECT(sc_parse_long("42", 1, 100, &v) == 0 && v == 42);
  EXPECT(sc_parse_long("0", 1, 100, &v) == -1);
  EXPECT(sc_parse_long("12x", 1, 100, &v) == -1);
  EXPECT(sc_parse_long("99999999999999999999", 1, 100, &v) == -1);
}
