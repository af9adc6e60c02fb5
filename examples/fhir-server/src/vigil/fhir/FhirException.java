package vigil.fhir;

/**
 * A failed interaction: carries the HTTP status and the OperationOutcome issue code, so that
 * every layer can fail with one throw and the servlet turns it into a FHIR error response.
 */
final class FhirException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String issueCode;

    FhirException(int status, String issueCode, String message) {
        super(message);
        this.status = status;
        this.issueCode = issueCode;
    }

    int status() {
        return status;
    }

    String issueCode() {
        return issueCode;
    }

    static FhirException badRequest(String message) {
        return new FhirException(400, "invalid", message);
    }

    static FhirException notFound(String message) {
        return new FhirException(404, "not-found", message);
    }

    static FhirException gone(String message) {
        return new FhirException(410, "deleted", message);
    }

    static FhirException notSupported(int status, String message) {
        return new FhirException(status, "not-supported", message);
    }

    /** The same failure, with where it happened (e.g. a transaction entry) in front. */
    FhirException within(String where) {
        return new FhirException(status, issueCode, where + ": " + getMessage());
    }
}
