package vigil.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * DEMO ONLY — deliberately dangerous. Enabled solely by the environment variable
 * FHIR_DEMO_RCE=1 and off otherwise.
 *
 * Does what the payload of a remote-code-execution bug (Log4Shell, a deserialisation gadget)
 * does once it runs inside the JVM: start a shell command and open an outbound TCP
 * connection. It reports what happened instead of hiding failures, so tests can show that a
 * sandbox (vigil) turns both into errors: the exec fails with "error=1, Operation not
 * permitted" and the connect with a SocketException.
 */
final class DemoRce {
    static final String PATH = "$demo-rce";
    private static final int EXEC_TIMEOUT_SECONDS = 10;
    private static final int CONNECT_TIMEOUT_MILLIS = 3000;
    private static final int MAX_OUTPUT = 64 * 1024;

    private DemoRce() {
    }

    static boolean enabled() {
        return "1".equals(System.getenv("FHIR_DEMO_RCE"));
    }

    /** Request: {"command": "shell command", "connect": "host:port"}; both are optional. */
    static ObjectNode run(JsonNode request) {
        ObjectNode report = Json.object();
        if (request.hasNonNull("command")) {
            report.set("exec", exec(request.get("command").asText()));
        }
        if (request.hasNonNull("connect")) {
            report.set("connect", connect(request.get("connect").asText()));
        }
        return report;
    }

    private static ObjectNode exec(String command) {
        ObjectNode result = Json.object();
        result.put("command", command);
        File output = null;
        try {
            output = File.createTempFile("demo-rce", ".out");
            // What a payload does: Runtime.exec of a shell; output goes to a file so that a
            // command that never ends cannot block this thread on a pipe.
            Process process = new ProcessBuilder("/bin/sh", "-c", command)
                    .redirectErrorStream(true).redirectOutput(output).start();
            boolean finished = process.waitFor(EXEC_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly();
            }
            result.put("ok", true);
            result.put("timedOut", !finished);
            if (finished) {
                result.put("exitCode", process.exitValue());
            }
            result.put("output", readCapped(output));
        } catch (IOException e) {
            result.put("ok", false);
            result.put("error", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.put("ok", false);
            result.put("error", "interrupted");
        } finally {
            if (output != null) {
                output.delete();
            }
        }
        return result;
    }

    private static ObjectNode connect(String target) {
        ObjectNode result = Json.object();
        result.put("target", target);
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            result.put("ok", false);
            result.put("error", "expected host:port");
            return result;
        }
        String host = target.substring(0, colon).replaceAll("^\\[|\\]$", "");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, Integer.parseInt(target.substring(colon + 1))),
                    CONNECT_TIMEOUT_MILLIS);
            result.put("ok", true);
            result.put("local", socket.getLocalSocketAddress().toString());
        } catch (IOException | RuntimeException e) {
            result.put("ok", false);
            result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return result;
    }

    private static String readCapped(File file) throws IOException {
        byte[] data = Files.readAllBytes(file.toPath());
        int length = Math.min(data.length, MAX_OUTPUT);
        return new String(data, 0, length, StandardCharsets.UTF_8);
    }
}
