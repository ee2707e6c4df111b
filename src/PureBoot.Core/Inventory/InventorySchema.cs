using Microsoft.Data.Sqlite;

namespace PureBoot.Core.Inventory;

/// <summary>Schema migrations, applied forward in order; PRAGMA user_version holds the number applied.</summary>
internal static class InventorySchema
{
    /// <summary>Migration N (1-based) brings the schema from version N-1 to N. Append only; never edit a released one.</summary>
    public static readonly IReadOnlyList<string> Migrations =
    [
        // v1: initial schema.
        """
        CREATE TABLE backends (
            id                    INTEGER PRIMARY KEY AUTOINCREMENT,
            name                  TEXT NOT NULL COLLATE NOCASE UNIQUE,
            transport             TEXT NOT NULL,
            host                  TEXT,
            port                  INTEGER NOT NULL,
            "user"                TEXT,
            identity_file         TEXT,
            use_sudo              INTEGER NOT NULL DEFAULT 0,
            host_key_policy       TEXT NOT NULL,
            known_hosts_file      TEXT,
            iqn_prefix            TEXT NOT NULL,
            portal_address        TEXT NOT NULL,
            portal_port           INTEGER NOT NULL,
            storage               TEXT NOT NULL,
            storage_path          TEXT NOT NULL,
            mode                  TEXT NOT NULL,
            simulation_state_path TEXT,
            description           TEXT,
            created               TEXT NOT NULL,
            updated               TEXT NOT NULL
        );

        CREATE TABLE nodes (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
            mac           TEXT NOT NULL COLLATE NOCASE UNIQUE,
            initiator_iqn TEXT NOT NULL COLLATE NOCASE UNIQUE,
            hostname      TEXT,
            description   TEXT,
            created       TEXT NOT NULL,
            updated       TEXT NOT NULL
        );

        CREATE TABLE luns (
            id                        INTEGER PRIMARY KEY AUTOINCREMENT,
            name                      TEXT NOT NULL COLLATE NOCASE UNIQUE,
            size_bytes                INTEGER NOT NULL,
            backend_id                INTEGER NOT NULL REFERENCES backends(id) ON DELETE RESTRICT,
            purpose                   TEXT NOT NULL,
            status                    TEXT NOT NULL,
            error_message             TEXT,
            storage_object_name       TEXT,
            backing_path              TEXT,
            target_iqn                TEXT COLLATE NOCASE,
            tpg_lun_index             INTEGER,
            node_id                   INTEGER REFERENCES nodes(id) ON DELETE RESTRICT,
            initiator_iqn             TEXT,
            mapped_lun_index          INTEGER,
            chap_enabled              INTEGER NOT NULL DEFAULT 0,
            chap_user                 TEXT,
            chap_secret_sealed        BLOB,
            mutual_chap_enabled       INTEGER NOT NULL DEFAULT 0,
            mutual_chap_user          TEXT,
            mutual_chap_secret_sealed BLOB,
            source_image              TEXT,
            description               TEXT,
            pending_operation         TEXT,
            created                   TEXT NOT NULL,
            updated                   TEXT NOT NULL,
            UNIQUE (target_iqn, tpg_lun_index),
            UNIQUE (backend_id, storage_object_name)
        );
        CREATE INDEX luns_node_id ON luns(node_id);

        CREATE TABLE audit (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            time        TEXT NOT NULL,
            "user"      TEXT NOT NULL,
            operation   TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_name TEXT NOT NULL,
            outcome     TEXT NOT NULL,
            message     TEXT
        );
        CREATE INDEX audit_time ON audit(time);
        CREATE INDEX audit_object_name ON audit(object_name);

        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value BLOB
        );
        """,
        // v2: golden-image directory per backend; one mapped LUN index per ACL.
        """
        ALTER TABLE backends ADD COLUMN image_directory TEXT;
        CREATE UNIQUE INDEX luns_acl_mapped_lun ON luns(target_iqn, initiator_iqn, mapped_lun_index);
        """,
        // v3: how LIO changes are applied. Backends made before it keep targetcli (what they used); new ones get rtslib.
        """
        ALTER TABLE backends ADD COLUMN executor TEXT NOT NULL DEFAULT 'Targetcli';
        """,
        // v4: the disk lifecycle: versioned images, LUN snapshots, each LUN's lineage, thin pools and fill limits.
        """
        ALTER TABLE backends ADD COLUMN thin_pool TEXT;
        ALTER TABLE backends ADD COLUMN max_fill_percent INTEGER NOT NULL DEFAULT 90;

        CREATE TABLE images (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            backend_id      INTEGER NOT NULL REFERENCES backends(id) ON DELETE RESTRICT,
            name            TEXT NOT NULL COLLATE NOCASE,
            version         INTEGER NOT NULL,
            path            TEXT NOT NULL,
            size_bytes      INTEGER NOT NULL,
            allocated_bytes INTEGER NOT NULL,
            source          TEXT NOT NULL,
            status          TEXT NOT NULL,
            description     TEXT,
            created         TEXT NOT NULL,
            UNIQUE (backend_id, name, version),
            UNIQUE (backend_id, path)
        );

        CREATE TABLE snapshots (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            lun_id      INTEGER NOT NULL REFERENCES luns(id) ON DELETE RESTRICT,
            name        TEXT NOT NULL COLLATE NOCASE,
            path        TEXT NOT NULL,
            size_bytes  INTEGER NOT NULL,
            image_id    INTEGER REFERENCES images(id) ON DELETE RESTRICT,
            status      TEXT NOT NULL,
            description TEXT,
            created     TEXT NOT NULL,
            UNIQUE (lun_id, name)
        );
        CREATE INDEX snapshots_image ON snapshots(image_id);

        ALTER TABLE luns ADD COLUMN image_id INTEGER REFERENCES images(id);
        ALTER TABLE luns ADD COLUMN previous_snapshot_id INTEGER REFERENCES snapshots(id);
        CREATE INDEX luns_image ON luns(image_id);
        """,
    ];

    public static int LatestVersion => Migrations.Count;

    public static int GetVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(cmd.ExecuteScalar());
    }
}
