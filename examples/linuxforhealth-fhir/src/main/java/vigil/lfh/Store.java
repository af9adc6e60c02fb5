package vigil.lfh;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/**
 * Resource versions in a relational database (embedded Derby by default) reached through the
 * Liberty data source jdbc/fhir, as the LinuxForHealth server keeps them: every version is a
 * row (a deletion is a version without content), and one row per resource names the current
 * version. Writers are serialised by the caller; readers see committed data only.
 */
public final class Store {
    public record Version(int version, boolean deleted, String lastUpdated, String json) {}

    private final DataSource dataSource;

    public Store() {
        try {
            dataSource = (DataSource) new InitialContext().lookup("jdbc/fhir");
        } catch (NamingException e) {
            throw new IllegalStateException("no data source jdbc/fhir (see server.xml)", e);
        }
    }

    public Connection connect() throws SQLException {
        return dataSource.getConnection();
    }

    /** Creates the tables on first use. */
    public void init() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String ddl : new String[] {
                    "CREATE TABLE RESOURCE_VERSIONS (RTYPE VARCHAR(64) NOT NULL, RID VARCHAR(64) NOT NULL,"
                            + " VERSION INT NOT NULL, DELETED SMALLINT NOT NULL, LAST_UPDATED VARCHAR(40) NOT NULL,"
                            + " DATA CLOB, PRIMARY KEY (RTYPE, RID, VERSION))",
                    "CREATE TABLE LOGICAL_RESOURCES (RTYPE VARCHAR(64) NOT NULL, RID VARCHAR(64) NOT NULL,"
                            + " VERSION INT NOT NULL, DELETED SMALLINT NOT NULL, PRIMARY KEY (RTYPE, RID))"}) {
                try {
                    s.execute(ddl);
                } catch (SQLException e) {
                    if (!"X0Y32".equals(e.getSQLState())) { // already exists
                        throw e;
                    }
                }
            }
        }
    }

    /** The current version of Type/id, or null if it was never stored. */
    public Version current(Connection c, String type, String id) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT VERSION FROM LOGICAL_RESOURCES WHERE RTYPE = ? AND RID = ?")) {
            p.setString(1, type);
            p.setString(2, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? version(c, type, id, r.getInt(1)) : null;
            }
        }
    }

    public Version version(Connection c, String type, String id, int version) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT VERSION, DELETED, LAST_UPDATED, DATA"
                + " FROM RESOURCE_VERSIONS WHERE RTYPE = ? AND RID = ? AND VERSION = ?")) {
            p.setString(1, type);
            p.setString(2, id);
            p.setInt(3, version);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? row(r) : null;
            }
        }
    }

    /** All versions, newest first. */
    public List<Version> history(Connection c, String type, String id) throws SQLException {
        List<Version> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT VERSION, DELETED, LAST_UPDATED, DATA"
                + " FROM RESOURCE_VERSIONS WHERE RTYPE = ? AND RID = ? ORDER BY VERSION DESC")) {
            p.setString(1, type);
            p.setString(2, id);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(row(r));
                }
            }
        }
        return out;
    }

    /** The content of every live resource of one type, optionally only the one with this id. */
    public List<String> live(Connection c, String type, String onlyId) throws SQLException {
        List<String> out = new ArrayList<>();
        String sql = "SELECT V.DATA FROM LOGICAL_RESOURCES L JOIN RESOURCE_VERSIONS V"
                + " ON V.RTYPE = L.RTYPE AND V.RID = L.RID AND V.VERSION = L.VERSION"
                + " WHERE L.RTYPE = ? AND L.DELETED = 0" + (onlyId != null ? " AND L.RID = ?" : "")
                + " ORDER BY L.RID";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, type);
            if (onlyId != null) {
                p.setString(2, onlyId);
            }
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }

    /** Adds a version (json null for a deletion) and makes it the current one. */
    public void put(Connection c, String type, String id, int version, String lastUpdated, String json)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO RESOURCE_VERSIONS"
                + " (RTYPE, RID, VERSION, DELETED, LAST_UPDATED, DATA) VALUES (?, ?, ?, ?, ?, ?)")) {
            p.setString(1, type);
            p.setString(2, id);
            p.setInt(3, version);
            p.setShort(4, (short) (json == null ? 1 : 0));
            p.setString(5, lastUpdated);
            p.setString(6, json);
            p.executeUpdate();
        }
        String sql = version == 1
                ? "INSERT INTO LOGICAL_RESOURCES (VERSION, DELETED, RTYPE, RID) VALUES (?, ?, ?, ?)"
                : "UPDATE LOGICAL_RESOURCES SET VERSION = ?, DELETED = ? WHERE RTYPE = ? AND RID = ?";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setInt(1, version);
            p.setShort(2, (short) (json == null ? 1 : 0));
            p.setString(3, type);
            p.setString(4, id);
            if (p.executeUpdate() != 1) {
                throw new SQLException("no logical resource " + type + "/" + id);
            }
        }
    }

    private static Version row(ResultSet r) throws SQLException {
        return new Version(r.getInt(1), r.getShort(2) != 0, r.getString(3), r.getString(4));
    }
}
