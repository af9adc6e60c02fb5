// A small JDK HttpServer for vigil's learn/enforce benchmark: a fixed thread pool
// serving GET / with a short JSON body, bound to 127.0.0.1 only.
// Usage: java BenchServer.java PORT [THREADS]
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

public class BenchServer {
    private static final byte[] BODY =
        "{\"resourceType\":\"Patient\",\"id\":\"example\",\"active\":true}\n"
            .getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        HttpServer server = HttpServer.create(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.createContext("/", BenchServer::handle);
        server.setExecutor(Executors.newFixedThreadPool(threads));
        server.start();
        // Readiness marker for --ready-output and the benchmark script.
        System.out.println("BenchServer listening on 127.0.0.1:" + port);
        System.out.flush();
    }

    private static void handle(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/fhir+json");
        exchange.sendResponseHeaders(200, BODY.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(BODY);
        }
    }
}
