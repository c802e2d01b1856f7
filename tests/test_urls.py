"""Lines that are URLs of an unusual kind: lines that name a scheme other
than http(s) without "//" (refused without the network).

Only loopback is contacted: every other host named is in the reserved
.invalid domain."""

import pytest

from conftest import assert_record_shape, tally_text

UNSUPPORTED = "unsupported scheme (only http and https are checked)"


def port_of(base):
    return base.rsplit(":", 1)[1]


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
