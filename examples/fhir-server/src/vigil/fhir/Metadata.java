package vigil.fhir;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/** The CapabilityStatement served at GET /metadata. */
final class Metadata {
    /** Types listed explicitly; every other resource type supports the same interactions. */
    private static final String[] LISTED_TYPES = {"Patient", "Observation", "Encounter"};
    private static final String[] TYPE_INTERACTIONS = {"read", "vread", "update", "delete", "history-instance",
        "create", "search-type"};

    private Metadata() {
    }

    static ObjectNode capabilityStatement(String base, Instant started) {
        ObjectNode statement = Json.object();
        statement.put("resourceType", "CapabilityStatement");
        statement.put("status", "active");
        statement.put("date", started.toString());
        statement.put("kind", "instance");
        statement.putObject("software").put("name", "vigil FHIR example server").put("version", "1.0");
        statement.putObject("implementation").put("description", "Example FHIR R4 server for vigil").put("url", base);
        statement.put("fhirVersion", "4.0.1");
        statement.putArray("format").add("application/fhir+json").add("json");
        ObjectNode rest = statement.putArray("rest").addObject();
        rest.put("mode", "server");
        rest.put("documentation", "Any resource type (a capitalised name of letters) supports the interactions "
                + "and search parameters listed for Patient; resources are versioned and stored durably.");
        ArrayNode resources = rest.putArray("resource");
        for (String type : LISTED_TYPES) {
            resources.add(resource(type));
        }
        rest.putArray("interaction").addObject().put("code", "transaction");
        return statement;
    }

    private static ObjectNode resource(String type) {
        ObjectNode resource = Json.object();
        resource.put("type", type);
        ArrayNode interactions = resource.putArray("interaction");
        for (String code : TYPE_INTERACTIONS) {
            interactions.addObject().put("code", code);
        }
        resource.put("versioning", "versioned");
        resource.put("readHistory", true);
        resource.put("updateCreate", true);
        resource.put("conditionalCreate", false);
        resource.put("conditionalUpdate", false);
        resource.put("conditionalDelete", "not-supported");
        ArrayNode parameters = resource.putArray("searchParam");
        for (String[] parameter : Search.PARAMETERS) {
            parameters.addObject().put("name", parameter[0]).put("type", parameter[1]).put("documentation", parameter[2]);
        }
        return resource;
    }
}
