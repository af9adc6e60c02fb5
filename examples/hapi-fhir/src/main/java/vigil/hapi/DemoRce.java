package vigil.hapi;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * DEMO ONLY — deliberately dangerous. Answers POST /demo-rce only when the environment variable
 * HAPI_DEMO_RCE=1 is set (404 otherwise).
 *
 * Does what the payload of a remote-code-execution bug in a Java server (Log4Shell, a
 * deserialisation gadget) does once it runs inside the JVM: start a shell command, open an
 * outbound TCP connection, open a listening socket (a bind shell), read a file (a secret) or
 * write one (plant code). It reports what happened instead of hiding failures, so that tests
 * can show that vigil turns each into an error.
 * Request: {"command": "shell command", "argv": ["/path", "arg"...], "connect": "host:port",
 * "listen": port, "read": "/path", "write": "/path"}, all optional ("argv" runs a program without
 * a shell, as in a distroless image).
 */
@RestController
public class DemoRce {
    private static final int EXEC_TIMEOUT_SECONDS = 10;
    private static final int CONNECT_TIMEOUT_MILLIS = 3000;
    private static final int MAX_OUTPUT = 64 * 1024;
    private final boolean enabled = "1".equals(System.getenv("HAPI_DEMO_RCE"));

    @PostMapping(path = "/demo-rce", consumes = "application/json", produces = "application/json")
    public ResponseEntity<Map<String, Object>> run(@RequestBody Map<String, Object> request) {
        if (!enabled) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).build();
        }
        Map<String, Object> report = new LinkedHashMap<>();
        if (request.get("command") != null) {
            report.put("exec", exec(List.of("/bin/sh", "-c", String.valueOf(request.get("command")))));
        } else if (request.get("argv") instanceof List<?> argv && !argv.isEmpty()) {
            report.put("exec", exec(argv.stream().map(String::valueOf).toList()));
        }
        if (request.get("connect") != null) {
            report.put("connect", connect(String.valueOf(request.get("connect"))));
        }
        if (request.get("listen") != null) {
            report.put("listen", listen(String.valueOf(request.get("listen"))));
        }
        if (request.get("write") != null) {
            report.put("write", write(String.valueOf(request.get("write"))));
        }
        if (request.get("read") != null) {
            report.put("read", read(String.valueOf(request.get("read"))));
        }
        return ResponseEntity.ok(report);
    }

    private static Map<String, Object> exec(List<String> command) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("command", String.join(" ", command));
        File output = null;
        try {
            output = File.createTempFile("demo-rce", ".out");
            // Output to a file so that a command that never ends cannot block on a pipe.
            Process process = new ProcessBuilder(command)
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
            byte[] data = Files.readAllBytes(output.toPath());
            result.put("output", new String(data, 0, Math.min(data.length, MAX_OUTPUT), StandardCharsets.UTF_8));
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

    private static Map<String, Object> connect(String target) {
        Map<String, Object> result = new LinkedHashMap<>();
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

    private static Map<String, Object> read(String path) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("path", path);
        try {
            result.put("bytes", Files.readAllBytes(Path.of(path)).length);
            result.put("ok", true);
        } catch (IOException | RuntimeException e) {
            result.put("ok", false);
            result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return result;
    }

    private static Map<String, Object> write(String path) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("path", path);
        try {
            Files.writeString(Path.of(path), "planted by /demo-rce\n");
            result.put("ok", true);
        } catch (IOException | RuntimeException e) {
            result.put("ok", false);
            result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return result;
    }

    private static Map<String, Object> listen(String port) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("port", port);
        try (java.net.ServerSocket server = new java.net.ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)));
            result.put("ok", true);
        } catch (IOException | RuntimeException e) {
            result.put("ok", false);
            result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return result;
    }
}
