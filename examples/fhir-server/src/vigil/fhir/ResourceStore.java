package vigil.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * All resource versions, in memory and on disk.
 *
 * Every write is a batch of changes (one for a plain create/update/delete, many for a
 * transaction) and every batch becomes one commit file: written to a temporary name, fsynced,
 * renamed into place and the directory fsynced. A batch is therefore on disk completely or not
 * at all, and a write the client saw succeed survives a crash. On start the commit files are
 * replayed in order.
 *
 * Locking: one batch runs at a time (the writer lock, held from its first check to its
 * commit, so a concurrent writer cannot invalidate its checks). Only the writer holding it
 * changes the in-memory maps, and only for the moment it takes to apply a batch that is already
 * on disk; that moment is all readers ever wait for, never an fsync.
 */
final class ResourceStore {
    private static final Pattern COMMIT_FILE = Pattern.compile("c(\\d{12})\\.json");

    private final Path dir;
    private final ReentrantLock writer = new ReentrantLock();
    private final ReentrantReadWriteLock memory = new ReentrantReadWriteLock();
    /** type -> id -> versions (oldest first); ids in creation order. */
    private final Map<String, Map<String, List<Version>>> resources = new HashMap<>();
    private final View committed = new Committed();
    private long nextCommit = 1;

    private ResourceStore(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating if needed) the store in {@code dir} and loads every commit in it. */
    static ResourceStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        ResourceStore store = new ResourceStore(dir);
        store.load();
        return store;
    }

    int resourceCount() {
        return read(view -> resources.values().stream().mapToInt(Map::size).sum());
    }

    /** Runs {@code work} on a consistent snapshot of the committed state. */
    <T> T read(Function<View, T> work) {
        memory.readLock().lock();
        try {
            return work.apply(committed);
        } finally {
            memory.readLock().unlock();
        }
    }

    /**
     * Runs {@code work} with exclusive access and commits the changes it made to the batch when
     * it returns normally. If it throws, nothing is stored.
     */
    <T> T write(Function<Batch, T> work) {
        writer.lock();
        try {
            // The batch reads the maps without the memory lock: only this thread changes them.
            Batch batch = new Batch();
            T result = work.apply(batch);
            commit(batch);
            return result;
        } finally {
            writer.unlock();
        }
    }

    /** The changes of one write, visible to that write (and nobody else) before they commit. */
    final class Batch implements View {
        private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        private final Map<String, Version> pending = new LinkedHashMap<>();

        /** Stages a new version of type/id holding a copy of {@code resource}. */
        Version put(String type, String id, ObjectNode resource) {
            Version current = current(type, id);
            int number = current == null ? 1 : current.number() + 1;
            return stage(new Version(type, id, number, now, stamped(resource, type, id, number)));
        }

        /** Stages the deletion of type/id, which must exist and not be deleted already. */
        Version delete(String type, String id) {
            Version current = current(type, id);
            return stage(new Version(type, id, current.number() + 1, now, null));
        }

        private Version stage(Version version) {
            String key = version.type() + "/" + version.id();
            if (pending.containsKey(key)) {
                throw FhirException.badRequest(key + " is changed more than once in one batch");
            }
            pending.put(key, version);
            return version;
        }

        private ObjectNode stamped(ObjectNode resource, String type, String id, int number) {
            // resourceType, id and meta first, as FHIR JSON conventionally orders them.
            ObjectNode out = Json.object();
            out.put("resourceType", type);
            out.put("id", id);
            ObjectNode meta = out.putObject("meta");
            JsonNode oldMeta = resource.get("meta");
            if (oldMeta != null && oldMeta.isObject()) {
                meta.setAll((ObjectNode) oldMeta.deepCopy());
            }
            meta.put("versionId", Integer.toString(number));
            meta.put("lastUpdated", now.toString());
            resource.fields().forEachRemaining(field -> {
                if (!out.has(field.getKey())) {
                    out.set(field.getKey(), field.getValue().deepCopy());
                }
            });
            return out;
        }

        @Override
        public Version current(String type, String id) {
            Version staged = pending.get(type + "/" + id);
            return staged != null ? staged : committed.current(type, id);
        }

        @Override
        public List<Version> history(String type, String id) {
            List<Version> versions = new ArrayList<>(committed.history(type, id));
            Version staged = pending.get(type + "/" + id);
            if (staged != null) {
                versions.add(staged);
            }
            return versions;
        }

        @Override
        public List<Version> live(String type) {
            Map<String, Version> byId = new LinkedHashMap<>();
            for (Version version : committed.live(type)) {
                byId.put(version.id(), version);
            }
            for (Version staged : pending.values()) {
                if (staged.type().equals(type)) {
                    byId.put(staged.id(), staged);
                }
            }
            byId.values().removeIf(Version::deleted);
            return new ArrayList<>(byId.values());
        }
    }

    private final class Committed implements View {
        @Override
        public Version current(String type, String id) {
            List<Version> versions = history(type, id);
            return versions.isEmpty() ? null : versions.get(versions.size() - 1);
        }

        @Override
        public List<Version> history(String type, String id) {
            List<Version> versions = resources.getOrDefault(type, Map.of()).get(id);
            return versions == null ? List.of() : Collections.unmodifiableList(versions);
        }

        @Override
        public List<Version> live(String type) {
            List<Version> out = new ArrayList<>();
            for (List<Version> versions : resources.getOrDefault(type, Map.of()).values()) {
                Version newest = versions.get(versions.size() - 1);
                if (!newest.deleted()) {
                    out.add(newest);
                }
            }
            return out;
        }
    }

    private void commit(Batch batch) {
        if (batch.pending.isEmpty()) {
            return;
        }
        ObjectNode record = Json.object();
        record.put("commit", nextCommit);
        ArrayNode list = record.putArray("versions");
        for (Version version : batch.pending.values()) {
            list.add(toJson(version));
        }
        try {
            writeDurably(String.format("c%012d.json", nextCommit), Json.bytes(record));
        } catch (IOException e) {
            throw new FhirException(500, "exception", "cannot store the change: " + e);
        }
        nextCommit++;
        memory.writeLock().lock();
        try {
            batch.pending.values().forEach(this::apply);
        } finally {
            memory.writeLock().unlock();
        }
    }

    private void writeDurably(String name, byte[] data) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(data);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        // The rename is durable only once the directory entry is on disk too.
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    private void apply(Version version) {
        List<Version> versions = resources.computeIfAbsent(version.type(), t -> new LinkedHashMap<>())
                .computeIfAbsent(version.id(), i -> new ArrayList<>());
        if (version.number() != versions.size() + 1) {
            throw new IllegalStateException("version " + version.number() + " of " + version.type()
                    + "/" + version.id() + " follows version " + versions.size());
        }
        versions.add(version);
    }

    private void load() throws IOException {
        TreeMap<Long, Path> commits = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                Matcher m = COMMIT_FILE.matcher(name);
                if (m.matches()) {
                    commits.put(Long.parseLong(m.group(1)), file);
                } else if (name.endsWith(".tmp")) {
                    Files.delete(file); // a commit that never completed: it was never acknowledged
                }
            }
        }
        for (Map.Entry<Long, Path> commit : commits.entrySet()) {
            try {
                JsonNode record = Json.parseStored(Files.readAllBytes(commit.getValue()));
                for (JsonNode version : record.path("versions")) {
                    apply(fromJson(version));
                }
            } catch (IOException | RuntimeException e) {
                throw new IOException("corrupt commit file " + commit.getValue() + ": " + e.getMessage(), e);
            }
            nextCommit = commit.getKey() + 1;
        }
    }

    private static ObjectNode toJson(Version version) {
        ObjectNode node = Json.object();
        node.put("type", version.type());
        node.put("id", version.id());
        node.put("versionId", version.number());
        node.put("lastUpdated", version.lastUpdated().toString());
        node.set("resource", version.resource());
        return node;
    }

    private static Version fromJson(JsonNode node) {
        JsonNode resource = node.get("resource");
        if (resource != null && !resource.isNull() && !resource.isObject()) {
            throw new IllegalArgumentException("resource is not an object");
        }
        return new Version(text(node, "type"), text(node, "id"), node.path("versionId").asInt(),
                Instant.parse(text(node, "lastUpdated")),
                resource == null || resource.isNull() ? null : (ObjectNode) resource);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("missing field " + field);
        }
        return value.asText();
    }
}
