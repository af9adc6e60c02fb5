// The application of e2e_docker_base.sh: a small HTTP server on 127.0.0.1:$APP_PORT, built
// into app.jar and run on vigil-jre under docker/Dockerfile.app-example.
//   /hello  "hello from USER"           the JVM serves, as the image's user
//   /exec   tries to start /vigil        refused by the profile once the app is ready
// Prints "app ready on PORT" when it listens: the profile's ready phase (output_match).
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public class App {
    static void reply(HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("APP_PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/hello", ex -> reply(ex, "hello from " + System.getProperty("user.name")));
        server.createContext("/exec", ex -> {
            String result;
            try {
                Process p = new ProcessBuilder("/vigil", "--version").start();
                result = "exec ok: status " + p.waitFor();
            } catch (Exception e) {
                result = "exec refused: " + e.getMessage();
            }
            reply(ex, result);
        });
        server.start();
        System.out.println("app ready on " + port);
    }
}
