#!/usr/bin/env python3
"""The verification workload for the HAPI FHIR example server (python3 standard library only).

    verify.py --base http://127.0.0.1:PORT/fhir [--clients N] [--seconds S]

Deliberately different from workload.py (which the profile was learned under): no HL7 examples,
synthetic data made here; XML bodies as well as JSON; conditional create (If-None-Exist),
conditional update and conditional delete; JSON Patch; _history?_since; chained and reverse
chained searches, _has, case-insensitive name prefixes, _total=accurate, _summary=text; a batch with mixed methods;
$meta, $meta-add; Patient/$everything with _count; then N clients issuing a random mix of reads,
searches and writes for S seconds. Exit status 1 if any check failed.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fhirclient import Checks, Client, bundle_entries  # noqa: E402

XML = "application/fhir+xml"


def patient(tag, i):
    return {"resourceType": "Patient", "identifier": [{"system": "urn:verify", "value": f"{tag}-{i}"}],
            "name": [{"family": f"Verify{tag}", "given": [f"p{i}"]}], "gender": random.choice(["male", "female"]),
            "birthDate": f"{1940 + i % 60}-0{1 + i % 9}-1{i % 10}"}


def observation(patient_id, value):
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": "2024-05-0%dT10:00:00Z" % (1 + value % 9),
            "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}


def scripted(client, checks, tag):
    ids = []
    for i in range(6):
        body = patient(tag, i)
        ident = f"urn:verify|{tag}-{i}"
        status, _, res, text = client.request("POST", "/Patient", body, {"If-None-Exist": f"identifier={ident}"})
        if checks.expect_status(status, 201, f"conditional create {i}", text):
            ids.append(res["id"])
        # The same conditional create again must not make a second one.
        status, _, res2, text = client.request("POST", "/Patient", body, {"If-None-Exist": f"identifier={ident}"})
        checks.expect_status(status, 200, f"repeated conditional create {i}", text)
        if ids and res2:
            checks.check(res2.get("id") == ids[-1], f"conditional create {i} made a duplicate")
    if not ids:
        return ids
    # XML in, XML out.
    xml = (f'<Patient xmlns="http://hl7.org/fhir"><identifier><system value="urn:verify"/>'
           f'<value value="{tag}-xml"/></identifier><name><family value="Verify{tag}"/>'
           f'<given value="xml"/></name></Patient>')
    status, _, _, text = client.request("POST", "/Patient", raw=xml.encode(),
                                        headers={"Content-Type": XML}, accept=XML)
    checks.expect_status(status, 201, "create from XML", text)
    checks.check(text.lstrip().startswith("<"), "create from XML did not answer XML")
    # Conditional update by identifier.
    upd = patient(tag, 0)
    upd["active"] = False
    status, _, _, text = client.request("PUT", f"/Patient?identifier=urn:verify|{tag}-0", upd)
    checks.expect_status(status, 200, "conditional update", text)
    # JSON Patch.
    patch = json.dumps([{"op": "replace", "path": "/gender", "value": "other"}]).encode()
    status, _, res, text = client.request("PATCH", f"/Patient/{ids[1]}", raw=patch,
                                          headers={"Content-Type": "application/json-patch+json"})
    if checks.expect_status(status, 200, "JSON Patch", text):
        checks.check(res.get("gender") == "other", "JSON Patch not applied")
    # Observations for each patient, then searches across them.
    for n, pid in enumerate(ids):
        for v in range(3):
            status, _, _, text = client.request("POST", "/Observation", observation(pid, 60 + n * 3 + v))
            checks.expect_status(status, 201, f"observation {n}/{v}", text)
    searches = [
        (f"/Observation?subject.family=Verify{tag}&_total=accurate", lambda b: b.get("total") == 18),
        (f"/Patient?_has:Observation:subject:code=29463-7&family=Verify{tag}", lambda b: len(bundle_entries(b)) == 6),
        (f"/Patient?name=verify{tag}", lambda b: len(bundle_entries(b)) == 7),  # prefix, any case
        (f"/Observation?value-quantity=gt70|http://unitsofmeasure.org|kg&subject.family=Verify{tag}", None),
        ("/Observation?date=ge2024-05-01&date=le2024-05-31&_count=5", None),
        (f"/Patient?family=Verify{tag}&_summary=text", None),
        (f"/Patient?family=Verify{tag}&_revinclude=Observation:subject&_count=50", None),
        (f"/Patient?family=Verify{tag}&_sort=birthdate,-_id", None),
    ]
    for query, predicate in searches:
        status, _, body, text = client.request("GET", query)
        if checks.expect_status(status, 200, f"search {query}", text) and predicate:
            checks.check(predicate(body), f"search {query}: unexpected result (total {body.get('total')}, "
                                          f"{len(bundle_entries(body))} entries)")
    status, _, body, text = client.request("GET", f"/Patient/{ids[0]}/_history?_since=2000-01-01T00:00:00Z")
    if checks.expect_status(status, 200, "history _since", text):
        checks.check(len(bundle_entries(body)) == 2, f"history of the updated patient: {len(bundle_entries(body))} versions")
    status, _, body, text = client.request("GET", f"/Patient/{ids[0]}/$everything?_count=5")
    checks.expect_status(status, 200, "$everything _count", text)
    # $meta-add and $meta.
    params = {"resourceType": "Parameters", "parameter": [{"name": "meta", "valueMeta": {
        "tag": [{"system": "urn:verify", "code": "checked"}]}}]}
    status, _, _, text = client.request("POST", f"/Patient/{ids[2]}/$meta-add", params)
    checks.expect_status(status, 200, "$meta-add", text)
    status, _, body, text = client.request("GET", f"/Patient/{ids[2]}/$meta")
    if checks.expect_status(status, 200, "$meta", text):
        tags = [p.get("valueMeta", {}).get("tag", []) for p in body.get("parameter", [])]
        checks.check(any(t.get("code") == "checked" for ts in tags for t in ts), "$meta lacks the added tag")
    # A batch of mixed methods.
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": f"Patient/{ids[3]}"}},
        {"resource": patient(tag, 100), "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "DELETE", "url": f"Patient/{ids[4]}"}},
        {"resource": dict(patient(tag, 5), id=ids[5]), "request": {"method": "PUT", "url": f"Patient/{ids[5]}"}},
    ]}
    status, _, body, text = client.request("POST", "/", batch)
    if checks.expect_status(status, 200, "mixed batch", text):
        codes = [e.get("response", {}).get("status", "")[:3] for e in body.get("entry", [])]
        checks.check(codes[:2] == ["200", "201"] and codes[2] in ("200", "204") and codes[3] == "200",
                     f"mixed batch answers {codes}")
    # Conditional delete, then the resource is gone.
    status, _, _, text = client.request("DELETE", f"/Patient?identifier=urn:verify|{tag}-100")
    checks.expect_status(status, (200, 204), "conditional delete", text)
    status, _, body, text = client.request("GET", f"/Patient?identifier=urn:verify|{tag}-100")
    if checks.expect_status(status, 200, "search after conditional delete", text):
        checks.check(not bundle_entries(body), "conditional delete left the patient")
    # An unknown resource type and a malformed body: errors, not crashes.
    status, _, _, text = client.request("GET", "/NoSuchType/1")
    checks.expect_status(status, (400, 404), "unknown resource type", text)
    status, _, _, text = client.request("POST", "/Patient", raw=b"{not json")
    checks.expect_status(status, (400, 422), "malformed body", text)
    return ids


def mixed_load(base, checks, ids, tag, clients, seconds):
    deadline = time.monotonic() + seconds
    counts = [0] * clients

    def worker(n):
        rng = random.Random(n)
        client = Client(base)
        try:
            while time.monotonic() < deadline:
                pick = rng.random()
                if pick < 0.4:
                    status, _, _, text = client.request("GET", f"/Patient/{rng.choice(ids[:4])}")
                    checks.expect_status(status, 200, f"load {n}: read", text)
                elif pick < 0.7:
                    status, _, _, text = client.request("GET", f"/Observation?subject=Patient/{rng.choice(ids[:4])}")
                    checks.expect_status(status, 200, f"load {n}: search", text)
                elif pick < 0.9:
                    status, _, _, text = client.request("POST", "/Observation", observation(rng.choice(ids[:4]), 50))
                    checks.expect_status(status, 201, f"load {n}: create", text)
                else:
                    status, _, _, text = client.request("GET", f"/Patient?family=Verify{tag}", accept=XML)
                    checks.expect_status(status, 200, f"load {n}: XML search", text)
                counts[n] += 1
        except Exception as e:
            checks.check(False, f"load {n}: {type(e).__name__}: {e}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    checks = Checks("verify")
    tag = uuid.uuid4().hex[:10]
    client = Client(args.base)
    start = time.monotonic()
    status, _, _, text = client.request("GET", "/metadata", accept=XML)
    checks.expect_status(status, 200, "metadata as XML", text)
    ids = scripted(client, checks, tag)
    client.close()
    if len(ids) >= 4:
        n = mixed_load(args.base, checks, ids, tag, args.clients, args.seconds)
        print(f"verify: {n} requests from {args.clients} clients in {args.seconds:.0f} s", flush=True)
    print(f"verify: {time.monotonic() - start:.1f} s", flush=True)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
