"""A tiny FHIR REST client and check counter for the HAPI workloads (python3 standard library)."""

import http.client
import json
import sys
import threading
import urllib.parse

FHIR_JSON = "application/fhir+json"


class Client:
    """One keep-alive HTTP connection; each thread uses its own."""

    def __init__(self, base, timeout=60):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.prefix = url.path.rstrip("/")
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None, raw=None, accept=FHIR_JSON):
        """Returns (status, headers with lower-case names, parsed JSON or None, text)."""
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        else:
            data = None
        hdrs = {"Accept": accept}
        if data is not None:
            hdrs["Content-Type"] = FHIR_JSON
        hdrs.update(headers or {})
        if path.startswith("http://") or path.startswith("https://"):
            split = urllib.parse.urlsplit(path)
            path = split.path + ("?" + split.query if split.query else "")
        elif not path.startswith(self.prefix + "/") or path == "/":
            path = self.prefix + path
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # An idle keep-alive connection may have been closed: retry once on a new one.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        headers_out = {k.lower(): v for k, v in resp.getheaders()}
        parsed = None
        if text and "json" in headers_out.get("content-type", ""):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return resp.status, headers_out, parsed, text

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Checks:
    """Counts checks; prints each failure (bounded) with what was expected."""

    def __init__(self, name, max_printed=40):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.max_printed = max_printed
        self.lock = threading.Lock()

    def check(self, ok, what):
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failed += 1
                if self.failed <= self.max_printed:
                    print(f"FAIL {what}", file=sys.stderr, flush=True)
        return ok

    def expect_status(self, got, want, what, text=""):
        wanted = want if isinstance(want, (tuple, list, set)) else (want,)
        detail = "" if got in wanted else f": {text[:300]}"
        return self.check(got in wanted, f"{what}: HTTP {got}, expected {want}{detail}")

    def summary(self):
        print(f"{self.name}: {self.passed} checks passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def version_of(headers):
    """The version id from an ETag such as W/"3", or None."""
    etag = headers.get("etag", "")
    if etag.startswith('W/"') and etag.endswith('"'):
        return etag[3:-1]
    return None


def bundle_entries(bundle):
    return [e.get("resource", {}) for e in (bundle or {}).get("entry", []) if "resource" in e]


def next_link(bundle):
    for link in (bundle or {}).get("link", []):
        if link.get("relation") == "next":
            return link.get("url")
    return None
