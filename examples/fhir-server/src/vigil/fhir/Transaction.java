package vigil.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * FHIR transaction Bundles: every entry succeeds or none is stored.
 *
 * All entries are parsed and checked before anything happens; then, inside one store batch,
 * new ids are assigned, {@code urn:uuid:} references are rewritten to them, and the entries run
 * in the order FHIR prescribes (DELETE, POST, PUT, GET). Any failure throws out of the batch,
 * which leaves the store untouched; success commits the whole batch as one file.
 */
final class Transaction {
    private static final List<String> ORDER = List.of("DELETE", "POST", "PUT", "GET");

    /** One parsed entry. {@code path} is the request URL split at '/', without the query. */
    private record Entry(int index, String method, String[] path, Map<String, String[]> query,
                         ObjectNode resource, String fullUrl, String ifMatch) {
        String type() {
            return path[0];
        }

        String describe() {
            return "entry " + index + " (" + method + " " + String.join("/", path) + ")";
        }
    }

    private Transaction() {
    }

    static ObjectNode process(ResourceStore store, JsonNode bundle, String base) {
        List<Entry> entries = parse(bundle, base);
        return store.write(batch -> {
            Map<String, String> newReferences = assignIds(entries);
            for (Entry entry : entries) {
                if (entry.resource() != null) {
                    rewriteReferences(entry.resource(), newReferences, entry);
                }
            }
            Interactions.Result[] results = new Interactions.Result[entries.size()];
            for (String method : ORDER) {
                for (Entry entry : entries) {
                    if (entry.method().equals(method)) {
                        results[entry.index()] = run(batch, entry, base);
                    }
                }
            }
            return response(entries, results);
        });
    }

    private static List<Entry> parse(JsonNode bundle, String base) {
        if (!bundle.isObject() || !"Bundle".equals(bundle.path("resourceType").asText())) {
            throw FhirException.badRequest("POST to the server base takes a Bundle");
        }
        String type = bundle.path("type").asText();
        if (!type.equals("transaction")) {
            throw FhirException.notSupported(400, "Bundle.type '" + type + "' cannot be processed; only 'transaction' is supported");
        }
        JsonNode items = bundle.path("entry");
        if (!items.isMissingNode() && !items.isArray()) {
            throw FhirException.badRequest("Bundle.entry must be an array");
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode entry : items) {
            int index = entries.size();
            try {
                entries.add(parseEntry(index, entry, base));
            } catch (FhirException e) {
                throw e.within("entry " + index);
            }
        }
        return entries;
    }

    private static Entry parseEntry(int index, JsonNode entry, String base) {
        JsonNode request = entry.path("request");
        String method = request.path("method").asText();
        String url = request.path("url").asText();
        if (!ORDER.contains(method)) {
            throw FhirException.badRequest("request.method must be one of " + ORDER + ", not '" + method + "'");
        }
        if (url.isEmpty()) {
            throw FhirException.badRequest("request.url is missing");
        }
        if (request.has("ifNoneExist") || request.has("ifNoneMatch") || request.has("ifModifiedSince")) {
            throw FhirException.notSupported(400, "conditional requests are not supported");
        }
        if (url.startsWith(base + "/")) {
            url = url.substring(base.length() + 1);
        } else if (url.contains("://")) {
            throw FhirException.badRequest("request.url " + url + " is not on this server");
        }
        url = url.replaceFirst("^/", "");
        String[] pathAndQuery = url.split("\\?", 2);
        String[] path = pathAndQuery[0].split("/");
        Map<String, String[]> query = pathAndQuery.length > 1 ? parseQuery(pathAndQuery[1]) : Map.of();
        checkShape(method, path, query);
        JsonNode resource = entry.get("resource");
        if (method.equals("POST") || method.equals("PUT")) {
            if (resource == null || !resource.isObject()) {
                throw FhirException.badRequest(method + " needs entry.resource");
            }
        } else {
            resource = null;
        }
        String ifMatch = request.hasNonNull("ifMatch") ? request.get("ifMatch").asText() : null;
        return new Entry(index, method, path, query, resource == null ? null : (ObjectNode) resource.deepCopy(),
                entry.hasNonNull("fullUrl") ? entry.get("fullUrl").asText() : null, ifMatch);
    }

    /** Which URL shapes each method takes: POST Type, PUT/DELETE Type/id, GET read/vread/search. */
    private static void checkShape(String method, String[] path, Map<String, String[]> query) {
        Interactions.checkType(path[0]);
        if (path.length > 1) {
            Interactions.checkId(path[1]);
        }
        boolean ok = switch (method) {
            case "POST" -> path.length == 1 && query.isEmpty();
            case "PUT", "DELETE" -> path.length == 2 && query.isEmpty();
            default -> (path.length == 1) || (path.length == 2 && query.isEmpty())
                    || (path.length == 4 && path[2].equals("_history") && query.isEmpty());
        };
        if (!ok) {
            throw FhirException.notSupported(400, method + " " + String.join("/", path)
                    + (query.isEmpty() ? "" : "?...") + " is not a supported transaction request");
        }
    }

    private static Map<String, String[]> parseQuery(String query) {
        Map<String, String[]> out = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            String[] kv = pair.split("=", 2);
            String key = URLDecoder.decode(kv[0], StandardCharsets.UTF_8);
            String value = kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
            String[] old = out.getOrDefault(key, new String[0]);
            String[] values = Arrays.copyOf(old, old.length + 1);
            values[old.length] = value;
            out.put(key, values);
        }
        return out;
    }

    /**
     * Fixes the id of every entry that creates or updates a resource, and maps each entry's
     * fullUrl to "Type/id" so that references to it can be rewritten.
     */
    private static Map<String, String> assignIds(List<Entry> entries) {
        Map<String, String> references = new HashMap<>();
        for (Entry entry : entries) {
            String id = switch (entry.method()) {
                case "POST" -> UUID.randomUUID().toString();
                case "PUT" -> entry.path()[1];
                default -> null;
            };
            if (id == null) {
                continue;
            }
            if (entry.method().equals("POST")) {
                entry.resource().put("id", id);
            }
            if (entry.fullUrl() != null
                    && references.put(entry.fullUrl(), entry.type() + "/" + id) != null) {
                throw FhirException.badRequest("fullUrl " + entry.fullUrl() + " appears twice").within(entry.describe());
            }
        }
        return references;
    }

    /** Replaces every Reference.reference that names another entry's fullUrl. */
    private static void rewriteReferences(JsonNode node, Map<String, String> references, Entry entry) {
        if (node.isObject()) {
            JsonNode reference = node.get("reference");
            if (reference != null && reference.isTextual()) {
                String target = references.get(reference.asText());
                if (target != null) {
                    ((ObjectNode) node).set("reference", TextNode.valueOf(target));
                } else if (reference.asText().startsWith("urn:uuid:")) {
                    throw FhirException.badRequest("reference " + reference.asText()
                            + " matches no fullUrl in the transaction").within(entry.describe());
                }
            }
        }
        if (node.isContainerNode()) {
            node.forEach(child -> rewriteReferences(child, references, entry));
        }
    }

    private static Interactions.Result run(ResourceStore.Batch batch, Entry entry, String base) {
        String[] path = entry.path();
        try {
            return switch (entry.method()) {
                case "POST" -> Interactions.create(batch, entry.type(), entry.resource().get("id").asText(), entry.resource());
                case "PUT" -> Interactions.update(batch, entry.type(), path[1], entry.resource(), entry.ifMatch());
                case "DELETE" -> Interactions.delete(batch, entry.type(), path[1], entry.ifMatch());
                default -> path.length == 1 ? Search.run(batch, entry.type(), entry.query(), base)
                        : path.length == 2 ? Interactions.read(batch, entry.type(), path[1])
                        : Interactions.vread(batch, entry.type(), path[1], path[3]);
            };
        } catch (FhirException e) {
            throw e.within(entry.describe());
        }
    }

    private static ObjectNode response(List<Entry> entries, Interactions.Result[] results) {
        ObjectNode bundle = Json.object();
        bundle.put("resourceType", "Bundle");
        bundle.put("type", "transaction-response");
        ArrayNode out = bundle.putArray("entry");
        for (Entry entry : entries) {
            Interactions.Result result = results[entry.index()];
            ObjectNode item = out.addObject();
            if (entry.method().equals("GET")) {
                item.set("resource", result.body());
            }
            ObjectNode response = item.putObject("response");
            response.put("status", result.statusLine());
            Version version = result.version();
            if (version != null) {
                if (!entry.method().equals("GET") && !version.deleted()) {
                    response.put("location", version.location());
                }
                response.put("etag", version.etag());
                response.put("lastModified", version.lastUpdated().toString());
            }
        }
        return bundle;
    }
}
