"""HTTPS against `sitecheck serve --tls`: certificate verification (a test
CA and leaves signed by it: valid, expired, wrong host name; a self-signed
leaf), -k and --cacert, TLS against a plain port and plain HTTP against a
TLS port, redirects, endless bodies and hangs over TLS, in every model;
plus the listener's own contract (banner order, bad files, closing what
is not TLS).

The certificates are made at test time with the openssl command into a
session temporary directory; the expired one is signed with `openssl ca
-startdate/-enddate`, since openssl 3.0's x509 cannot backdate."""

import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.parse

import pytest

from conftest import (BIN, check_one, concurrency_args, ipv6_loopback_available,
                      tally_text)

OPENSSL_TIMEOUT = 30

CA_CONFIG = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca ]
default_ca = test_ca
[ test_ca ]
database = {d}/index.txt
new_certs_dir = {d}/issued
serial = {d}/serial
certificate = {d}/ca.pem
private_key = {d}/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leaf_local ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
[ leaf_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
"""

EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]


def _openssl(*args, cwd):
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True,
                          timeout=OPENSSL_TIMEOUT)
    assert proc.returncode == 0, \
        f"openssl {' '.join(args)}: {proc.stderr.decode(errors='replace')}"


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """Directory with ca.pem and, each with NAME.pem + NAME.key: valid
    (127.0.0.1, ::1, localhost), expired (valid names, 2020-01-01 to
    2020-01-02), wrong (only wrong.example), selfsigned (127.0.0.1, not
    signed by the CA)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("pki")
    (d / "issued").mkdir()
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    cnf = d / "ca.cnf"
    cnf.write_text(CA_CONFIG.format(d=d))
    _openssl("req", "-x509", "-config", str(cnf), "-extensions", "v3_ca",
             *EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
             "-subj", "/CN=sitecheck test CA", cwd=d)
    signed = {"valid": ("leaf_local", ["-days", "30"]),
              "expired": ("leaf_local", ["-startdate", "20200101000000Z",
                                         "-enddate", "20200102000000Z"]),
              "wrong": ("leaf_wrong", ["-days", "30"])}
    for name, (ext, dates) in signed.items():
        _openssl("req", "-new", "-config", str(cnf), *EC_KEY,
                 "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name} leaf", cwd=d)
        _openssl("ca", "-batch", "-notext", "-config", str(cnf),
                 "-extensions", ext, *dates, "-in", f"{name}.csr",
                 "-out", f"{name}.pem", cwd=d)
    _openssl("req", "-x509", "-config", str(cnf), "-extensions", "leaf_local",
             *EC_KEY, "-keyout", "selfsigned.key", "-out", "selfsigned.pem",
             "-days", "30", "-subj", "/CN=127.0.0.1", cwd=d)
    return d


LEAVES = ("valid", "expired", "wrong", "selfsigned")


@pytest.fixture(scope="session")
def web(pki, serve_with):
    """One `sitecheck serve`: a plain listener and a TLS listener per leaf
    (plus the valid leaf on [::1] where IPv6 works). A dict: "plain" ->
    http://127.0.0.1:P, leaf -> https://127.0.0.1:P, "valid6" ->
    https://[::1]:P or None, "args" -> the serve arguments."""
    tls = {name: f"{pki / name}.pem,{pki / name}.key" for name in LEAVES}
    # A --tls first, to check that plain listeners are still printed first.
    args = ["--tls", f"127.0.0.1:0,{tls['valid']}",
            "--listen", "127.0.0.1:0"]
    for name in LEAVES[1:]:
        args += ["--tls", f"127.0.0.1:0,{tls[name]}"]
    v6 = ipv6_loopback_available()
    if v6:
        args += ["--tls", f"[::1]:0,{tls['valid']}"]
    urls = serve_with(*args).urls
    web = {"args": args, "urls": urls, "plain": urls[0],
           "valid6": urls[5] if v6 else None}
    web.update(zip(LEAVES, urls[1:5]))
    return web


@pytest.fixture
def cacert(pki):
    return ["--cacert", str(pki / "ca.pem")]


def failed(rec, cls):
    """rec is the failure cls, without a status, with a detail."""
    return (rec["error"] == cls and rec["status"] is None
            and isinstance(rec["detail"], str) and rec["detail"].strip())


def ok(rec, status=200):
    return rec["status"] == status and rec["error"] is None


# ------------------------------------------------------ the listeners


def test_banner_lists_plain_then_tls_in_order(web):
    urls = web["urls"]
    assert urls[0].startswith("http://127.0.0.1:"), urls
    for u in urls[1:5]:
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", u), urls
    if web["valid6"]:
        assert re.fullmatch(r"https://\[::1\]:\d+", web["valid6"]), urls
    assert len(set(urls)) == len(urls), urls


@pytest.mark.parametrize("case", ["no-cert-file", "no-key-file", "cert-garbage",
                                  "key-mismatch", "spec-without-key",
                                  "spec-bad-addr"])
def test_bad_tls_arguments_exit_2_with_one_line(pki, tmp_path, case):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n")
    valid, key = f"{pki}/valid.pem", f"{pki}/valid.key"
    spec = {"no-cert-file": f"127.0.0.1:0,{tmp_path}/none.pem,{key}",
            "no-key-file": f"127.0.0.1:0,{valid},{tmp_path}/none.key",
            "cert-garbage": f"127.0.0.1:0,{garbage},{key}",
            "key-mismatch": f"127.0.0.1:0,{valid},{pki}/wrong.key",
            "spec-without-key": f"127.0.0.1:0,{valid}",
            "spec-bad-addr": f"localhost:0,{valid},{key}"}[case]
    proc = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0",
                           "--tls", spec], capture_output=True, timeout=10)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, (proc.returncode, err)
    assert proc.stdout == b"", "no listener may be announced"
    assert err.startswith("sitecheck serve: ") and err.count("\n") == 1, err


def _read_until_closed(sock, limit):
    """Everything sock receives until the peer closes; fails after limit s."""
    sock.settimeout(limit)
    data = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    pytest.fail(f"connection still open after {limit} s; got {data[:80]!r}")


def _host_port(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def test_plain_http_to_a_tls_port_is_closed(web):
    with socket.create_connection(_host_port(web["valid"]), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = _read_until_closed(s, 3)
    assert b"HTTP/" not in data, data


@pytest.mark.parametrize("junk", [b"\x16\x03\x01\x00\x05hello",
                                  bytes(range(256)) * 2],
                         ids=["bad-client-hello", "binary-junk"])
def test_failed_handshake_is_closed(web, junk):
    with socket.create_connection(_host_port(web["valid"]), timeout=5) as s:
        s.sendall(junk)
        data = _read_until_closed(s, 3)
    assert b"HTTP/" not in data, data


def test_served_over_tls_with_keep_alive(web, pki):
    """Python's own TLS client: a verified handshake, then two requests on
    one connection, both answered."""
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    with socket.create_connection(_host_port(web["valid"]), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /status/404 HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            data = _read_until_closed(s, 5)
    assert data.startswith(b"HTTP/1.1 201 Created\r\n"), data[:100]
    assert b"HTTP/1.1 404 Not Found\r\n" in data, data


# ------------------------------------------- certificate verification


def test_valid_certificate_with_cacert(sc, web, cacert):
    rec, _ = check_one(sc, web["valid"] + "/status/203", *cacert)
    assert ok(rec, 203), rec
    assert rec["ip"] == "127.0.0.1", rec
    assert rec["final_url"] == web["valid"] + "/status/203", rec


def test_valid_certificate_by_host_name(sc, web, cacert):
    port = _host_port(web["valid"])[1]
    rec, _ = check_one(sc, f"https://localhost:{port}/", *cacert,
                       "--resolve", f"localhost:{port}:127.0.0.1")
    assert ok(rec), rec


def test_valid_certificate_over_ipv6(sc, web, cacert):
    if not web["valid6"]:
        pytest.skip("IPv6 loopback unavailable")
    rec, _ = check_one(sc, web["valid6"] + "/", *cacert)
    assert ok(rec), rec
    assert rec["ip"] == "::1", rec


def test_valid_certificate_without_cacert_is_tls(sc, web):
    rec, res = check_one(sc, web["valid"] + "/", "-t", "5")
    assert failed(rec, "tls"), rec
    assert res.elapsed < 4, f"took {res.elapsed:.2f} s"


# What the detail must mention, so each fails for its own reason.
WHY = {"expired": r"expired", "wrong": r"name", "selfsigned": r"self.signed"}


@pytest.mark.parametrize("leaf", ["expired", "wrong", "selfsigned"])
def test_bad_certificate_is_tls(sc, web, cacert, leaf):
    rec, res = check_one(sc, web[leaf] + "/", "-t", "5", *cacert)
    assert failed(rec, "tls"), rec
    assert re.search(WHY[leaf], rec["detail"], re.I), rec
    assert res.elapsed < 4, f"took {res.elapsed:.2f} s"


def test_self_signed_without_cacert_is_tls(sc, web):
    rec, _ = check_one(sc, web["selfsigned"] + "/", "-t", "5")
    assert failed(rec, "tls"), rec


@pytest.mark.parametrize("leaf", ["expired", "wrong", "selfsigned"])
@pytest.mark.parametrize("flag", ["-k", "--insecure"])
def test_bad_certificate_with_insecure_is_200(sc, web, leaf, flag):
    rec, _ = check_one(sc, web[leaf] + "/", flag)
    assert ok(rec), rec


def test_https_to_a_plain_port_is_tls(sc, web):
    url = "https://" + web["plain"].split("://", 1)[1] + "/"
    rec, res = check_one(sc, url, "-t", "5")
    assert failed(rec, "tls"), rec
    assert res.elapsed < 4, f"took {res.elapsed:.2f} s"


def test_http_to_a_tls_port_is_protocol(sc, web):
    url = "http://" + web["valid"].split("://", 1)[1] + "/"
    rec, res = check_one(sc, url, "-t", "5")
    assert failed(rec, "protocol"), rec
    assert res.elapsed < 4, f"took {res.elapsed:.2f} s"


# ---------------------------------------------- behaviours over HTTPS


def test_https_redirects(sc, web, cacert):
    rec, _ = check_one(sc, web["valid"] + "/redirect/2", *cacert)
    assert ok(rec), rec
    assert rec["redirects"] == 2, rec
    assert rec["final_url"] == web["valid"] + "/redirect/0", rec


def test_http_redirect_to_https(sc, web, cacert):
    target = web["valid"] + "/status/201"
    url = f"{web['plain']}/redirect-to?url={urllib.parse.quote(target)}"
    rec, _ = check_one(sc, url, *cacert)
    assert ok(rec, 201), rec
    assert rec["redirects"] == 1 and rec["final_url"] == target, rec


def test_https_endless_body_is_not_downloaded(sc, web, cacert):
    rec, res = check_one(sc, web["valid"] + "/bytes/10000000000", "-t", "10",
                         *cacert)
    assert ok(rec), rec
    assert res.elapsed < 2, f"read the body? {res.elapsed:.2f} s"


def test_https_hang_times_out(sc, web, cacert):
    rec, res = check_one(sc, web["valid"] + "/hang", "-t", "1", *cacert)
    assert failed(rec, "timeout"), rec
    assert 0.9 <= res.elapsed < 5, f"took {res.elapsed:.2f} s"


# path, extra args, accepted tally keys, max wall seconds
HOSTILE_OVER_TLS = [
    ("/drip", ["-t", "1"], {"timeout"}, 5),
    ("/headers-flood", ["-t", "2"], {"timeout", "protocol"}, 7),
    ("/reset", [], {"protocol"}, 4),
    ("/empty", [], {"protocol"}, 4),
    ("/garbage", [], {"protocol"}, 4),
    ("/truncated", ["-t", "2"], {"protocol"}, 6),
    ("/slowbody", ["-t", "5"], {"200"}, 2.5),
    ("/badbody", [], {"200"}, 3),
    ("/shortbody", [], {"200"}, 3),
    ("/badchunk", [], {"200"}, 3),
    ("/info100/status/404", [], {"404"}, 3),
    ("/http10", [], {"200"}, 3),
]


@pytest.mark.parametrize("path,args,keys,limit", HOSTILE_OVER_TLS,
                         ids=[h[0] for h in HOSTILE_OVER_TLS])
def test_hostile_behaviour_over_https(sc, web, cacert, path, args, keys,
                                      limit):
    rec, res = check_one(sc, web["valid"] + path, *args, *cacert)
    key = rec["error"] or str(rec["status"])
    assert key in keys, rec
    if rec["error"]:
        assert failed(rec, rec["error"]), rec
    assert res.elapsed < limit, f"took {res.elapsed:.2f} s (limit {limit})"


def test_many_https_checks_at_once(sc, web, cacert, model):
    """A few hundred handshakes in one run, mixed with failures."""
    n = 100 if model.startswith("serial") else 300
    cases = []
    for i in range(n):
        kind = i % 5
        if kind == 3:
            cases.append((f"{web['expired']}/?{i}", "tls"))
        elif kind == 4:
            cases.append((f"{web['valid']}/status/404?{i}", "404"))
        else:
            cases.append((f"{web['valid']}/bytes/100000?{i}", "200"))
    conc = 8 if model.startswith("process") else 200
    res = sc("-t", "10", *cacert, *concurrency_args(model, conc),
             input="".join(u + "\n" for u, _ in cases), timeout=60)
    assert res.rc == 0, res.err
    counts = {}
    for _, key in cases:
        counts[key] = counts.get(key, 0) + 1
    assert res.out == tally_text(counts), (res.out, counts)
    got = {r["line"]: r for r in res.records}
    for line, (url, key) in enumerate(cases, 1):
        rec = got[line]
        assert rec["url"] == url and (rec["error"] or str(rec["status"])) \
            == key, rec
