package vigil.fhir;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One version of one resource. {@code resource} is null for a deletion; otherwise it already
 * carries id, meta.versionId and meta.lastUpdated. Stored trees are never modified after the
 * version is built, which is what lets readers share them without copying.
 */
record Version(String type, String id, int number, Instant lastUpdated, ObjectNode resource) {
    boolean deleted() {
        return resource == null;
    }

    String etag() {
        return "W/\"" + number + "\"";
    }

    /** The relative URL of this version, used in Location headers and transaction responses. */
    String location() {
        return type + "/" + id + "/_history/" + number;
    }
}
