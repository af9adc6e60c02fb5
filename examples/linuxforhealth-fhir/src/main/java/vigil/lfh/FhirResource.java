package vigil.lfh;

import com.ibm.fhir.model.resource.Bundle;
import com.ibm.fhir.model.resource.CapabilityStatement;
import com.ibm.fhir.model.resource.Resource;
import com.ibm.fhir.model.type.Code;
import com.ibm.fhir.model.type.DateTime;
import com.ibm.fhir.model.type.code.CapabilityStatementKind;
import com.ibm.fhir.model.type.code.FHIRVersion;
import com.ibm.fhir.model.type.code.PublicationStatus;
import com.ibm.fhir.model.type.code.ResourceType;
import com.ibm.fhir.model.type.code.RestfulCapabilityMode;
import com.ibm.fhir.model.util.ModelSupport;

import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.HeaderParam;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.UriInfo;

/** The FHIR R4 REST API under the context root (fhir-server/api/v4, as LinuxForHealth's). */
@Path("/")
public class FhirResource {
    /** One writer at a time: versions are read and bumped inside one database transaction. */
    private static final ReentrantLock WRITES = new ReentrantLock();
    private static volatile CapabilityStatement capabilities;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]{1,253}(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}\\](:[0-9]{1,5})?");

    @Context
    private UriInfo uri;

    @Context
    private HttpHeaders headers;

    private interface Work<T> {
        T run(Interactions ix, Connection c) throws SQLException;
    }

    private <T> T read(Work<T> work) throws SQLException {
        try (Connection c = Startup.interactions().store().connect()) {
            return work.run(Startup.interactions(), c);
        }
    }

    private <T> T write(Work<T> work) throws SQLException {
        WRITES.lock();
        try (Connection c = Startup.interactions().store().connect()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(Startup.interactions(), c);
                c.commit();
                return result;
            } catch (RuntimeException | SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } finally {
            WRITES.unlock();
        }
    }

    /** The base URL as the client addressed it (its Host header), for Location and fullUrl. */
    private String base() {
        URI b = uri.getBaseUri();
        String host = headers.getHeaderString("Host");
        String authority = host != null && HOST.matcher(host).matches() ? host : b.getRawAuthority();
        String path = b.getRawPath().endsWith("/") ? b.getRawPath().substring(0, b.getRawPath().length() - 1) : b.getRawPath();
        return b.getScheme() + "://" + authority + path;
    }

    private static Response ok(int status, Resource body) {
        return Response.status(status).type(Fhir.MEDIA_TYPE).entity(Fhir.json(body)).build();
    }

    private Response written(Interactions.Result r) {
        return Response.status(r.status()).type(Fhir.MEDIA_TYPE).tag(new javax.ws.rs.core.EntityTag(
                Integer.toString(r.version()), true)).location(URI.create(base() + "/" + r.location()))
                .entity(Fhir.json(r.resource())).build();
    }

    private static Response found(Interactions.Result r) {
        return Response.ok().type(Fhir.MEDIA_TYPE).tag(new javax.ws.rs.core.EntityTag(
                Integer.toString(r.version()), true)).entity(Fhir.json(r.resource())).build();
    }

    private static Resource body(String contentType, String body) {
        if (contentType != null && !contentType.toLowerCase().contains("json")) {
            throw new FhirError(415, "not-supported", "this server reads application/fhir+json, not " + Fhir.clip(contentType));
        }
        return Fhir.parse(body);
    }

    @GET
    @Path("metadata")
    public Response metadata() {
        if (capabilities == null) {
            List<CapabilityStatement.Rest.Resource> types = ModelSupport.getResourceTypes(false).stream()
                    .map(Class::getSimpleName).sorted()
                    .map(t -> CapabilityStatement.Rest.Resource.builder().type(ResourceType.of(t)).build())
                    .toList();
            capabilities = CapabilityStatement.builder()
                    .status(PublicationStatus.ACTIVE)
                    .date(DateTime.of(ZonedDateTime.now()))
                    .kind(CapabilityStatementKind.INSTANCE)
                    .software(CapabilityStatement.Software.builder()
                            .name(com.ibm.fhir.model.type.String.of("vigil LinuxForHealth FHIR example")).build())
                    .fhirVersion(FHIRVersion.VERSION_4_0_1)
                    .format(Code.of("application/fhir+json"))
                    .rest(CapabilityStatement.Rest.builder().mode(RestfulCapabilityMode.SERVER).resource(types).build())
                    .build();
        }
        return ok(200, capabilities);
    }

    @POST
    public Response transaction(@HeaderParam("Content-Type") String contentType, String text) throws SQLException {
        Resource r = body(contentType, text);
        if (!(r instanceof Bundle bundle)) {
            throw FhirError.invalid("POST to the base needs a transaction Bundle, not a " + r.getClass().getSimpleName());
        }
        String base = base();
        return ok(200, write((ix, c) -> Transaction.run(ix, c, base, bundle)));
    }

    /** The demo RCE hole (DemoRce): 404 unless FHIR_DEMO_RCE=1. */
    @POST
    @Path("$demo-rce")
    public Response demoRce(String text) {
        if (!DemoRce.enabled()) {
            throw FhirError.notFound("no such operation");
        }
        return Response.ok().type("application/json").entity(DemoRce.run(text)).build();
    }

    @GET
    @Path("{type}")
    public Response search(@PathParam("type") String type) throws SQLException {
        String base = base();
        return ok(200, read((ix, c) -> ix.search(c, base, type, uri.getQueryParameters())));
    }

    @POST
    @Path("{type}")
    public Response create(@PathParam("type") String type, @HeaderParam("Content-Type") String contentType,
            String text) throws SQLException {
        Fhir.requireType(type);
        Resource r = body(contentType, text);
        return written(write((ix, c) -> ix.create(c, type, r, Interactions.newId())));
    }

    @GET
    @Path("{type}/{id}")
    public Response get(@PathParam("type") String type, @PathParam("id") String id) throws SQLException {
        return found(read((ix, c) -> ix.read(c, type, id)));
    }

    @PUT
    @Path("{type}/{id}")
    public Response update(@PathParam("type") String type, @PathParam("id") String id,
            @HeaderParam("Content-Type") String contentType, @HeaderParam("If-Match") String ifMatch,
            String text) throws SQLException {
        Fhir.requireType(type);
        Fhir.requireId(id);
        Resource r = body(contentType, text);
        return written(write((ix, c) -> ix.update(c, type, id, r, ifMatch)));
    }

    @DELETE
    @Path("{type}/{id}")
    public Response delete(@PathParam("type") String type, @PathParam("id") String id) throws SQLException {
        Interactions.Result r = write((ix, c) -> ix.delete(c, type, id));
        return Response.noContent().tag(new javax.ws.rs.core.EntityTag(Integer.toString(r.version()), true)).build();
    }

    @GET
    @Path("{type}/{id}/_history")
    public Response history(@PathParam("type") String type, @PathParam("id") String id) throws SQLException {
        String base = base();
        return ok(200, read((ix, c) -> ix.history(c, base, type, id)));
    }

    @GET
    @Path("{type}/{id}/_history/{vid}")
    public Response vread(@PathParam("type") String type, @PathParam("id") String id,
            @PathParam("vid") String vid) throws SQLException {
        return found(read((ix, c) -> ix.vread(c, type, id, vid)));
    }
}
