"""Lines that are URLs of an unusual kind: internationalised host names
(looked up, checked and keyed in their punycode form) and lines that name
a scheme other than http(s) without "//" (refused without the network).

Only loopback is contacted: names under .localhost are loopback without a
lookup, names under .test are given an address with --resolve, and every
other host named is in the reserved .invalid domain."""

import pytest

from conftest import assert_record_shape, tally_text

UNSUPPORTED = "unsupported scheme (only http and https are checked)"


def port_of(base):
    return base.rsplit(":", 1)[1]


@pytest.mark.parametrize("resolver", ["cares", "curl"])
def test_idn_host_reaches_the_simulated_web(sc, base, resolver):
    port = port_of(base)
    lines = [f"http://bücher.test:{port}/status/201",
             f"http://BÜCHER.test:{port}/",
             f"http://b%C3%BCcher.test:{port}/status/202"]
    if resolver == "cares":  # libcurl's resolver has its own .localhost
        lines.append(f"http://bücher.localhost:{port}/status/203")
    res = sc("--resolver", resolver,
             "--resolve", f"xn--bcher-kva.test:{port}:127.0.0.1",
             input="".join(line + "\n" for line in lines))
    assert res.rc == 0, res.err
    by_line = {r["line"]: r for r in res.records}
    assert len(by_line) == len(lines), res.records
    want = [201, 200, 202, 203]
    for i, line in enumerate(lines, 1):
        rec = by_line[i]
        assert_record_shape(rec)
        assert rec["url"] == line, rec  # the line as read, not punycode
        assert rec["status"] == want[i - 1], rec
        assert rec["ip"] == "127.0.0.1", rec
        assert "xn--bcher-kva." in rec["final_url"], rec
        assert "ü" not in rec["final_url"], rec
    assert res.out == tally_text({str(s): 1 for s in want[:len(lines)]})


def test_idn_host_is_one_host_for_the_politeness_limits(sc, base):
    """The Unicode and the punycode spelling are one host: with
    --per-host 1 their two slow checks run one after the other."""
    port = port_of(base)
    lines = [f"http://bücher.localhost:{port}/delay/500",
             f"http://xn--bcher-kva.localhost:{port}/delay/500"]
    res = sc("--per-host", "1", input="".join(line + "\n" for line in lines))
    assert res.rc == 0, res.err
    assert res.out == tally_text({"200": 2})
    assert res.elapsed >= 1.0, "the two spellings ran at once"


def test_invalid_idn_host_is_invalid_url_without_the_network(sc):
    res = sc(input=b"http://a\xff.invalid/\n")
    assert res.rc == 0, res.err
    assert res.out == tally_text({"invalid_url": 1})
    assert "internationalised" in res.records[0]["detail"]


def test_lines_naming_other_schemes_are_refused(sc):
    lines = ["mailto:foo@mail.invalid", "javascript:void(0)",
             "tel:+1-555-0100", "data:text/plain,hi",
             "urn:isbn:0451450523", "MAILTO:x@y.invalid"]
    res = sc(input="".join(line + "\n" for line in lines))
    assert res.rc == 0, res.err
    assert res.out == tally_text({"invalid_url": len(lines)})
    for rec in res.records:
        assert_record_shape(rec)
        assert rec["detail"] == UNSUPPORTED, rec
        assert rec["attempts"] == 0, rec  # decided without the network


def test_host_and_port_lines_are_https(sc, base):
    """HOST:PORT is not a scheme: it is checked as https://HOST:PORT, here
    a plain-HTTP port, so the TLS handshake is what fails."""
    port = port_of(base)
    lines = [f"localhost:{port}", f"127.0.0.1:{port}/x?y", "x.invalid:8080/x"]
    res = sc(input="".join(line + "\n" for line in lines))
    assert res.rc == 0, res.err
    by_line = {r["line"]: r for r in res.records}
    assert by_line[1]["error"] == "tls", by_line[1]
    assert by_line[2]["error"] == "tls", by_line[2]
    assert by_line[3]["error"] == "dns", by_line[3]
    assert ".invalid" in by_line[3]["detail"], by_line[3]
