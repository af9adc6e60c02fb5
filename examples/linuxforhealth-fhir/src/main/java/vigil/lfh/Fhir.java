package vigil.lfh;

import com.ibm.fhir.model.format.Format;
import com.ibm.fhir.model.generator.FHIRGenerator;
import com.ibm.fhir.model.generator.exception.FHIRGeneratorException;
import com.ibm.fhir.model.parser.FHIRParser;
import com.ibm.fhir.model.parser.exception.FHIRParserException;
import com.ibm.fhir.model.resource.OperationOutcome;
import com.ibm.fhir.model.resource.Resource;
import com.ibm.fhir.model.type.code.IssueSeverity;
import com.ibm.fhir.model.type.code.IssueType;
import com.ibm.fhir.model.util.ModelSupport;
import com.ibm.fhir.validation.FHIRValidator;
import com.ibm.fhir.validation.exception.FHIRValidationException;

import jakarta.json.Json;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.ws.rs.core.Response;

/**
 * The LinuxForHealth model at work: every body is parsed by its FHIRParser (which builds the
 * immutable, validated-on-build model objects), checked by its FHIRValidator (FHIRPath
 * constraints against the base specification in fhir-registry), and written by its
 * FHIRGenerator.
 */
public final class Fhir {
    public static final String MEDIA_TYPE = "application/fhir+json;charset=UTF-8";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    private Fhir() {}

    /** Parses one JSON resource; any syntax error, trailing text or model violation is a 400. */
    public static Resource parse(String body) {
        if (body == null || body.isBlank()) {
            throw FhirError.invalid("the request has no body");
        }
        requireSingleObject(body);
        try {
            return FHIRParser.parser(Format.JSON).parse(new StringReader(body));
        } catch (FHIRParserException e) {
            throw FhirError.invalid("not a valid FHIR R4 resource: " + rootMessage(e));
        } catch (RuntimeException e) {
            throw FhirError.invalid("not a valid FHIR R4 resource: " + rootMessage(e));
        }
    }

    /** The FHIR model's parser reads one value and ignores what follows it; we do not. */
    private static void requireSingleObject(String body) {
        try (JsonParser p = Json.createParser(new StringReader(body))) {
            if (!p.hasNext() || p.next() != JsonParser.Event.START_OBJECT) {
                throw FhirError.invalid("the body is not a JSON object");
            }
            p.skipObject();
            if (p.hasNext()) {
                throw FhirError.invalid("text after the JSON object");
            }
        } catch (JsonParsingException e) {
            throw FhirError.invalid("malformed JSON: " + e.getMessage());
        }
    }

    /** Runs the FHIRValidator; issues of severity error or fatal reject the resource. */
    public static void validate(Resource resource) {
        List<OperationOutcome.Issue> issues;
        try {
            issues = FHIRValidator.validator().validate(resource);
        } catch (FHIRValidationException e) {
            throw FhirError.invalid("validation failed: " + rootMessage(e));
        }
        List<OperationOutcome.Issue> errors = issues.stream()
                .filter(i -> i.getSeverity() == IssueSeverity.ERROR || i.getSeverity() == IssueSeverity.FATAL)
                .collect(Collectors.toList());
        if (!errors.isEmpty()) {
            throw new FhirError(400, "invariant", errors.stream()
                    .map(i -> i.getDiagnostics() == null ? "invalid" : i.getDiagnostics().getValue())
                    .collect(Collectors.joining("; ")));
        }
    }

    public static String json(Resource resource) {
        StringWriter out = new StringWriter();
        try {
            FHIRGenerator.generator(Format.JSON, false).generate(resource, out);
        } catch (FHIRGeneratorException e) {
            throw new IllegalStateException("cannot write " + resource.getClass().getSimpleName(), e);
        }
        return out.toString();
    }

    public static void requireType(String type) {
        if (!ModelSupport.isConcreteResourceType(type)) {
            throw FhirError.invalid("unknown resource type '" + clip(type) + "'");
        }
    }

    public static void requireId(String id) {
        if (!ID.matcher(id).matches()) {
            throw FhirError.invalid("invalid id '" + clip(id) + "' (1-64 of A-Z a-z 0-9 - .)");
        }
    }

    public static OperationOutcome outcome(String code, String message) {
        return OperationOutcome.builder()
                .issue(OperationOutcome.Issue.builder()
                        .severity(IssueSeverity.ERROR)
                        .code(IssueType.of(code))
                        .diagnostics(com.ibm.fhir.model.type.String.of(message))
                        .build())
                .build();
    }

    public static Response error(int status, String code, String message) {
        return Response.status(status).type(MEDIA_TYPE).entity(json(outcome(code, message))).build();
    }

    static String clip(String s) {
        return s.length() > 70 ? s.substring(0, 70) + "..." : s;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
