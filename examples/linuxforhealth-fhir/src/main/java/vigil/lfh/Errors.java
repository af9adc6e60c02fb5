package vigil.lfh;

import java.util.logging.Level;
import java.util.logging.Logger;

import javax.ws.rs.WebApplicationException;
import javax.ws.rs.core.Response;
import javax.ws.rs.ext.ExceptionMapper;
import javax.ws.rs.ext.Provider;

/** Every failure becomes an OperationOutcome: ours with their status, JAX-RS's (404, 405, 415) too. */
@Provider
public class Errors implements ExceptionMapper<Throwable> {
    private static final Logger LOG = Logger.getLogger(Errors.class.getName());

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof FhirError f) {
            return Fhir.error(f.status, f.code, f.getMessage());
        }
        if (e instanceof WebApplicationException w) {
            int status = w.getResponse().getStatus();
            String code = switch (status) {
                case 404 -> "not-found";
                case 405, 415 -> "not-supported";
                default -> status < 500 ? "invalid" : "exception";
            };
            return Fhir.error(status, code, w.getMessage() == null ? "HTTP " + status : w.getMessage());
        }
        LOG.log(Level.SEVERE, "request failed", e);
        return Fhir.error(500, "exception", "internal error: " + Fhir.rootMessage(e));
    }
}
