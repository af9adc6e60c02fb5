package vigil.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The FHIR instance and type interactions (read, vread, history, create, update, delete),
 * written against a {@link View} or a {@link ResourceStore.Batch} so that the servlet and
 * transaction processing share one implementation of every rule.
 */
final class Interactions {
    /** What FHIR calls a resource type: we accept any capitalised name made of letters. */
    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Za-z]{0,63}");
    /** FHIR's id datatype. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    /** The outcome of one interaction: HTTP status, the version it concerns, the body to send. */
    record Result(int status, Version version, JsonNode body) {
        String statusLine() {
            return switch (status) {
                case 200 -> "200 OK";
                case 201 -> "201 Created";
                case 204 -> "204 No Content";
                default -> Integer.toString(status);
            };
        }
    }

    private Interactions() {
    }

    static boolean isType(String type) {
        return TYPE.matcher(type).matches();
    }

    static void checkType(String type) {
        if (!isType(type)) {
            throw FhirException.badRequest("'" + type + "' is not a FHIR resource type");
        }
    }

    static void checkId(String id) {
        if (!ID.matcher(id).matches()) {
            throw FhirException.badRequest("'" + id + "' is not a valid FHIR id");
        }
    }

    static Result read(View view, String type, String id) {
        Version version = live(view, type, id);
        return new Result(200, version, version.resource());
    }

    static Result vread(View view, String type, String id, String versionText) {
        Version version = view.version(type, id, parseVersion(versionText));
        if (version == null) {
            throw FhirException.notFound(type + "/" + id + " has no version " + versionText);
        }
        if (version.deleted()) {
            throw FhirException.gone("version " + versionText + " of " + type + "/" + id + " is a deletion");
        }
        return new Result(200, version, version.resource());
    }

    /** The instance history as a FHIR history Bundle, newest version first. */
    static Result history(View view, String type, String id, String base) {
        List<Version> versions = view.history(type, id);
        if (versions.isEmpty()) {
            throw FhirException.notFound(type + "/" + id + " does not exist");
        }
        ObjectNode bundle = Json.object();
        bundle.put("resourceType", "Bundle");
        bundle.put("type", "history");
        bundle.put("total", versions.size());
        ArrayNode entries = bundle.putArray("entry");
        for (int i = versions.size() - 1; i >= 0; i--) {
            Version version = versions.get(i);
            ObjectNode entry = entries.addObject();
            entry.put("fullUrl", base + "/" + type + "/" + id);
            if (!version.deleted()) {
                entry.set("resource", version.resource());
            }
            // Which interaction made a version is not recorded; PUT Type/id reproduces any of them.
            ObjectNode request = entry.putObject("request");
            request.put("method", version.deleted() ? "DELETE" : "PUT");
            request.put("url", type + "/" + id);
            ObjectNode response = entry.putObject("response");
            response.put("status", version.deleted() ? "204" : version.number() == 1 ? "201" : "200");
            response.put("etag", version.etag());
            response.put("lastModified", version.lastUpdated().toString());
        }
        return new Result(200, null, bundle);
    }

    /** Creates type/{@code newId}; the id in the body, if any, is ignored as FHIR requires. */
    static Result create(ResourceStore.Batch batch, String type, String newId, JsonNode body) {
        ObjectNode resource = resourceOf(body, type);
        Version version = batch.put(type, newId, resource);
        return new Result(201, version, version.resource());
    }

    /** Updates type/id, or creates it (201) when it does not exist or was deleted. */
    static Result update(ResourceStore.Batch batch, String type, String id, JsonNode body, String ifMatch) {
        ObjectNode resource = resourceOf(body, type);
        JsonNode bodyId = resource.get("id");
        if (bodyId == null || !bodyId.isTextual() || !bodyId.asText().equals(id)) {
            throw FhirException.badRequest("the resource id " + (bodyId == null ? "(missing)" : bodyId)
                    + " does not match the URL id '" + id + "'");
        }
        Version current = batch.current(type, id);
        checkIfMatch(current, ifMatch);
        Version version = batch.put(type, id, resource);
        boolean created = current == null || current.deleted();
        return new Result(created ? 201 : 200, version, version.resource());
    }

    /** Deletes type/id; deleting a deleted resource again changes nothing and succeeds. */
    static Result delete(ResourceStore.Batch batch, String type, String id, String ifMatch) {
        Version current = batch.current(type, id);
        if (current == null) {
            throw FhirException.notFound(type + "/" + id + " does not exist");
        }
        checkIfMatch(current, ifMatch);
        if (current.deleted()) {
            return new Result(204, current, null);
        }
        return new Result(204, batch.delete(type, id), null);
    }

    private static Version live(View view, String type, String id) {
        Version version = view.current(type, id);
        if (version == null) {
            throw FhirException.notFound(type + "/" + id + " does not exist");
        }
        if (version.deleted()) {
            throw FhirException.gone(type + "/" + id + " was deleted");
        }
        return version;
    }

    private static ObjectNode resourceOf(JsonNode body, String type) {
        if (body == null || !body.isObject()) {
            throw FhirException.badRequest("the body must be a JSON object holding a " + type + " resource");
        }
        JsonNode resourceType = body.get("resourceType");
        if (resourceType == null || !resourceType.isTextual()) {
            throw FhirException.badRequest("the resource has no resourceType");
        }
        if (!resourceType.asText().equals(type)) {
            throw FhirException.badRequest("resourceType '" + resourceType.asText()
                    + "' does not match the type in the URL, '" + type + "'");
        }
        return (ObjectNode) body;
    }

    private static void checkIfMatch(Version current, String ifMatch) {
        if (ifMatch == null) {
            return;
        }
        String expected = ifMatch.trim().replaceFirst("^W/", "").replace("\"", "");
        if (current == null || current.deleted() || !expected.equals(Integer.toString(current.number()))) {
            throw new FhirException(412, "conflict", "If-Match " + ifMatch + " does not match the current version "
                    + (current == null || current.deleted() ? "(none)" : current.etag()));
        }
    }

    private static int parseVersion(String text) {
        if (!text.matches("[1-9][0-9]{0,8}")) {
            throw FhirException.badRequest("'" + text + "' is not a version number");
        }
        return Integer.parseInt(text);
    }
}
