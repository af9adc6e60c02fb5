package vigil.lfh;

import com.ibm.fhir.model.resource.Patient;
import com.ibm.fhir.model.resource.Resource;

import java.sql.SQLException;

import javax.servlet.ServletContextEvent;
import javax.servlet.ServletContextListener;
import javax.servlet.annotation.WebListener;
import javax.ws.rs.ApplicationPath;
import javax.ws.rs.core.Application;

/**
 * Opens the store and warms the model before Liberty reports the server ready: the first
 * parse, validation (which loads the base specification from fhir-registry) and generation
 * happen at start-up, as in the LinuxForHealth server, not on the first request.
 */
@WebListener
public class Startup implements ServletContextListener {
    private static volatile Interactions interactions;

    /** JAX-RS application at the context root. */
    @ApplicationPath("/")
    public static class FhirApplication extends Application {}

    static Interactions interactions() {
        Interactions ix = interactions;
        if (ix == null) {
            throw new IllegalStateException("the FHIR store is not open (start-up failed, see the log)");
        }
        return ix;
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        long start = System.nanoTime();
        try {
            Store store = new Store();
            store.init();
            Resource warm = Fhir.parse("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Warm\"}]}");
            Fhir.validate(warm);
            Fhir.json((Patient) warm);
            interactions = new Interactions(store);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the FHIR store: " + e.getMessage(), e);
        }
        if (DemoRce.enabled()) {
            System.out.println("vigil-lfh: WARNING: FHIR_DEMO_RCE=1: POST $demo-rce runs any command (demo only)");
        }
        System.out.println("vigil-lfh: FHIR store open, model and validator warm in "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
    }
}
