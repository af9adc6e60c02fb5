package vigil.lfh;

import com.ibm.fhir.model.resource.Bundle;
import com.ibm.fhir.model.resource.Observation;
import com.ibm.fhir.model.resource.Patient;
import com.ibm.fhir.model.resource.Resource;
import com.ibm.fhir.model.type.HumanName;
import com.ibm.fhir.model.type.Id;
import com.ibm.fhir.model.type.Instant;
import com.ibm.fhir.model.type.Meta;
import com.ibm.fhir.model.type.UnsignedInt;
import com.ibm.fhir.model.type.Uri;
import com.ibm.fhir.model.type.code.BundleType;
import com.ibm.fhir.model.type.code.HTTPVerb;

import java.sql.Connection;
import java.sql.SQLException;
import java.text.Normalizer;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The FHIR REST interactions on the store, shared by the HTTP endpoints and the transaction
 * Bundle: create, update (with If-Match), delete, read, vread, history and search. Callers
 * hold the write lock for the writes and commit or roll back the connection.
 */
public final class Interactions {
    /** A write's outcome: HTTP status, the stored resource (null for a deletion), its version. */
    public record Result(int status, String type, String id, int version, Resource resource) {
        public String etag() {
            return "W/\"" + version + "\"";
        }

        public String location() {
            return type + "/" + id + "/_history/" + version;
        }
    }

    private static final Set<String> COMMON_PARAMS = Set.of("_id");
    private static final Map<String, Set<String>> TYPE_PARAMS = Map.of(
            "Patient", Set.of("name"),
            "Observation", Set.of("subject", "patient"));

    private final Store store;

    public Interactions(Store store) {
        this.store = store;
    }

    public Store store() {
        return store;
    }

    public static String newId() {
        return UUID.randomUUID().toString();
    }

    public Result create(Connection c, String type, Resource resource, String id) throws SQLException {
        checkBody(type, resource);
        Fhir.validate(resource);
        return write(c, type, id, 1, resource, 201);
    }

    public Result update(Connection c, String type, String id, Resource resource, String ifMatch)
            throws SQLException {
        checkBody(type, resource);
        if (resource.getId() == null) {
            throw FhirError.invalid("an update needs the resource's id in the body");
        }
        if (!resource.getId().equals(id)) {
            throw FhirError.invalid("the body's id '" + Fhir.clip(resource.getId()) + "' is not the URL's '" + id + "'");
        }
        Fhir.validate(resource);
        Store.Version current = store.current(c, type, id);
        if (ifMatch != null) {
            String want = current == null ? null : "W/\"" + current.version() + "\"";
            if (!ifMatch.trim().equals(want) && !ifMatch.trim().equals(want == null ? null : want.substring(2))) {
                throw new FhirError(412, "conflict", "If-Match " + Fhir.clip(ifMatch) + " but the current version is "
                        + (current == null ? "none" : want));
            }
        }
        int version = current == null ? 1 : current.version() + 1;
        return write(c, type, id, version, resource, current == null || current.deleted() ? 201 : 200);
    }

    /** Deletes Type/id (a new, empty version); deleting a deleted resource changes nothing. */
    public Result delete(Connection c, String type, String id) throws SQLException {
        Store.Version current = existing(c, type, id);
        if (current.deleted()) {
            return new Result(204, type, id, current.version(), null);
        }
        store.put(c, type, id, current.version() + 1, now().getValue().toString(), null);
        return new Result(204, type, id, current.version() + 1, null);
    }

    /** The current version of Type/id (valid names checked), or 404. */
    private Store.Version existing(Connection c, String type, String id) throws SQLException {
        Fhir.requireType(type);
        Fhir.requireId(id);
        Store.Version current = store.current(c, type, id);
        if (current == null) {
            throw FhirError.notFound(type + "/" + id + " does not exist");
        }
        return current;
    }

    public Result read(Connection c, String type, String id) throws SQLException {
        Store.Version current = existing(c, type, id);
        if (current.deleted()) {
            throw new FhirError(410, "deleted", type + "/" + id + " was deleted");
        }
        return new Result(200, type, id, current.version(), Fhir.parse(current.json()));
    }

    public Result vread(Connection c, String type, String id, String vid) throws SQLException {
        Fhir.requireType(type);
        Fhir.requireId(id);
        int version;
        try {
            version = Integer.parseInt(vid);
        } catch (NumberFormatException e) {
            version = 0;
        }
        if (version < 1) {
            throw FhirError.invalid("invalid version '" + Fhir.clip(vid) + "'");
        }
        Store.Version v = store.version(c, type, id, version);
        if (v == null) {
            throw FhirError.notFound(type + "/" + id + " has no version " + version);
        }
        if (v.deleted()) {
            throw new FhirError(410, "deleted", "version " + version + " of " + type + "/" + id + " is its deletion");
        }
        return new Result(200, type, id, version, Fhir.parse(v.json()));
    }

    public Bundle history(Connection c, String base, String type, String id) throws SQLException {
        Fhir.requireType(type);
        Fhir.requireId(id);
        List<Store.Version> versions = store.history(c, type, id);
        if (versions.isEmpty()) {
            throw FhirError.notFound(type + "/" + id + " does not exist");
        }
        List<Bundle.Entry> entries = new ArrayList<>();
        for (Store.Version v : versions) {
            Bundle.Entry.Builder e = Bundle.Entry.builder().fullUrl(Uri.of(base + "/" + type + "/" + id));
            if (v.deleted()) {
                e.request(Bundle.Entry.Request.builder().method(HTTPVerb.DELETE).url(Uri.of(type + "/" + id)).build());
            } else {
                e.resource(Fhir.parse(v.json()));
            }
            e.response(Bundle.Entry.Response.builder().status(v.deleted() ? "204" : "200")
                    .etag("W/\"" + v.version() + "\"").build());
            entries.add(e.build());
        }
        return Bundle.builder().type(BundleType.HISTORY).total(UnsignedInt.of(entries.size())).entry(entries).build();
    }

    /** Searches one type: _id everywhere, name on Patient, subject and patient on Observation. */
    public Bundle search(Connection c, String base, String type, Map<String, List<String>> params)
            throws SQLException {
        Fhir.requireType(type);
        for (String name : params.keySet()) {
            if (!COMMON_PARAMS.contains(name) && !TYPE_PARAMS.getOrDefault(type, Set.of()).contains(name)) {
                throw FhirError.invalid("unknown search parameter '" + Fhir.clip(name) + "' for " + type);
            }
        }
        String onlyId = first(params, "_id");
        List<Bundle.Entry> entries = new ArrayList<>();
        if (onlyId == null || onlyId.matches("[A-Za-z0-9\\-.]{1,64}")) {
            for (String json : store.live(c, type, onlyId)) {
                Resource r = Fhir.parse(json);
                if (matches(r, params)) {
                    entries.add(Bundle.Entry.builder().fullUrl(Uri.of(base + "/" + type + "/" + r.getId()))
                            .resource(r).build());
                }
            }
        }
        return Bundle.builder().type(BundleType.SEARCHSET).total(UnsignedInt.of(entries.size())).entry(entries).build();
    }

    private static boolean matches(Resource r, Map<String, List<String>> params) {
        String name = first(params, "name");
        if (name != null) {
            String want = fold(name);
            boolean any = r instanceof Patient p && p.getName().stream().flatMap(Interactions::strings)
                    .anyMatch(s -> fold(s).startsWith(want));
            if (!any) {
                return false;
            }
        }
        for (String param : new String[] {"subject", "patient"}) {
            String value = first(params, param);
            if (value == null) {
                continue;
            }
            if (!(r instanceof Observation o) || o.getSubject() == null || o.getSubject().getReference() == null) {
                return false;
            }
            String[] ref = o.getSubject().getReference().getValue().split("/");
            if (ref.length < 2) {
                return false;
            }
            String refType = ref[ref.length - 2], refId = ref[ref.length - 1];
            if (param.equals("patient") && !refType.equals("Patient")) {
                return false;
            }
            boolean ok = value.contains("/") ? value.equals(refType + "/" + refId) : value.equals(refId);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static Stream<String> strings(HumanName n) {
        List<String> out = new ArrayList<>();
        if (n.getText() != null && n.getText().getValue() != null) {
            out.add(n.getText().getValue());
        }
        if (n.getFamily() != null && n.getFamily().getValue() != null) {
            out.add(n.getFamily().getValue());
        }
        Stream.of(n.getGiven(), n.getPrefix(), n.getSuffix()).flatMap(List::stream)
                .filter(s -> s.getValue() != null).forEach(s -> out.add(s.getValue()));
        return out.stream();
    }

    static String fold(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFD).replaceAll("\\p{M}", "").toLowerCase(Locale.ROOT);
    }

    private static String first(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static void checkBody(String type, Resource resource) {
        Fhir.requireType(type);
        String actual = resource.getClass().getSimpleName();
        if (!actual.equals(type)) {
            throw FhirError.invalid("a " + actual + " sent to the " + type + " endpoint");
        }
    }

    private Result write(Connection c, String type, String id, int version, Resource resource, int status)
            throws SQLException {
        Fhir.requireId(id);
        Instant lastUpdated = now();
        Meta.Builder meta = resource.getMeta() == null ? Meta.builder() : resource.getMeta().toBuilder();
        meta.versionId(Id.of(Integer.toString(version))).lastUpdated(lastUpdated);
        Resource stored = resource.toBuilder().id(id).meta(meta.build()).build();
        store.put(c, type, id, version, lastUpdated.getValue().toString(), Fhir.json(stored));
        return new Result(status, type, id, version, stored);
    }

    private static Instant now() {
        return Instant.of(ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS));
    }
}
