package vigil.lfh;

/** A FHIR interaction that fails with an HTTP status and an OperationOutcome saying why. */
public final class FhirError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int status;
    public final String code; // an IssueType code: invalid, not-found, conflict, ...

    public FhirError(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public static FhirError invalid(String message) {
        return new FhirError(400, "invalid", message);
    }

    public static FhirError notFound(String message) {
        return new FhirError(404, "not-found", message);
    }
}
