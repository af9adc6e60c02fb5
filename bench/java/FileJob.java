// A short, syscall-heavy JVM job for bench/enforce_bench.sh: 4 threads read 200 small files
// 25 times each (20 000 reads: open, fstat, read, close), then the JVM exits.
// usage: java FileJob DIR   (DIR/f000..f199 are created when missing)
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

public class FileJob {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Path f = dir.resolve(String.format("f%03d", i));
            if (!Files.exists(f)) Files.writeString(f, "resource " + i + " ".repeat(i % 50) + "\n");
            files.add(f);
        }
        AtomicLong bytes = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    long n = 0;
                    for (int round = 0; round < 25; round++)
                        for (Path f : files) n += Files.readAllBytes(f).length;
                    bytes.addAndGet(n);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        System.out.println("reads=20000 bytes=" + bytes.get());
    }
}
