package vigil.lfh;

import com.ibm.fhir.model.resource.Bundle;
import com.ibm.fhir.model.resource.Resource;
import com.ibm.fhir.model.type.Uri;
import com.ibm.fhir.model.type.code.BundleType;
import com.ibm.fhir.model.type.code.HTTPVerb;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A transaction Bundle: all entries or none. Entries are checked first, POSTs get their ids
 * and every urn:uuid reference to them is rewritten to Type/id; then the writes run in the
 * order FHIR prescribes (DELETE, POST, PUT, then GET) on one database transaction, which the
 * caller commits only if every entry succeeded.
 */
public final class Transaction {
    private record Step(HTTPVerb.Value method, String type, String id, String query, Resource resource) {}

    private Transaction() {}

    public static Bundle run(Interactions ix, Connection c, String base, Bundle bundle) throws SQLException {
        if (bundle.getType() == null || bundle.getType().getValueAsEnum() != BundleType.Value.TRANSACTION) {
            throw FhirError.invalid("only transaction Bundles are accepted here, not "
                    + (bundle.getType() == null ? "an untyped Bundle" : bundle.getType().getValue()));
        }
        List<Bundle.Entry> entries = bundle.getEntry();
        List<Step> steps = new ArrayList<>();
        Map<String, String> urns = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Bundle.Entry e = entries.get(i);
            if (e.getRequest() == null || e.getRequest().getMethod() == null || e.getRequest().getUrl() == null) {
                throw FhirError.invalid("entry " + i + " has no request");
            }
            HTTPVerb.Value method = e.getRequest().getMethod().getValueAsEnum();
            String url = e.getRequest().getUrl().getValue();
            String query = null;
            int q = url.indexOf('?');
            if (q >= 0) {
                query = url.substring(q + 1);
                url = url.substring(0, q);
            }
            String[] parts = url.split("/", -1);
            String type = parts[0];
            String id = parts.length > 1 ? parts[1] : null;
            Fhir.requireType(type);
            switch (method) {
                case POST -> {
                    if (parts.length != 1 || e.getResource() == null) {
                        throw FhirError.invalid("entry " + i + ": POST needs a type URL and a resource");
                    }
                    id = Interactions.newId();
                    if (e.getFullUrl() != null && e.getFullUrl().getValue().startsWith("urn:uuid:")) {
                        urns.put(e.getFullUrl().getValue(), type + "/" + id);
                    }
                }
                case PUT -> {
                    if (parts.length != 2 || e.getResource() == null) {
                        throw FhirError.invalid("entry " + i + ": PUT needs Type/id and a resource");
                    }
                }
                case DELETE -> {
                    if (parts.length != 2) {
                        throw FhirError.invalid("entry " + i + ": DELETE needs Type/id");
                    }
                }
                case GET -> {
                    if (parts.length > 2) {
                        throw FhirError.invalid("entry " + i + ": GET of '" + Fhir.clip(url) + "' is not supported");
                    }
                }
                default -> throw FhirError.invalid("entry " + i + ": " + method + " is not supported in a transaction");
            }
            if (id != null) {
                Fhir.requireId(id);
            }
            steps.add(new Step(method, type, id, query, e.getResource()));
        }
        // urn:uuid references to entries of this Bundle become Type/id; any other is an error.
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s.resource() == null) {
                continue;
            }
            String json = Fhir.json(s.resource());
            for (Map.Entry<String, String> u : urns.entrySet()) {
                json = json.replace("\"" + u.getKey() + "\"", "\"" + u.getValue() + "\"");
            }
            if (json.contains("\"reference\":\"urn:uuid:")) {
                throw FhirError.invalid("entry " + i + " refers to a urn:uuid that no entry of the Bundle has");
            }
            steps.set(i, new Step(s.method(), s.type(), s.id(), s.query(), Fhir.parse(json)));
        }
        Bundle.Entry[] out = new Bundle.Entry[steps.size()];
        for (HTTPVerb.Value phase : new HTTPVerb.Value[] {HTTPVerb.Value.DELETE, HTTPVerb.Value.POST,
                HTTPVerb.Value.PUT, HTTPVerb.Value.GET}) {
            for (int i = 0; i < steps.size(); i++) {
                Step s = steps.get(i);
                if (s.method() != phase) {
                    continue;
                }
                out[i] = switch (phase) {
                    case DELETE -> response(ix.delete(c, s.type(), s.id()), "204 No Content");
                    case POST -> response(ix.create(c, s.type(), s.resource(), s.id()), "201 Created");
                    case PUT -> {
                        Interactions.Result r = ix.update(c, s.type(), s.id(), s.resource(), null);
                        yield response(r, r.status() == 201 ? "201 Created" : "200 OK");
                    }
                    default -> {
                        Resource found = s.id() != null ? ix.read(c, s.type(), s.id()).resource()
                                : ix.search(c, base, s.type(), parseQuery(s.query()));
                        yield Bundle.Entry.builder().resource(found)
                                .response(Bundle.Entry.Response.builder().status("200 OK").build()).build();
                    }
                };
            }
        }
        return Bundle.builder().type(BundleType.TRANSACTION_RESPONSE).entry(out).build();
    }

    private static Bundle.Entry response(Interactions.Result r, String status) {
        Bundle.Entry.Response.Builder resp = Bundle.Entry.Response.builder().status(status).etag(r.etag());
        if (r.resource() != null) {
            resp.location(Uri.of(r.location()));
        }
        return Bundle.Entry.builder().response(resp.build()).build();
    }

    static Map<String, List<String>> parseQuery(String query) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }
}
