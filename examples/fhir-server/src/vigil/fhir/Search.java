package vigil.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Type-level search: {@code _id}, {@code name} (string search over names), and the reference
 * parameters {@code subject} and {@code patient}. Repeated parameters must all match (AND);
 * comma-separated values within one parameter are alternatives (OR). A parameter the server
 * does not know is an error rather than silently ignored, so a client never mistakes an
 * unfiltered result for a filtered one.
 */
final class Search {
    /** Parameters about the response format only, which do not filter anything. */
    private static final Set<String> FORMAT_PARAMETERS = Set.of("_format", "_pretty");

    /** Describes the supported parameters for the CapabilityStatement: name, type, doc. */
    static final String[][] PARAMETERS = {
        {"_id", "token", "Logical id of the resource"},
        {"name", "string", "Any part of a name (HumanName family/given/prefix/suffix/text, or a plain name)"
                + "; case- and accent-insensitive prefix match; modifiers :exact and :contains"},
        {"subject", "reference", "The subject reference: Type/id, a bare id, or an absolute URL"},
        {"patient", "reference", "The patient: the subject when it is a Patient, or the patient element"},
    };

    private Search() {
    }

    static Interactions.Result run(View view, String type, Map<String, String[]> parameters, String base) {
        Predicate<ObjectNode> filter = resource -> true;
        for (Map.Entry<String, String[]> parameter : parameters.entrySet()) {
            if (FORMAT_PARAMETERS.contains(parameter.getKey())) {
                continue;
            }
            for (String value : parameter.getValue()) {
                filter = filter.and(criterion(parameter.getKey(), value));
            }
        }
        List<Version> matches = new ArrayList<>();
        for (Version version : view.live(type)) {
            if (filter.test(version.resource())) {
                matches.add(version);
            }
        }
        return new Interactions.Result(200, null, searchset(type, matches, base));
    }

    private static ObjectNode searchset(String type, List<Version> matches, String base) {
        ObjectNode bundle = Json.object();
        bundle.put("resourceType", "Bundle");
        bundle.put("type", "searchset");
        bundle.put("total", matches.size());
        ArrayNode entries = bundle.putArray("entry");
        for (Version version : matches) {
            ObjectNode entry = entries.addObject();
            entry.put("fullUrl", base + "/" + type + "/" + version.id());
            entry.set("resource", version.resource());
            entry.putObject("search").put("mode", "match");
        }
        return bundle;
    }

    private static Predicate<ObjectNode> criterion(String parameter, String value) {
        String[] nameAndModifier = parameter.split(":", 2);
        String name = nameAndModifier[0];
        String modifier = nameAndModifier.length > 1 ? nameAndModifier[1] : "";
        if (!modifier.isEmpty() && !(name.equals("name") && Set.of("exact", "contains").contains(modifier))) {
            throw FhirException.badRequest("unsupported search modifier '" + parameter + "'");
        }
        if (value.isEmpty()) {
            throw FhirException.badRequest("search parameter '" + parameter + "' has an empty value");
        }
        Predicate<ObjectNode> anyOf = resource -> false;
        for (String alternative : value.split(",")) {
            anyOf = anyOf.or(switch (name) {
                case "_id" -> resource -> alternative.equals(resource.path("id").asText());
                case "name" -> resource -> matchesName(resource, alternative, modifier);
                case "subject" -> resource -> references(resource.get("subject"), alternative, null);
                case "patient" -> resource -> references(resource.get("subject"), alternative, "Patient")
                        || references(resource.get("patient"), alternative, "Patient");
                default -> throw FhirException.badRequest("unsupported search parameter '" + name + "'");
            });
        }
        return anyOf;
    }

    private static boolean matchesName(ObjectNode resource, String query, String modifier) {
        String wanted = modifier.equals("exact") ? query : fold(query);
        for (String candidate : nameStrings(resource.get("name"), new ArrayList<>())) {
            boolean hit = switch (modifier) {
                case "exact" -> candidate.equals(wanted);
                case "contains" -> fold(candidate).contains(wanted);
                default -> fold(candidate).startsWith(wanted);
            };
            if (hit) {
                return true;
            }
        }
        return false;
    }

    /** Every string a name search looks at: plain names, or the parts of HumanNames. */
    private static List<String> nameStrings(JsonNode name, List<String> out) {
        if (name == null) {
            return out;
        }
        if (name.isTextual()) {
            out.add(name.asText());
        } else if (name.isArray()) {
            name.forEach(element -> nameStrings(element, out));
        } else if (name.isObject()) {
            for (String part : new String[] {"text", "family", "given", "prefix", "suffix"}) {
                nameStrings(name.get(part), out);
            }
        }
        return out;
    }

    /** FHIR string search ignores case and accents. */
    private static String fold(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFD).replaceAll("\\p{M}", "").toLowerCase(Locale.ROOT);
    }

    /**
     * Whether a Reference element (or an array of them) points at the wanted resource. The
     * wanted value is "Type/id", a bare id, or an absolute URL; only the trailing Type/id of
     * both sides is compared, so relative and absolute references to one resource match.
     */
    private static boolean references(JsonNode element, String wanted, String requiredType) {
        if (element == null) {
            return false;
        }
        if (element.isArray()) {
            for (JsonNode item : element) {
                if (references(item, wanted, requiredType)) {
                    return true;
                }
            }
            return false;
        }
        String reference = element.path("reference").asText("");
        if (reference.isEmpty()) {
            return false;
        }
        String[] actual = typeAndId(reference);
        String[] query = typeAndId(wanted);
        if (!actual[1].equals(query[1])) {
            return false;
        }
        if (requiredType != null && !requiredType.equals(actual[0])) {
            return false;
        }
        return query[0] == null || query[0].equals(actual[0]);
    }

    /** {type or null, id} of a reference, ignoring a base URL and a _history suffix. */
    private static String[] typeAndId(String reference) {
        String path = reference.replaceFirst("/_history/[^/]*$", "");
        String[] parts = path.split("/");
        if (parts.length >= 2 && Interactions.isType(parts[parts.length - 2])) {
            return new String[] {parts[parts.length - 2], parts[parts.length - 1]};
        }
        return new String[] {null, path};
    }
}
