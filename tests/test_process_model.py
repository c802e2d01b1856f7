"""The process model: records as whole as the other models give them."""

import http.server
import subprocess

import pytest

from conftest import (BIN, KNOWN_MODELS, model_args, parse_jsonl,
                      serve_in_thread, with_defaults)

LONG_PATH = "/p/" + "a" * 20000  # a 20 KB URL


class _LongHandler(http.server.BaseHTTPRequestHandler):
    """/long redirects to a 20 KB path, which answers 200."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.paths.append(self.path)
        if self.path == "/long":
            self.send_response(302)
            self.send_header("Location", LONG_PATH)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def long_web():
    httpd = serve_in_thread(_LongHandler)
    httpd.paths = []
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def run_model(model, args, stdin):
    argv = [BIN, *with_defaults([*model_args(model), "-o", "-", *args])]
    p = subprocess.run(argv, input=stdin.encode(), capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return parse_jsonl(p.stdout)


def test_long_urls_and_chains_are_whole_in_every_model(base, long_web):
    # A 20 KB final URL (more than an input line may hold, so reached by a
    # redirect), and a chain of 100 responses of 2 KB URLs: every model
    # must give the same strings, whole.
    port = long_web.server_address[1]
    web = f"http://127.0.0.1:{port}"
    tail = "delay/0/" * 250
    lines = [f"{web}/long", f"{base}/redirect/99/{tail}"]
    fields = ("url", "status", "error", "final_url", "redirects", "chain")
    seen = {}
    for model in KNOWN_MODELS:
        recs = run_model(model, ["--max-redirects", "100"],
                         "\n".join(lines) + "\n")
        recs.sort(key=lambda r: r["line"])
        seen[model] = [{f: r[f] for f in fields} for r in recs]
    long_final, chained = seen["event"]
    assert long_final["status"] == 200, long_final
    assert long_final["final_url"] == web + LONG_PATH
    assert long_final["redirects"] == 1
    assert chained["status"] == 200 and chained["redirects"] == 99, chained
    assert len(chained["chain"]) == 100
    assert chained["final_url"] == f"{base}/redirect/0/{tail}"
    for model in KNOWN_MODELS:
        assert seen[model] == seen["event"], model
    assert long_web.paths.count(LONG_PATH) == len(KNOWN_MODELS)
