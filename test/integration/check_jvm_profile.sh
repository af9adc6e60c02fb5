#!/bin/bash
# The shipped profiles run a real HotSpot JVM (java -version, and a program with threads, a
# loopback TCP server and client, the JDK's HTTP server, file I/O, a mapped file and GC under
# -Xmx64m), while the filter is really in force: namespace calls fail (default.toml) or kill
# the process (jvm.toml).
# labels: integration;jvm
# timeout: 240
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v java >/dev/null && command -v javac >/dev/null || fail "java and javac (JDK 17 or later) are required"
bare_version=$(java -version 2>&1 | head -n 1)
echo "JVM: $bare_version"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/JvmProbe.java" <<'JAVA'
import com.sun.net.httpserver.HttpServer;
import java.io.*;
import java.net.*;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;

public class JvmProbe {
    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Future<String> served = pool.submit(() -> {
                try (Socket s = server.accept();
                     BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
                     PrintWriter out = new PrintWriter(s.getOutputStream(), true)) {
                    String line = in.readLine();
                    out.println("echo:" + line);
                    return line;
                }
            });
            try (Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 PrintWriter out = new PrintWriter(c.getOutputStream(), true);
                 BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream()))) {
                out.println("hello");
                if (!"echo:hello".equals(in.readLine())) throw new IllegalStateException("tcp echo");
            }
            if (!"hello".equals(served.get(30, TimeUnit.SECONDS))) throw new IllegalStateException("tcp serve");
        }
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/metadata", ex -> {
            byte[] body = "{\"resourceType\":\"CapabilityStatement\"}".getBytes();
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) { os.write(body); }
        });
        http.setExecutor(pool);
        http.start();
        URL url = new URL("http://127.0.0.1:" + http.getAddress().getPort() + "/metadata");
        for (int i = 0; i < 5; i++) {
            HttpURLConnection conn = (HttpURLConnection) url.openConnection();
            if (conn.getResponseCode() != 200) throw new IllegalStateException("http " + conn.getResponseCode());
            try (InputStream in = conn.getInputStream()) { in.readAllBytes(); }
        }
        http.stop(0);
        Path dir = Files.createTempDirectory("jvmprobe");
        Path f = dir.resolve("data.txt");
        Files.write(f, Collections.nCopies(1000, "line"));
        if (Files.readAllLines(f).size() != 1000) throw new IllegalStateException("file");
        try (FileChannel ch = FileChannel.open(dir.resolve("mapped"), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
            map.putInt(0, 42);
            map.force();
            if (map.getInt(0) != 42) throw new IllegalStateException("mmap");
        }
        Files.delete(f);
        Files.delete(dir.resolve("mapped"));
        Files.delete(dir);
        // Allocate far more than -Xmx64m from 8 threads: the collector has to run.
        List<Future<Long>> work = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            work.add(pool.submit(() -> {
                long kept = 0;
                List<byte[]> window = new ArrayList<>();
                for (int i = 0; i < 2000; i++) {
                    window.add(new byte[64 * 1024]);
                    if (window.size() > 16) window.remove(0);
                    kept += window.size();
                }
                return kept;
            }));
        }
        for (Future<Long> w : work) w.get(120, TimeUnit.SECONDS);
        System.gc();
        long gcs = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans())
            gcs += gc.getCollectionCount();
        if (gcs == 0) throw new IllegalStateException("no garbage collection ran");
        pool.shutdown();
        if (!pool.awaitTermination(30, TimeUnit.SECONDS)) throw new IllegalStateException("pool");
        System.out.println("probe ok, collections=" + gcs);
    }
}
JAVA
javac -d "$dir" "$dir/JvmProbe.java" || fail "javac"

for profile in jvm default; do
    p="$SRC/profiles/$profile.toml"
    out=$("$VIGIL" run -p "$p" -- java -version 2>&1); rc=$?
    [ $rc -eq 0 ] || fail "$profile.toml: java -version exit $rc: $out"
    # Any JDK the project supports (17 on Debian 12, 21 on Debian 13, Temurin 25): the same
    # version line as without vigil.
    grep -qF "$bare_version" <<<"$out" || fail "$profile.toml: java -version said: $out (without vigil: $bare_version)"

    out=$("$VIGIL" run -p "$p" -- java -Xmx64m -cp "$dir" JvmProbe 2>&1); rc=$?
    [ $rc -eq 0 ] || fail "$profile.toml: probe exit $rc: $out"
    grep -q '^probe ok, collections=[1-9]' <<<"$out" || fail "$profile.toml: probe said: $out"

    # The filter is in force for the app.
    out=$("$VIGIL" run -p "$p" -- grep '^Seccomp:' /proc/self/status 2>&1)
    grep -qP '^Seccomp:\t2$' <<<"$out" || fail "$profile.toml: no seccomp filter: $out"
done

# Creating a user namespace: refused with EPERM by default.toml, kills under jvm.toml.
"$VIGIL" run -p "$SRC/profiles/default.toml" -- unshare -U true 2>/dev/null; rc=$?
[ $rc -eq 1 ] || fail "default.toml: unshare exit $rc (want 1: EPERM)"
"$VIGIL" run -p "$SRC/profiles/jvm.toml" -- unshare -U true 2>/dev/null; rc=$?
[ $rc -eq 159 ] || fail "jvm.toml: unshare exit $rc (want 159: killed by SIGSYS)"
echo "ok"
