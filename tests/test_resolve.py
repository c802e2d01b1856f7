"""--resolve at scale: thousands of entries cost a check no more than a
few, and each transfer, redirect hops included, reaches the address its own
host:port is given. Two listeners of the simulated web share one port on
127.0.0.2 and 127.0.0.3, so the address a record reports says which entry
was used."""

import socket

import pytest

from conftest import SLOW_FACTOR


@pytest.fixture(scope="module")
def port(serve_with):
    """A port the simulated web listens on at 127.0.0.2 and 127.0.0.3."""
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        free = s.getsockname()[1]
    serve_with("--listen", f"127.0.0.2:{free}", "--listen",
               f"127.0.0.3:{free}")
    return free


def address_of(i):
    return f"127.0.0.{2 + i % 2}"


def test_twenty_thousand_entries_cost_little(sc, port):
    # 20,000 entries on the command line (about 1 MB of arguments, within
    # ARG_MAX); 300 URLs, each on a host of its own among them. Handing
    # libcurl every entry for every transfer took several seconds per 100
    # URLs.
    args = []
    for i in range(20000):
        args += ["--resolve", f"h{i}.test:{port}:{address_of(i)}"]
    hosts = [k * 66 + 7 for k in range(300)]
    listing = "".join(f"http://h{i}.test:{port}/?{i}\n" for i in hosts)
    res = sc(*args, input=listing, timeout=60)
    assert res.rc == 0, res.err
    assert len(res.records) == 300
    for rec in res.records:
        i = int(rec["url"].rsplit("?", 1)[1])
        assert rec["status"] == 200, rec
        assert rec["ip"] == address_of(i), rec
    assert res.elapsed < 10 * SLOW_FACTOR, f"took {res.elapsed:.1f} s"


@pytest.mark.parametrize("resolver", ["cares", "curl"])
def test_redirect_hop_reaches_its_own_entry(sc, port, resolver):
    # a.test redirects to b.test, which only its own entry makes
    # reachable (at another address); libcurl follows the redirect.
    url = (f"http://a.test:{port}/redirect-to"
           f"?url=http://b.test:{port}/redirect/1")
    res = sc("--resolver", resolver,
             "--resolve", f"a.test:{port}:127.0.0.2",
             "--resolve", f"b.test:{port}:127.0.0.3",
             "--resolve", f"c.test:{port}:127.0.0.2",
             input=url + "\n")
    assert res.rc == 0, res.err
    [rec] = res.records
    assert rec["status"] == 200, rec
    assert rec["final_url"] == f"http://b.test:{port}/redirect/0", rec
    assert rec["redirects"] == 2 and rec["ip"] == "127.0.0.3", rec
    assert rec["attempts"] == 1, rec
    assert [h["status"] for h in rec["chain"]] == [302, 302, 200], rec
