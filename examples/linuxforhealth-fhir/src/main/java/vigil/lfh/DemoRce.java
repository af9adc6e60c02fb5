package vigil.lfh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;

import java.io.StringReader;

/**
 * A deliberate remote-code-execution hole for demos and tests (POST [base]/$demo-rce with
 * {"command": "..."}), standing in for a deserialisation or template-injection bug: it runs
 * the command with /bin/sh -c and reports what happened. Off unless FHIR_DEMO_RCE=1; never set
 * that outside a demo. Under profiles/linuxforhealth-fhir.toml the exec fails once the server
 * is ready.
 */
public final class DemoRce {
    private DemoRce() {}

    public static boolean enabled() {
        return "1".equals(System.getenv("FHIR_DEMO_RCE"));
    }

    public static String run(String body) {
        String command;
        try (JsonReader r = Json.createReader(new StringReader(body == null ? "{}" : body))) {
            command = r.readObject().getString("command", "id");
        } catch (RuntimeException e) {
            throw FhirError.invalid("body: {\"command\": \"...\"}");
        }
        JsonObjectBuilder exec = Json.createObjectBuilder();
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true).start();
            String output = read(p.getInputStream());
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            exec.add("ok", true).add("exitCode", p.exitValue()).add("output", output);
        } catch (IOException e) {
            exec.add("ok", false).add("error", String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exec.add("ok", false).add("error", "interrupted");
        }
        JsonObject report = Json.createObjectBuilder().add("exec", exec).build();
        return report.toString();
    }

    private static String read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
