#!/usr/bin/env python3
"""N concurrent FHIR clients, each running the same short session on its own keep-alive
connection: create a Patient, read it, search it by name, update it, create an Observation
for it, search observations by subject, read the history, delete both. Prints one line
"N SECONDS" with the wall time until all N clients finished, and exits 1 on a wrong answer.

    fhir_clients.py --base http://127.0.0.1:PORT[/PATH] --clients N [--sessions K]
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def session(conn, tag, prefix=""):
    def call(method, path, body=None, expect=200):
        path = prefix + path
        headers = {"Accept": "application/fhir+json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/fhir+json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        # A DELETE answers 204 (the example server) or 200 with an OperationOutcome (HAPI).
        if resp.status != expect and not (method == "DELETE" and resp.status in (200, 204)):
            raise RuntimeError(f"{method} {path}: {resp.status}, expected {expect}")
        return json.loads(payload) if payload else None

    family = f"Bench{tag}"
    p = call("POST", "/Patient", {"resourceType": "Patient", "name": [{"family": family}]}, 201)
    pid = p["id"]
    call("GET", f"/Patient/{pid}")
    found = call("GET", "/Patient?name=" + urllib.parse.quote(family) + "&_id=" + pid)
    total = found.get("total", len(found.get("entry", [])))
    if total != 1:
        raise RuntimeError(f"search for {family} found {total}")
    p["gender"] = "unknown"
    call("PUT", f"/Patient/{pid}", p)
    o = call("POST", "/Observation", {"resourceType": "Observation", "status": "final",
                                      "code": {"text": "bench"},
                                      "subject": {"reference": f"Patient/{pid}"}}, 201)
    call("GET", f"/Observation?subject=Patient/{pid}")
    call("GET", f"/Patient/{pid}/_history")
    call("DELETE", f"/Observation/{o['id']}", expect=204)
    call("DELETE", f"/Patient/{pid}", expect=204)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--clients", type=int, required=True)
    ap.add_argument("--sessions", type=int, default=5, help="sessions per client")
    args = ap.parse_args()
    url = urllib.parse.urlsplit(args.base)
    errors = []
    start_gate = threading.Barrier(args.clients + 1)

    def client(i):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            start_gate.wait()
            for k in range(args.sessions):
                session(conn, f"c{i}s{k}", url.path.rstrip("/"))
        except Exception as e:  # reported below: the run is invalid
            errors.append(f"client {i}: {e}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    if errors:
        print("\n".join(errors[:5]), file=sys.stderr)
        return 1
    print(f"{args.clients} {elapsed:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
