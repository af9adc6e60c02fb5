package vigil.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * The HTTP face of the server: maps FHIR REST URLs and methods onto {@link Interactions},
 * {@link Search}, {@link Transaction} and {@link Metadata}, and every failure onto an
 * OperationOutcome. Mapped to "/*" of the root context, so URLs are [base]/Type/id.
 */
public final class FhirServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final String FHIR_JSON = "application/fhir+json;charset=UTF-8";
    private static final int MAX_BODY = 16 * 1024 * 1024;

    private transient ResourceStore store; // transient: a servlet is Serializable (javac 18+ lints it)
    private Instant started;
    private boolean demoRce;

    @Override
    public void init() throws ServletException {
        Path dataDir = dataDirectory();
        try {
            store = ResourceStore.open(dataDir);
        } catch (IOException e) {
            // Tomcat would keep running and answer 500 for ever. Without its data the server
            // must not run at all: exit (status 1) so that the supervisor sees the failure.
            // From another thread, because Tomcat's shutdown hook waits for start-up to end.
            log("cannot open the FHIR store in " + dataDir + ": stopping the server", e);
            new Thread(() -> System.exit(1), "fhir-store-failure").start();
            throw new ServletException("cannot open the FHIR store in " + dataDir, e);
        }
        started = Instant.now();
        demoRce = DemoRce.enabled();
        log("FHIR store " + dataDir + ": " + store.resourceCount() + " resources loaded");
        if (demoRce) {
            log("WARNING: FHIR_DEMO_RCE=1: the remote-code-execution demo endpoint POST /" + DemoRce.PATH
                    + " is ENABLED. It runs arbitrary shell commands. Never enable it outside a demo.");
        }
    }

    /** -Dfhir.data.dir, else $FHIR_DATA_DIR, else CATALINA_BASE/fhir-data. */
    private static Path dataDirectory() {
        String dir = System.getProperty("fhir.data.dir");
        if (dir == null || dir.isEmpty()) {
            dir = System.getenv("FHIR_DATA_DIR");
        }
        if (dir == null || dir.isEmpty()) {
            return Path.of(System.getProperty("catalina.base", "."), "fhir-data");
        }
        return Path.of(dir);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            Interactions.Result result = dispatch(request);
            send(request, response, result);
        } catch (FhirException e) {
            write(response, e.status(), Outcome.error(e));
        } catch (RuntimeException e) {
            log("internal error on " + request.getMethod() + " " + request.getRequestURI(), e);
            write(response, 500, Outcome.of("fatal", "exception", "internal error: " + e));
        }
    }

    private Interactions.Result dispatch(HttpServletRequest request) throws IOException {
        String method = request.getMethod();
        String pathInfo = request.getPathInfo();
        String[] path = pathInfo == null || pathInfo.equals("/") ? new String[0]
                : pathInfo.substring(1).split("/", -1);
        String base = baseUrl(request);
        if (path.length == 0) {
            requireMethod(method, "POST");
            return new Interactions.Result(200, null, Transaction.process(store, body(request), base));
        }
        if (path.length == 1 && path[0].equals("metadata")) {
            requireMethod(method, "GET");
            return new Interactions.Result(200, null, Metadata.capabilityStatement(base, started));
        }
        if (path.length == 1 && path[0].equals(DemoRce.PATH)) {
            if (!demoRce) {
                throw FhirException.notFound("unknown path " + pathInfo);
            }
            requireMethod(method, "POST");
            return new Interactions.Result(200, null, DemoRce.run(body(request)));
        }
        String type = path[0];
        Interactions.checkType(type);
        if (path.length > 1) {
            Interactions.checkId(path[1]);
        }
        return switch (path.length) {
            case 1 -> typeLevel(request, method, type, base);
            case 2 -> instanceLevel(request, method, type, path[1]);
            case 3 -> {
                requireHistory(path[2]);
                requireMethod(method, "GET");
                yield store.read(view -> Interactions.history(view, type, path[1], base));
            }
            case 4 -> {
                requireHistory(path[2]);
                requireMethod(method, "GET");
                yield store.read(view -> Interactions.vread(view, type, path[1], path[3]));
            }
            default -> throw FhirException.notFound("unknown path " + pathInfo);
        };
    }

    private Interactions.Result typeLevel(HttpServletRequest request, String method, String type, String base)
            throws IOException {
        switch (method) {
            case "GET":
                Map<String, String[]> parameters = request.getParameterMap();
                return store.read(view -> Search.run(view, type, parameters, base));
            case "POST":
                JsonNode body = body(request);
                String id = UUID.randomUUID().toString();
                return store.write(batch -> Interactions.create(batch, type, id, body));
            default:
                throw methodNotAllowed(method, "GET, POST");
        }
    }

    private Interactions.Result instanceLevel(HttpServletRequest request, String method, String type, String id)
            throws IOException {
        String ifMatch = request.getHeader("If-Match");
        switch (method) {
            case "GET":
                return store.read(view -> Interactions.read(view, type, id));
            case "PUT":
                JsonNode body = body(request);
                return store.write(batch -> Interactions.update(batch, type, id, body, ifMatch));
            case "DELETE":
                return store.write(batch -> Interactions.delete(batch, type, id, ifMatch));
            default:
                throw methodNotAllowed(method, "GET, PUT, DELETE");
        }
    }

    private static void requireHistory(String segment) {
        if (!segment.equals("_history")) {
            throw FhirException.notFound("unknown path segment '" + segment + "'");
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw methodNotAllowed(method, allowed);
        }
    }

    private static FhirException methodNotAllowed(String method, String allowed) {
        return FhirException.notSupported(405, "method " + method + " is not allowed here; allowed: " + allowed);
    }

    /** Reads and parses a JSON request body, refusing other media types and huge bodies. */
    private static JsonNode body(HttpServletRequest request) throws IOException {
        String contentType = request.getContentType();
        if (contentType != null) {
            String mediaType = contentType.split(";", 2)[0].trim().toLowerCase();
            if (!mediaType.equals("application/fhir+json") && !mediaType.equals("application/json")) {
                throw new FhirException(415, "not-supported",
                        "Content-Type " + mediaType + " is not supported; use application/fhir+json");
            }
        }
        if (request.getContentLengthLong() > MAX_BODY) {
            throw new FhirException(413, "too-costly", "the body is larger than " + MAX_BODY + " bytes");
        }
        try (InputStream in = request.getInputStream()) {
            byte[] data = in.readNBytes(MAX_BODY + 1);
            if (data.length > MAX_BODY) {
                throw new FhirException(413, "too-costly", "the body is larger than " + MAX_BODY + " bytes");
            }
            return Json.parse(data);
        }
    }

    private static String baseUrl(HttpServletRequest request) {
        String scheme = request.getScheme();
        int port = request.getServerPort();
        boolean defaultPort = (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        return scheme + "://" + request.getServerName() + (defaultPort ? "" : ":" + port) + request.getContextPath();
    }

    private static void send(HttpServletRequest request, HttpServletResponse response, Interactions.Result result)
            throws IOException {
        Version version = result.version();
        if (version != null) {
            response.setHeader("ETag", version.etag());
            response.setHeader("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    version.lastUpdated().atOffset(ZoneOffset.UTC)));
            boolean wrote = Arrays.asList("POST", "PUT").contains(request.getMethod());
            if (wrote && !version.deleted()) {
                response.setHeader("Location", baseUrl(request) + "/" + version.location());
            }
        }
        if (result.body() == null) {
            response.setStatus(result.status());
            return;
        }
        write(response, result.status(), result.body());
    }

    private static void write(HttpServletResponse response, int status, JsonNode body) throws IOException {
        response.setStatus(status);
        response.setContentType(FHIR_JSON);
        Json.write(body, response.getOutputStream());
    }
}
