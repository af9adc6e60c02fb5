package vigil.fhir;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;

/** The one JSON configuration of the server: strict parsing, exact decimals. */
final class Json {
    /*
     * FHIR decimals keep their precision ("1.50" is not "1.5"), so numbers are read as
     * BigDecimal and written back as they came. Duplicate keys and trailing garbage are
     * errors: a lenient parser would store something other than what the client sent.
     */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE)
            .build();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Parses a request body; any syntax error is the client's, so it becomes a 400. */
    static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw FhirException.badRequest("the request body is empty");
        }
        try {
            return MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw FhirException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw FhirException.badRequest("cannot read the body: " + e.getMessage());
        }
    }

    /** Parses the server's own files; a syntax error there is corruption, not a client error. */
    static JsonNode parseStored(byte[] data) throws IOException {
        return MAPPER.readTree(data);
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JSON tree", e);
        }
    }

    static void write(JsonNode node, OutputStream out) throws IOException {
        MAPPER.writeValue(out, node);
    }
}
