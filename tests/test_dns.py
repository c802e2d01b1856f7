"""Name resolution on the event loop with c-ares, against a real local DNS
server (dnsmasq on 127.0.0.1, started here, serving thousands of names and
answering NXDOMAIN for the rest of its zone, REFUSED outside it, never
forwarding) or a silent one (a UDP port that never answers): in every
model, with --dns-servers, -4/-6, the run's TTL cache and its memory of
failing names, and libcurl's own resolver for comparison."""

import re
import shutil
import time

import pytest

from conftest import check_one, concurrency_args, loops_of, run
from dns_helper import DnsServer, SilentServer

pytestmark = pytest.mark.skipif(not shutil.which("dnsmasq")
                                and not shutil.which("/usr/sbin/dnsmasq"),
                                reason="dnsmasq not installed")


@pytest.fixture(scope="module")
def dns():
    with DnsServer(names=3000, ttl=60, log_queries=True) as server:
        yield server


def port_of(base):
    return base.rsplit(":", 1)[1]


def test_thousands_of_names(sc, model, base, dns):
    n = 300 if model.startswith("serial") else 3000
    lines = [f"http://h{i}.test:{port_of(base)}/" for i in range(n)]
    res = sc(*concurrency_args(model, 200), "--dns-servers", dns.servers,
             "-4", input="\n".join(lines) + "\n", timeout=120)
    assert res.rc == 0, res.err
    assert res.out == f'{{"200": {n}}}\n', [r for r in res.records if r["error"]][:3]
    assert all(r["ip"] == "127.0.0.1" for r in res.records)
    assert all(r["dns_ms"] is not None for r in res.records)


def test_unknown_name_is_dns(sc, base, dns):
    rec, res = check_one(sc, f"http://nx1.test:{port_of(base)}/",
                         "--dns-servers", dns.servers)
    assert rec["error"] == "dns" and rec["status"] is None, rec
    assert "nx1.test" not in rec["detail"] or rec["detail"], rec
    assert res.elapsed < 3


def test_distinct_answers_reach_the_right_address(sc, base, dns):
    # u<i>.test each resolve to their own 127.a.b.c: the connection goes to
    # exactly the address DNS gave (nothing listens there: `connect`).
    rec, _ = check_one(sc, f"http://u7.test:{port_of(base)}/",
                       "--dns-servers", dns.servers, "--retries", "0")
    from dns_helper import unique_addr
    assert rec["error"] == "connect", rec
    detail_or_ip = (rec["ip"] or "") + rec["detail"]
    assert unique_addr(7) in detail_or_ip or rec["ip"] is None, rec


def test_family_options(sc, base, base6, dns):
    port6 = port_of(base6)
    rec, _ = check_one(sc, f"http://v6only.test:{port6}/", "-6",
                       "--dns-servers", dns.servers)
    assert rec["status"] == 200 and rec["ip"] == "::1", rec
    rec, _ = check_one(sc, f"http://v6only.test:{port6}/", "-4",
                       "--dns-servers", dns.servers)
    assert rec["error"] == "dns", rec


def test_cache_asks_once_per_name(base, dns, tmp_path):
    # 40 checks of one name on one loop: the TTL cache (60 s) and shared
    # queries mean dnsmasq sees one query per address family at most.
    before = open(dns.log_path).read().count("query[A] h42.test")
    lines = [f"http://h42.test:{port_of(base)}/?{i}" for i in range(40)]
    res = run("-m", "event", "-4", "--dns-servers", dns.servers, "-c", "10",
              input="\n".join(lines) + "\n")
    assert res.rc == 0 and res.out == '{"200": 40}\n', res.err
    import time
    time.sleep(0.2)  # let dnsmasq write its log
    after = open(dns.log_path).read().count("query[A] h42.test")
    assert after - before == 1, (before, after)


def test_libcurl_resolver_for_comparison(base):
    # --resolver curl: libcurl's thread per lookup; names it can answer
    # without DNS (.localhost) still work.
    rec = run("--resolver", "curl", "-o", "-", "-q",
              input=f"http://x.localhost:{port_of(base)}/\n")
    assert rec.rc == 0 and '"status":200' in rec.out, rec.err


@pytest.mark.parametrize("args", [["--dns-servers", "1.2.3.4:99999"],
                                  ["--dns-servers", "not-an-address"],
                                  ["--dns-servers", ""],
                                  ["--resolver", "bogus"],
                                  ["--resolver", "curl", "--dns-servers",
                                   "127.0.0.1:53"]])
def test_bad_dns_options(args):
    res = run(*args, input="http://127.0.0.1:1/\n")
    assert res.rc == 2 and re.match(r"sitecheck: ", res.err), res.err
    assert res.out == ""


def test_failed_lookups_are_retried(sc, base):
    # Nothing answers on 127.0.0.1:1: each lookup fails, is a try, and is
    # retried like any transient failure.
    rec, _ = check_one(sc, f"http://h1.test:{port_of(base)}/",
                       "--dns-servers", "127.0.0.1:1", "--retries", "2",
                       "-t", "2")
    assert rec["error"] == "dns" and rec["attempts"] == 3, rec


def test_no_such_name_is_not_retried(sc, base, dns):
    rec, _ = check_one(sc, f"http://nx2.test:{port_of(base)}/",
                       "--dns-servers", dns.servers, "--retries", "2")
    assert rec["error"] == "dns" and rec["attempts"] == 1, rec


def queries_for(dns, name):
    """Queries for name (any type) dnsmasq has logged."""
    time.sleep(0.2)  # let dnsmasq write its log
    with open(dns.log_path) as f:
        return len(re.findall(r"query\[A+\] %s from " % re.escape(name),
                              f.read()))


def caches(model, workers):
    """How many separate DNS caches a run has: one per worker process in
    the process model, one for the rest (whose loops and threads share
    it); --loops N may ask once per loop before the first answer is in."""
    if model.startswith("process"):
        return workers
    return loops_of(model)


def test_nxdomain_is_asked_once_per_cache(sc, model, base, dns):
    # 2,000 checks of one name that does not exist: the run's cache answers
    # all but the first lookup (NXDOMAIN is kept 5 s), and checks that want
    # the name while that lookup is out wait for it, in every model.
    name = "nxonce-%s.test" % model.replace(":", "-")
    n, workers = 2000, 4
    conc = workers if model.startswith("process") else 50
    lines = [f"http://{name}:{port_of(base)}/?{i}" for i in range(n)]
    res = sc(*concurrency_args(model, conc), "-4", "--dns-servers",
             dns.servers, input="\n".join(lines) + "\n", timeout=60)
    assert res.rc == 0 and res.out == f'{{"dns": {n}}}\n', res.err
    assert all("NXDOMAIN" in r["detail"] and r["attempts"] == 1
               for r in res.records), res.records[:2]
    # One query per cache, and one more per 5 s the run took (a slow build).
    most = caches(model, workers) * (1 + int(res.elapsed // 5))
    assert 1 <= queries_for(dns, name) <= most, res.elapsed


def test_refused_name_is_remembered(sc, model, base, dns):
    # dnsmasq refuses names outside its zone: a server failure, retried
    # like a timeout, and once as many lookups in a row as a check tries
    # (--retries 1: two) have failed, the run stops asking for 30 s.
    name = "refused-%s.example" % model.replace(":", "-")
    n, workers = 300, 4
    conc = workers if model.startswith("process") else 20
    lines = [f"http://{name}:{port_of(base)}/?{i}" for i in range(n)]
    res = sc(*concurrency_args(model, conc), "-4", "--dns-servers",
             dns.servers, input="\n".join(lines) + "\n", timeout=60)
    assert res.rc == 0 and res.out == f'{{"dns": {n}}}\n', res.err
    details = [r["detail"] for r in res.records]
    assert all("refused" in d for d in details), details[:2]
    assert sum("an earlier lookup" in d for d in details) >= n - conc
    # Two lookups per cache; c-ares tries a refused query again, as often as
    # fit in the limit (four at the default -t 10).
    assert queries_for(dns, name) <= 2 * 4 * caches(model, workers)


def test_dead_dns_costs_one_timeout_not_one_per_line(sc, model, base):
    # 50 checks of a name whose DNS server never answers, at -t 1 (also the
    # lookup's limit) and the default one retry: the first checks wait out
    # their two lookups (together: they share them), then the name is
    # remembered as failing and the other checks fail at once. Without
    # that memory: 50 x 2 timeouts, spread over the checks in flight.
    n, conc = 50, 5
    if model.startswith("serial"):
        conc = 1
    with SilentServer() as dead:
        lines = [f"http://dead.test:{port_of(base)}/?{i}" for i in range(n)]
        res = sc(*concurrency_args(model, conc), "-t", "1", "-4",
                 "--dns-servers", dead.servers, input="\n".join(lines) + "\n",
                 timeout=50)
        time.sleep(0.1)
        received = dead.received
    assert res.rc == 0 and res.out == f'{{"dns": {n}}}\n', res.err
    assert res.elapsed < 10, res.elapsed
    details = [r["detail"] for r in res.records]
    # About 1000 ms: a lookup is cut at what is left of its try, which a
    # busy machine may have shortened by a few milliseconds.
    assert all(re.search(r"dead\.test: DNS lookup timed out after "
                         r"(9[5-9]\d|10\d\d) ms", d)
               for d in details), details[:2]
    # The checks after the first ones fail at their first try.
    at_once = [r for r in res.records
               if "an earlier lookup" in r["detail"] and r["attempts"] == 1]
    assert len(at_once) >= n - conc, details
    # Two lookups of up to three tries each, per cache.
    assert 1 <= received <= 6 * caches(model, conc), received
