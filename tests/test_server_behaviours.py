"""Every behaviour of the simulated web lands in the right status or failure
class, within its time limit, in every model; plus redirects, methods,
headers, TLS and name resolution."""

import pytest

from conftest import check_one, concurrency_args, tally_text

# path, extra args, expected tally key, max wall seconds for the run
BEHAVIOURS = [
    ("/", [], "200", 3),
    ("/status/404", [], "404", 3),
    ("/status/500", [], "500", 3),
    ("/status/204", [], "204", 3),
    ("/no/such/path", [], "404", 3),
    ("/delay/300", ["-t", "2"], "200", 3),
    ("/delay/300/status/404", ["-t", "2"], "404", 3),
    ("/delay/3000", ["-t", "1"], "timeout", 5),
    ("/hang", ["-t", "1"], "timeout", 5),
    ("/hang", ["-t", "0.5"], "timeout", 4),
    ("/drip", ["-t", "1"], "timeout", 5),
    ("/garbage", [], "protocol", 3),
    ("/empty", [], "protocol", 3),
    ("/reset", [], "protocol", 3),
    ("/truncated", ["-t", "2"], "protocol", 3),
    ("/http10", [], "200", 3),
    ("/info100", [], "200", 3),
    ("/badbody", [], "200", 3),
    ("/bytes/100", [], "200", 3),
    ("/head405", [], "200", 3),
    ("/loop", [], "too_many_redirects", 3),
]

NO_RESPONSE = {"/hang", "/garbage", "/empty", "/reset", "/truncated"}


@pytest.mark.parametrize("path,args,key,limit", BEHAVIOURS,
                         ids=[f"{b[0]}{' ' + ' '.join(b[1]) if b[1] else ''}"
                              for b in BEHAVIOURS])
def test_behaviour(sc, base, path, args, key, limit):
    rec, res = check_one(sc, base + path, *args)
    assert key_matches(rec, key), rec
    assert res.elapsed < limit, f"took {res.elapsed:.2f} s (limit {limit})"
    if key.isdigit():
        assert rec["ip"] == "127.0.0.1", rec
        assert isinstance(rec["final_url"], str), rec
    if path in NO_RESPONSE:
        assert rec["status"] is None, rec
    if path.startswith("/delay/") and key.isdigit():
        assert rec["time_ms"] >= 250, rec
    if key == "timeout":
        timeout_s = float(args[args.index("-t") + 1])
        assert res.elapsed >= timeout_s * 0.9, "gave up before -t"


def key_matches(rec, key):
    if key.isdigit():
        return rec["status"] == int(key) and rec["error"] is None
    return rec["error"] == key


def test_headers_flood_is_an_error_not_a_hang(sc, base):
    rec, res = check_one(sc, base + "/headers-flood", "-t", "2")
    assert rec["error"] in ("timeout", "protocol"), rec
    assert res.elapsed < 5, f"took {res.elapsed:.2f} s"


def test_slow_body_reports_status_promptly(sc, base):
    rec, res = check_one(sc, base + "/slowbody", "-t", "5")
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert res.elapsed < 2.5, f"waited for the body: {res.elapsed:.2f} s"


def test_endless_body_is_not_downloaded(sc, base):
    rec, res = check_one(sc, base + "/bytes/10000000000", "-t", "10")
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert res.elapsed < 2, f"read the body? {res.elapsed:.2f} s"


def test_head_method(sc, base):
    # A server that refuses HEAD gets the same URL again with GET; the
    # record says which method gave the answer.
    rec, _ = check_one(sc, base + "/head405", "-X", "HEAD")
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert rec["method"] == "GET" and rec["attempts"] == 1, rec
    rec, _ = check_one(sc, base + "/", "-X", "HEAD")
    assert rec["status"] == 200 and rec["method"] == "HEAD", rec
    rec, _ = check_one(sc, base + "/head405", "--method", "GET")
    assert rec["status"] == 200 and rec["method"] == "GET", rec


def test_refused_port_is_connect(sc, refused_url):
    rec, res = check_one(sc, refused_url, "-t", "2")
    assert rec["error"] == "connect" and rec["status"] is None, rec
    assert res.elapsed < 3


def test_invalid_tld_is_dns(sc):
    rec, res = check_one(sc, "http://nonexistent.invalid/", "-t", "2")
    assert rec["error"] == "dns" and rec["status"] is None, rec
    assert rec["ip"] is None, rec
    assert res.elapsed < 3


def test_ipv6_loopback(sc, base6):
    rec, _ = check_one(sc, base6 + "/status/203")
    assert rec["status"] == 203 and rec["error"] is None, rec
    assert rec["ip"] == "::1", rec


# ------------------------------------------------------------- redirects


@pytest.mark.parametrize("hops", [1, 3])
def test_redirects_are_followed(sc, base, hops):
    rec, _ = check_one(sc, f"{base}/redirect/{hops}")
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert rec["redirects"] == hops, rec
    assert rec["final_url"].endswith("/redirect/0"), rec


def test_no_follow_reports_the_3xx(sc, base):
    rec, _ = check_one(sc, f"{base}/redirect/2", "--no-follow")
    assert rec["status"] == 302 and rec["error"] is None, rec
    assert rec["redirects"] == 0, rec


@pytest.mark.parametrize("hops,key", [(2, "200"), (3, "too_many_redirects")])
def test_max_redirects(sc, base, hops, key):
    rec, _ = check_one(sc, f"{base}/redirect/{hops}", "--max-redirects", "2")
    assert key_matches(rec, key), rec


@pytest.mark.parametrize("hops,key", [(10, "200"), (11, "too_many_redirects")])
def test_default_max_redirects_is_10(sc, base, hops, key):
    rec, _ = check_one(sc, f"{base}/redirect/{hops}")
    assert key_matches(rec, key), rec


def test_redirect_to_another_local_url(sc, base):
    rec, _ = check_one(sc, f"{base}/redirect-to?url={base}/status/201")
    assert rec["status"] == 201 and rec["error"] is None, rec
    assert rec["redirects"] == 1, rec
    assert rec["final_url"] == f"{base}/status/201", rec


@pytest.mark.parametrize("target", ["ftp://ftp.invalid/x",
                                    "file:///etc/passwd"])
def test_redirect_to_unsupported_scheme_is_not_followed(sc, base, target):
    rec, _ = check_one(sc, f"{base}/redirect-to?url={target}")
    assert rec["status"] == 302 and rec["error"] is None, rec


# ------------------------------------------ what the request looks like


def test_headers_and_user_agent_reach_the_server(sc, recorder):
    url = f"http://127.0.0.1:{recorder.port}/x"
    rec, _ = check_one(sc, url, "-H", "X-One: 1", "--header", "X-Two: two",
                       "-A", "probe/9.9")
    assert rec["status"] == 200, rec
    method, path, headers = recorder.seen[-1]
    assert (method, path) == ("GET", "/x")
    assert headers.get("x-one") == "1", headers
    assert headers.get("x-two") == "two", headers
    assert headers.get("user-agent") == "probe/9.9", headers


def test_head_request_is_sent_as_head(sc, recorder):
    rec, _ = check_one(sc, f"http://127.0.0.1:{recorder.port}/h", "-X", "HEAD")
    assert rec["status"] == 200, rec
    assert [s[0] for s in recorder.seen] == ["HEAD"], recorder.seen


def test_resolve_supplies_the_address(sc, recorder):
    # Names under .localhost never leave the machine (libcurl answers them
    # itself with 127.0.0.1), so this test cannot reach a real DNS server.
    port = recorder.port
    rec, _ = check_one(sc, f"http://site.localhost:{port}/",
                       "--resolve", f"site.localhost:{port}:127.0.0.1")
    assert rec["status"] == 200 and rec["error"] is None, rec
    assert rec["ip"] == "127.0.0.1", rec
    assert recorder.seen[-1][2].get("host") == f"site.localhost:{port}"


def test_resolve_overrides_the_lookup(sc):
    # libcurl itself would answer other.localhost with 127.0.0.1; a 204 from
    # a listener on 127.0.0.2 proves the --resolve entry was used.
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.2", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def answer():
        conn, _ = srv.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        rec, _ = check_one(sc, f"http://other.localhost:{port}/",
                           "--resolve", f"other.localhost:{port}:127.0.0.2")
    finally:
        srv.close()
    assert rec["status"] == 204, rec
    assert rec["ip"] == "127.0.0.2", rec


def test_connect_timeout_does_not_limit_the_response(sc, base):
    rec, _ = check_one(sc, base + "/delay/1200", "--connect-timeout", "0.5",
                       "-t", "5")
    assert rec["status"] == 200, rec


# ------------------------------------------------------------------- TLS


def test_untrusted_certificate_is_tls(sc, tls_recorder):
    url = f"https://127.0.0.1:{tls_recorder.port}/"
    rec, _ = check_one(sc, url, "-t", "5")
    assert rec["error"] == "tls", rec


@pytest.mark.parametrize("how", ["-k", "--insecure", "--cacert"])
def test_trusted_certificate(sc, tls_recorder, tls_cert, how):
    args = ["--cacert", str(tls_cert[0])] if how == "--cacert" else [how]
    rec, _ = check_one(sc, f"https://127.0.0.1:{tls_recorder.port}/",
                       "-t", "5", *args)
    assert rec["status"] == 200 and rec["error"] is None, rec


# ------------------------------------------------------ all of it at once


def test_all_behaviours_concurrently(sc, base, refused_url, model):
    cases = [(base + p, k) for p, a, k, _ in BEHAVIOURS if "-t" not in a]
    cases += [(base + "/hang", "timeout"), (base + "/drip", "timeout"),
              (base + "/delay/300", "200"), (base + "/slowbody", "200"),
              (base + "/bytes/10000000000", "200"),
              (base + "/redirect/3", "200"), (refused_url, "connect"),
              ("http://nonexistent.invalid/", "dns")]
    res = sc("-t", "1.5", *concurrency_args(model, 50),
             input="".join(u + "\n" for u, _ in cases))
    assert res.rc == 0, res.err
    got = {r["line"]: r for r in res.records}
    assert sorted(got) == list(range(1, len(cases) + 1)), res.records
    for line, (url, key) in enumerate(cases, 1):
        assert got[line]["url"] == url
        assert key_matches(got[line], key), got[line]
    counts = {}
    for _, key in cases:
        counts[key] = counts.get(key, 0) + 1
    assert res.out == tally_text(counts)
    limit = 12 if model.startswith("serial") else 5
    assert res.elapsed < limit, f"took {res.elapsed:.2f} s"
