package vigil.fhir;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds OperationOutcome resources, the body of every FHIR error response. */
final class Outcome {
    private Outcome() {
    }

    static ObjectNode of(String severity, String code, String diagnostics) {
        ObjectNode outcome = Json.object();
        outcome.put("resourceType", "OperationOutcome");
        ObjectNode issue = outcome.putArray("issue").addObject();
        issue.put("severity", severity);
        issue.put("code", code);
        issue.put("diagnostics", diagnostics);
        return outcome;
    }

    static ObjectNode error(FhirException failure) {
        return of("error", failure.issueCode(), failure.getMessage());
    }
}
