#!/usr/bin/env python3
"""Workload driver for the vigil FHIR example server (python3 standard library only).

    workload.py --base http://127.0.0.1:PORT --fixtures DIR [--state FILE]
    workload.py --base http://127.0.0.1:PORT --verify-state FILE

The first form exercises the server with the HL7 R4 examples found under DIR (see
fetch-fixtures.sh): it creates every example (PUT when it has an id, POST otherwise), reads each
back and compares, searches (_id, Patient?name=, Observation?subject=/patient=), updates with
If-Match, reads old versions, deletes (then expects 410), runs transactions (one that must
succeed, two that must fail and leave nothing behind), checks the error responses and creates
resources from several threads at once. With --state it writes what the server must now hold.

The second form checks, e.g. after a restart, that the server still holds exactly that state.

--canonical is for servers that parse resources into a FHIR model (LinuxForHealth, HAPI): they
reject examples that are not valid R4 (400, counted and skipped) and store a canonical form
(empty arrays and objects dropped, a +00:00 offset written as Z); content is compared after the
same canonicalisation.

Every check that fails is printed; the exit status is 1 if any failed, 0 otherwise.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import unicodedata
import urllib.parse
import uuid

FHIR_JSON = "application/fhir+json"


class Client:
    """One keep-alive HTTP connection; each thread uses its own."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.prefix = url.path.rstrip("/")
        self.conn = None

    def request(self, method, path, body=None, headers=None, raw=None):
        """Returns (status, headers dict with lower-case names, parsed JSON body or None, raw text)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = {"Accept": FHIR_JSON}
        if data is not None:
            hdrs["Content-Type"] = FHIR_JSON
        hdrs.update(headers or {})
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, self.prefix + path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server may close an idle keep-alive connection; retry once on a new one.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        parsed = json.loads(text) if text else None
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed, text


class Checker:
    def __init__(self):
        self.passed = 0
        self.failures = []
        self.lock = threading.Lock()

    def check(self, ok, what):
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failures.append(what)
                print("FAIL:", what, file=sys.stderr)
        return ok


CANONICAL = False  # set by --canonical


def canonical(value):
    """What a FHIR model makes of a JSON value: no empty arrays or objects, UTC written as Z."""
    if isinstance(value, dict):
        out = {k: canonical(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ([], {})}
    if isinstance(value, list):
        return [v for v in (canonical(v) for v in value) if v not in ([], {})]
    if isinstance(value, str) and len(value) > 16 and value[10:11] == "T" and value.endswith("+00:00"):
        return value[:-6] + "Z"
    return value


def strip_server_fields(resource, drop_id=False):
    """The resource without what the server sets: meta.versionId, meta.lastUpdated (and id)."""
    out = canonical(dict(resource)) if CANONICAL else dict(resource)
    if drop_id:
        out.pop("id", None)
    meta = dict(out.get("meta", {}))
    meta.pop("versionId", None)
    meta.pop("lastUpdated", None)
    if meta:
        out["meta"] = meta
    else:
        out.pop("meta", None)
    return out


def fold(text):
    """FHIR string search: case- and accent-insensitive."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def name_strings(name):
    if isinstance(name, str):
        return [name]
    if isinstance(name, list):
        return [s for item in name for s in name_strings(item)]
    if isinstance(name, dict):
        return [s for part in ("text", "family", "given", "prefix", "suffix") for s in name_strings(name.get(part))]
    return []


def name_matches(resource, query):
    return any(fold(s).startswith(fold(query)) for s in name_strings(resource.get("name")))


def reference_of(element):
    """Type/id of a Reference (the last two path segments), or None."""
    if not isinstance(element, dict) or not isinstance(element.get("reference"), str):
        return None
    parts = element["reference"].split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else None


class Workload:
    def __init__(self, base, checker):
        self.base = base.rstrip("/")
        self.client = Client(base)
        self.c = checker
        self.expected = {}  # "Type/id" -> resource as the client sent it (no server fields)
        self.versions = {}  # "Type/id" -> current version number
        self.deleted = set()  # "Type/id"
        self.counts = {}
        self.rejected = []  # fixtures a --canonical server refused as invalid R4

    def call(self, kind, method, path, body=None, headers=None, raw=None):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return self.client.request(method, path, body, headers, raw)

    # -- checks shared by many steps ---------------------------------------------------

    def check_fhir_response(self, what, status, headers, body, expected_status):
        ok = self.c.check(status == expected_status, f"{what}: status {status}, expected {expected_status}: "
                          f"{json.dumps(body)[:300] if body else ''}")
        if body is not None:
            self.c.check(headers.get("content-type", "").startswith(FHIR_JSON),
                         f"{what}: Content-Type {headers.get('content-type')}")
        return ok

    def check_outcome(self, what, status, headers, body, expected_status):
        self.check_fhir_response(what, status, headers, body, expected_status)
        self.c.check(isinstance(body, dict) and body.get("resourceType") == "OperationOutcome"
                     and body.get("issue"), f"{what}: body is not an OperationOutcome: {body}")

    def check_version_headers(self, what, key, headers, body, version):
        self.c.check(headers.get("etag") == f'W/"{version}"', f"{what}: ETag {headers.get('etag')}, expected W/\"{version}\"")
        meta = (body or {}).get("meta", {})
        self.c.check(meta.get("versionId") == str(version), f"{what}: meta.versionId {meta.get('versionId')}")
        self.c.check(isinstance(meta.get("lastUpdated"), str), f"{what}: no meta.lastUpdated")
        if "location" in headers:
            self.c.check(headers["location"] == f"{self.base}/{key}/_history/{version}",
                         f"{what}: Location {headers['location']}")

    def check_content(self, what, key, body):
        want = self.expected[key]
        got = strip_server_fields(body or {})
        self.c.check(got == want, f"{what}: content differs from what was stored"
                     f" (keys sent {sorted(want)}, got {sorted(got)})")

    # -- phases -----------------------------------------------------------------------------

    def metadata(self):
        status, headers, body, _ = self.call("metadata", "GET", "/metadata")
        self.check_fhir_response("GET /metadata", status, headers, body, 200)
        body = body or {}
        self.c.check(body.get("resourceType") == "CapabilityStatement" and body.get("fhirVersion") == "4.0.1",
                     "metadata: not an R4 CapabilityStatement")
        types = {r.get("type") for rest in body.get("rest", []) for r in rest.get("resource", [])}
        self.c.check({"Patient", "Observation", "Encounter"} <= types, f"metadata lists {types}")

    def create_fixtures(self, fixtures):
        for path, resource in fixtures:
            rtype = resource["resourceType"]
            if "id" in resource:
                # PUT creates (201) or, for an id seen before, updates (200): ask the server first.
                key = f"{rtype}/{resource['id']}"
                status, _, history, _ = self.call("history", "GET", f"/{key}/_history")
                previous = history.get("total", 0) if status == 200 else 0
                status, _, current, _ = self.call("read", "GET", "/" + key)
                existed = status == 200
                status, headers, body, _ = self.call("update", "PUT", "/" + key, resource)
                what = f"PUT {key} ({path})"
                if self.rejected_as_invalid(path, status, body):
                    continue
                if not self.check_fhir_response(what, status, headers, body, 200 if existed else 201):
                    continue
                version = previous + 1
            else:
                status, headers, body, _ = self.call("create", "POST", "/" + rtype, resource)
                what = f"POST {rtype} ({path})"
                if self.rejected_as_invalid(path, status, body):
                    continue
                if not self.check_fhir_response(what, status, headers, body, 201):
                    continue
                key = f"{rtype}/{body.get('id')}"
                version = 1
                self.c.check(key not in self.expected, f"{what}: id {key} was handed out twice")
                self.c.check("location" in headers, f"{what}: no Location header")
            self.expected[key] = strip_server_fields(dict(resource, id=key.split("/", 1)[1]))
            self.versions[key] = version
            self.deleted.discard(key)
            self.check_version_headers(what, key, headers, body, version)
            self.check_content(what, key, body)

    def rejected_as_invalid(self, path, status, body):
        """--canonical: an example the server refuses (400 with an OperationOutcome) is skipped."""
        if not CANONICAL or status != 400 or not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
            return False
        why = "; ".join(i.get("diagnostics", "") for i in body.get("issue", []))
        self.rejected.append(path)
        print(f"rejected as invalid R4: {path}: {why[:200]}")
        return True

    def read_all(self, label="read"):
        for key in sorted(self.expected):
            status, headers, body, _ = self.call(label, "GET", "/" + key)
            if key in self.deleted:
                self.check_outcome(f"GET {key} (deleted)", status, headers, body, 410)
                continue
            if self.check_fhir_response(f"GET {key}", status, headers, body, 200):
                self.check_content(f"GET {key}", key, body)
                self.check_version_headers(f"GET {key}", key, headers, body, self.versions[key])

    def live(self, rtype):
        """Resources that should exist now, of one type or (rtype "") of all types."""
        return {k: v for k, v in self.expected.items()
                if k.startswith(rtype + "/" if rtype else "") and k not in self.deleted}

    def search(self, query):
        status, headers, body, _ = self.call("search", "GET", query)
        self.check_fhir_response(f"GET {query}", status, headers, body, 200)
        body = body or {}
        self.c.check(body.get("resourceType") == "Bundle" and body.get("type") == "searchset",
                     f"GET {query}: not a searchset Bundle")
        entries = body.get("entry", [])
        self.c.check(body.get("total") == len(entries), f"GET {query}: total {body.get('total')} != {len(entries)} entries")
        found = {}
        for entry in entries:
            resource = entry.get("resource", {})
            key = f"{resource.get('resourceType')}/{resource.get('id')}"
            self.c.check(entry.get("fullUrl") == f"{self.base}/{key}", f"GET {query}: fullUrl {entry.get('fullUrl')}")
            found[key] = resource
        return found

    def searches(self):
        for key in sorted(self.live("")):
            rtype, rid = key.split("/", 1)
            found = self.search(f"/{rtype}?_id={urllib.parse.quote(rid)}")
            self.c.check(list(found) == [key], f"_id search for {key} found {list(found)}")
        patients = self.live("Patient")
        queries = set()
        for resource in patients.values():
            for s in name_strings(resource.get("name")):
                if len(s) >= 3:
                    queries.update({s[:3].lower(), s[:3].upper(), s})
        queries.add("zz" + uuid.uuid4().hex)  # matches nothing
        for q in sorted(queries):
            found = self.search("/Patient?name=" + urllib.parse.quote(q))
            want = {k for k, r in patients.items() if name_matches(r, q)}
            self.c.check(want <= set(found), f"Patient?name={q}: missing {want - set(found)}")
            wrong = [k for k, r in found.items() if not name_matches(r, q)]
            self.c.check(not wrong, f"Patient?name={q}: {wrong} do not match")
        observations = self.live("Observation")
        subjects = {reference_of(r.get("subject")) for r in observations.values()} - {None}
        for subject in sorted(subjects):
            want = {k for k, r in observations.items() if reference_of(r.get("subject")) == subject}
            for param in ("subject", "patient") if subject.startswith("Patient/") else ("subject",):
                found = self.search(f"/Observation?{param}={urllib.parse.quote(subject)}")
                self.c.check(want <= set(found), f"Observation?{param}={subject}: missing {want - set(found)}")
                wrong = [k for k, r in found.items() if reference_of(r.get("subject")) != subject]
                self.c.check(not wrong, f"Observation?{param}={subject}: {wrong} have another subject")
            bare = subject.split("/", 1)[1]
            found = self.search(f"/Observation?subject={urllib.parse.quote(bare)}")
            self.c.check(want <= set(found), f"Observation?subject={bare}: missing {want - set(found)}")

    def updates(self, every=7):
        for key in sorted(self.live(""))[::every]:
            version = self.versions[key]
            changed = dict(self.expected[key], language="nl")
            status, headers, body, _ = self.call("update", "PUT", "/" + key, changed, {"If-Match": f'W/"{version - 1 or 99}"'})
            self.check_outcome(f"PUT {key} with a stale If-Match", status, headers, body, 412)
            status, headers, body, _ = self.call("update", "PUT", "/" + key, changed, {"If-Match": f'W/"{version}"'})
            if not self.check_fhir_response(f"PUT {key} (update)", status, headers, body, 200):
                continue
            old = self.expected[key]
            self.expected[key] = changed
            self.versions[key] = version + 1
            self.check_version_headers(f"PUT {key}", key, headers, body, version + 1)
            self.check_content(f"PUT {key}", key, body)
            status, headers, body, _ = self.call("vread", "GET", f"/{key}/_history/{version}")
            if self.check_fhir_response(f"GET {key}/_history/{version}", status, headers, body, 200):
                self.c.check(strip_server_fields(body) == old, f"vread {key} v{version}: not the old content")
            status, headers, body, _ = self.call("vread", "GET", f"/{key}/_history/{version + 1}")
            if self.check_fhir_response(f"GET {key}/_history/{version + 1}", status, headers, body, 200):
                self.check_content(f"vread {key} v{version + 1}", key, body)
            status, headers, body, _ = self.call("history", "GET", f"/{key}/_history")
            if self.check_fhir_response(f"GET {key}/_history", status, headers, body, 200):
                self.c.check(body.get("type") == "history" and body.get("total") == version + 1,
                             f"history of {key}: total {body.get('total')}, expected {version + 1}")

    def deletes(self, every=9, offset=4):
        for key in sorted(self.live(""))[offset::every]:
            status, headers, body, _ = self.call("delete", "DELETE", "/" + key)
            self.c.check(status in (200, 204), f"DELETE {key}: status {status}")
            self.deleted.add(key)
            self.versions[key] += 1
            status, headers, body, _ = self.call("read", "GET", "/" + key)
            self.check_outcome(f"GET {key} after delete", status, headers, body, 410)
            status, headers, body, _ = self.call("vread", "GET", f"/{key}/_history/{self.versions[key] - 1}")
            self.check_fhir_response(f"GET old version of deleted {key}", status, headers, body, 200)
            rtype, rid = key.split("/", 1)
            found = self.search(f"/{rtype}?_id={rid}")
            self.c.check(not found, f"search finds deleted {key}")
            status, _, _, _ = self.call("delete", "DELETE", "/" + key)
            self.c.check(status in (200, 204), f"DELETE {key} again: status {status}")

    def transactions(self):
        family = "Tx" + uuid.uuid4().hex[:8]
        patient_urn, encounter_urn = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
        update_key = sorted(self.live("Patient"))[0]
        delete_key = sorted(self.live("Organization"))[0]
        updated = dict(self.expected[update_key], active=False)
        entries = [
            {"fullUrl": patient_urn, "resource": {"resourceType": "Patient", "name": [{"family": family}]},
             "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": encounter_urn, "resource": {"resourceType": "Encounter", "status": "finished",
                                                     "class": {"code": "AMB"}, "subject": {"reference": patient_urn}},
             "request": {"method": "POST", "url": "Encounter"}},
            {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "heart rate"},
                          "subject": {"reference": patient_urn}, "encounter": {"reference": encounter_urn},
                          "valueQuantity": {"value": 72, "unit": "/min"}},
             "request": {"method": "POST", "url": "Observation"}},
            {"resource": updated, "request": {"method": "PUT", "url": update_key}},
            {"request": {"method": "DELETE", "url": delete_key}},
            {"request": {"method": "GET", "url": "Patient?name=" + family}},
        ]
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        status, headers, body, _ = self.call("transaction", "POST", "/", bundle)
        if not self.check_fhir_response("transaction", status, headers, body, 200):
            return
        responses = [e.get("response", {}) for e in body.get("entry", [])]
        self.c.check(body.get("type") == "transaction-response" and len(responses) == len(entries),
                     "transaction: not a transaction-response with one entry per request")
        statuses = [r.get("status", "") for r in responses]
        self.c.check(statuses == ["201 Created"] * 3 + ["200 OK", "204 No Content", "200 OK"],
                     f"transaction statuses {statuses}")
        created = [r.get("location", "").split("/_history")[0] for r in responses[:3]]
        patient_key, encounter_key, observation_key = created
        status, _, observation, _ = self.call("read", "GET", "/" + observation_key)
        if self.c.check(status == 200, f"transaction: GET {observation_key}: {status}"):
            self.c.check(observation["subject"]["reference"] == patient_key
                         and observation["encounter"]["reference"] == encounter_key,
                         f"transaction: urn:uuid references not resolved: {observation.get('subject')}")
        found = self.search(f"/Observation?subject={patient_key}")
        self.c.check(list(found) == [observation_key], f"Observation?subject={patient_key} found {list(found)}")
        search_result = body["entry"][5].get("resource", {})
        self.c.check(search_result.get("total") == 1, "transaction: GET entry does not see the POSTed patient")
        for key in created:
            # What the server holds differs from what was sent (ids, rewritten references).
            _, _, resource, _ = self.call("read", "GET", "/" + key)
            self.expected[key] = strip_server_fields(resource)
            self.versions[key] = 1
        self.expected[update_key] = updated
        self.versions[update_key] += 1
        self.deleted.add(delete_key)
        self.versions[delete_key] += 1

        # All or nothing: a bad second entry, and a dangling urn:uuid, must leave nothing behind.
        bad_family = "Bad" + uuid.uuid4().hex[:8]
        good = {"resource": {"resourceType": "Patient", "name": [{"family": bad_family}]},
                "request": {"method": "POST", "url": "Patient"}}
        failing = [
            [good, {"resource": {"resourceType": "Observation", "status": "final"}, "request": {"method": "POST", "url": "Patient"}}],
            [good, {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                 "subject": {"reference": "urn:uuid:" + str(uuid.uuid4())}},
                    "request": {"method": "POST", "url": "Observation"}}],
            [good, {"request": {"method": "DELETE", "url": "Patient/does-not-exist-" + bad_family}}],
            [good, {"request": {"method": "PATCH", "url": "Patient/x"}}],
        ]
        for i, bad_entries in enumerate(failing):
            status, headers, body, _ = self.call("transaction", "POST", "/",
                                                 {"resourceType": "Bundle", "type": "transaction", "entry": bad_entries})
            self.check_outcome(f"failing transaction {i}", status, headers, body, 404 if i == 2 else 400)
        self.c.check(not self.search("/Patient?name=" + bad_family), "a failed transaction stored a resource")

    def errors(self):
        cases = [
            ("POST", "/Patient", None, b"{not json", {}, 400),
            ("POST", "/Patient", None, b'{"resourceType":"Patient"} trailing', {}, 400),
            ("POST", "/Patient", {"resourceType": "Observation"}, None, {}, 400),
            ("POST", "/Patient", {"name": []}, None, {}, 400),
            ("POST", "/Patient", None, b"[1, 2]", {}, 400),
            ("PUT", "/Patient/abc", {"resourceType": "Patient", "id": "other"}, None, {}, 400),
            ("PUT", "/Patient/abc", {"resourceType": "Patient"}, None, {}, 400),
            ("GET", "/Patient/no-such-id-" + uuid.uuid4().hex, None, None, {}, 404),
            ("GET", "/Patient/" + "x" * 65, None, None, {}, 400),
            ("GET", "/patient/example", None, None, {}, 400),
            ("GET", "/Patient1/example", None, None, {}, 400),
            ("GET", "/Patient?unknown-parameter=1", None, None, {}, 400),
            ("GET", "/Patient/example/_history/0", None, None, {}, 400),
            ("GET", "/Patient/example/_history/999", None, None, {}, 404),
            ("PATCH", "/Patient/example", None, b"[]", {}, 405),
            ("POST", "/Patient/example", {"resourceType": "Patient"}, None, {}, 405),
            ("DELETE", "/Patient", None, None, {}, 405),
            ("POST", "/", {"resourceType": "Bundle", "type": "batch", "entry": []}, None, {}, 400),
            ("POST", "/", {"resourceType": "Patient"}, None, {}, 400),
            ("POST", "/Patient", None, b"<Patient/>", {"Content-Type": "application/fhir+xml"}, 415),
        ]
        for method, path, body, raw, headers, expected in cases:
            status, rheaders, rbody, _ = self.call("error", method, path, body, headers, raw)
            self.check_outcome(f"{method} {path} {(raw or json.dumps(body))[:40]!r}", status, rheaders, rbody, expected)
        # FHIR decimals keep their precision through the store.
        raw = b'{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueQuantity":{"value":37.50}}'
        status, _, body, text = self.call("create", "POST", "/Observation", raw=raw)
        if self.c.check(status == 201, f"POST decimal observation: {status}"):
            self.c.check('"value":37.50' in text, f"decimal 37.50 not preserved: {text[:200]}")
            key = f"Observation/{body['id']}"
            self.expected[key] = strip_server_fields(body)
            self.versions[key] = 1

    def concurrent_creates(self, threads=4, each=25):
        results = [[] for _ in range(threads)]

        def worker(n):
            client = Client(self.base)
            for i in range(each):
                resource = {"resourceType": "Patient", "name": [{"family": f"Concurrent{n}", "given": [str(i)]}]}
                status, _, body, _ = client.request("POST", "/Patient", resource)
                results[n].append((status, body, resource))

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        ids = set()
        for status, body, resource in (r for rs in results for r in rs):
            self.counts["create"] = self.counts.get("create", 0) + 1
            if self.c.check(status == 201, f"concurrent POST: status {status}"):
                key = f"Patient/{body['id']}"
                ids.add(key)
                self.expected[key] = strip_server_fields(dict(resource, id=body["id"]))
                self.versions[key] = 1
        self.c.check(len(ids) == threads * each, f"concurrent creates: {len(ids)} distinct ids for {threads * each} creates")
        for n in range(threads):
            found = self.search(f"/Patient?name=Concurrent{n}")
            self.c.check(len(found) == each, f"Patient?name=Concurrent{n}: {len(found)} results, expected {each}")

    def state(self):
        return {"expected": self.expected, "versions": self.versions, "deleted": sorted(self.deleted)}

    def load_state(self, state):
        self.expected = state["expected"]
        self.versions = state["versions"]
        self.deleted = set(state["deleted"])


def load_fixtures(directory):
    fixtures = []
    for root, _, files in os.walk(directory):
        for name in sorted(files):
            if name.endswith(".json"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    resource = json.load(f)
                if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
                    fixtures.append((os.path.relpath(path, directory), resource))
    fixtures.sort(key=lambda item: item[0])
    return fixtures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="server base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--fixtures", help="directory of FHIR example resources (JSON)")
    parser.add_argument("--state", help="write the expected server state to this file")
    parser.add_argument("--verify-state", help="only check that the server holds the state in this file")
    parser.add_argument("--canonical", action="store_true",
                        help="the server validates and canonicalises resources (see above)")
    args = parser.parse_args()
    global CANONICAL
    CANONICAL = args.canonical
    checker = Checker()
    work = Workload(args.base, checker)
    phases = []

    def phase(name, fn, *fn_args):
        start = time.monotonic()
        requests_before = sum(work.counts.values())
        fn(*fn_args)
        phases.append((name, time.monotonic() - start, sum(work.counts.values()) - requests_before))

    if args.verify_state:
        with open(args.verify_state, encoding="utf-8") as f:
            work.load_state(json.load(f))
        phase("verify", work.read_all, "verify")
    else:
        if not args.fixtures:
            parser.error("--fixtures is required unless --verify-state is given")
        fixtures = load_fixtures(args.fixtures)
        if not checker.check(len(fixtures) > 0, f"no FHIR resources under {args.fixtures}"):
            return 1
        phase("metadata", work.metadata)
        phase("create", work.create_fixtures, fixtures)
        phase("read", work.read_all)
        phase("search", work.searches)
        phase("update+vread", work.updates)
        phase("delete", work.deletes)
        phase("transaction", work.transactions)
        phase("errors", work.errors)
        phase("concurrent", work.concurrent_creates)
        phase("read-all", work.read_all)
        if work.rejected:
            print(f"fixtures: {len(work.rejected)} rejected as invalid R4 by the server")
        print(f"fixtures: {len(fixtures)} example resources, {len(work.live(''))} live and "
              f"{len(work.deleted)} deleted resources at the end")
        if args.state:
            with open(args.state, "w", encoding="utf-8") as f:
                json.dump(work.state(), f)

    total_time = sum(p[1] for p in phases)
    total_requests = sum(work.counts.values())
    for name, seconds, requests in phases:
        print(f"  {name:<14} {requests:5d} requests {seconds:7.3f} s")
    print("requests by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(work.counts.items())))
    print(f"{total_requests} requests in {total_time:.2f} s ({total_requests / max(total_time, 1e-9):.0f}/s)")
    print(f"workload: {checker.passed} passed, {len(checker.failures)} failed")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
