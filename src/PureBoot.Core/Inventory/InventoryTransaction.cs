using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using static PureBoot.Core.Inventory.SqlHelpers;

namespace PureBoot.Core.Inventory;

/// <summary>
/// One write transaction (BEGIN IMMEDIATE) on the inventory, handed to <see cref="InventoryStore.Transact(Action{InventoryTransaction})"/>.
/// Everything done through it commits together or not at all, so a LUN state change and its audit row are atomic.
/// Reads through it see the transaction's own writes. Do not keep it after the callback returns.
/// </summary>
public sealed partial class InventoryTransaction
{
    private const string KeyCheckMetaKey = "secret_key_check";

    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction? _transaction;
    private bool _closed;

    internal InventoryTransaction(SqliteConnection connection, SqliteTransaction? transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    internal void Close() => _closed = true;

    private SqliteCommand Command(string sql)
    {
        if (_closed) throw new InvalidOperationException("this inventory transaction has ended; use the one passed to the current Transact call");
        var cmd = _connection.CreateCommand();
        cmd.Transaction = _transaction;
        cmd.CommandText = sql;
        return cmd;
    }

    // ---------------------------------------------------------------- backends

    private const string BackendColumns =
        "id, name, transport, host, port, \"user\", identity_file, use_sudo, host_key_policy, known_hosts_file, iqn_prefix, " +
        "portal_address, portal_port, storage, storage_path, mode, simulation_state_path, description, created, updated, image_directory, executor, thin_pool, max_fill_percent";

    public Backend AddBackend(Backend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var now = Now();
        using var cmd = Command(
            "INSERT INTO backends (name, transport, host, port, \"user\", identity_file, use_sudo, host_key_policy, known_hosts_file, " +
            "iqn_prefix, portal_address, portal_port, storage, storage_path, mode, simulation_state_path, description, created, updated, image_directory, executor, thin_pool, max_fill_percent) " +
            "VALUES ($name, $transport, $host, $port, $user, $identity_file, $use_sudo, $host_key_policy, $known_hosts_file, " +
            "$iqn_prefix, $portal_address, $portal_port, $storage, $storage_path, $mode, $simulation_state_path, $description, $created, $updated, $image_directory, $executor, $thin_pool, $max_fill_percent) " +
            "RETURNING id;");
        BindBackend(cmd, backend);
        cmd.Parameters.AddWithValue("$created", FormatTime(now));
        cmd.Parameters.AddWithValue("$updated", FormatTime(now));
        try
        {
            backend.Id = Convert.ToInt64(cmd.ExecuteScalar());
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw BackendConflict(ex, backend);
        }
        backend.Created = now;
        backend.Updated = now;
        return backend;
    }

    public void UpdateBackend(Backend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var now = Now();
        using var cmd = Command(
            "UPDATE backends SET name = $name, transport = $transport, host = $host, port = $port, \"user\" = $user, " +
            "identity_file = $identity_file, use_sudo = $use_sudo, host_key_policy = $host_key_policy, known_hosts_file = $known_hosts_file, " +
            "iqn_prefix = $iqn_prefix, portal_address = $portal_address, portal_port = $portal_port, storage = $storage, " +
            "storage_path = $storage_path, image_directory = $image_directory, mode = $mode, simulation_state_path = $simulation_state_path, description = $description, executor = $executor, " +
            "thin_pool = $thin_pool, max_fill_percent = $max_fill_percent, updated = $updated WHERE id = $id;");
        BindBackend(cmd, backend);
        cmd.Parameters.AddWithValue("$updated", FormatTime(now));
        cmd.Parameters.AddWithValue("$id", backend.Id);
        int rows;
        try
        {
            rows = cmd.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw BackendConflict(ex, backend);
        }
        if (rows == 0) throw new InventoryNotFoundException($"backend '{backend.Name}' (id {backend.Id}) is not in the inventory");
        backend.Updated = now;
    }

    public Backend? GetBackend(string name)
    {
        using var cmd = Command($"SELECT {BackendColumns} FROM backends WHERE name = $name;");
        cmd.Parameters.AddWithValue("$name", name);
        return ReadBackends(cmd).FirstOrDefault();
    }

    public Backend? GetBackendById(long id)
    {
        using var cmd = Command($"SELECT {BackendColumns} FROM backends WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        return ReadBackends(cmd).FirstOrDefault();
    }

    public List<Backend> ListBackends(string? nameLike = null)
    {
        using var cmd = Command("");
        var where = new List<string>();
        AddLike(where, cmd, "name", nameLike, "$name");
        cmd.CommandText = $"SELECT {BackendColumns} FROM backends{Where(where)} ORDER BY name;";
        return ReadBackends(cmd);
    }

    /// <summary>Removes a backend; refused while any LUN refers to it.</summary>
    public void RemoveBackend(string name)
    {
        var backend = GetBackend(name) ?? throw new InventoryNotFoundException($"backend '{name}' is not in the inventory");
        var luns = LunNamesWhere("backend_id = $id", backend.Id);
        if (luns.Count > 0)
            throw new InventoryConflictException(
                $"backend '{backend.Name}' cannot be removed: {Describe(luns)} still on it; remove those LUNs first");
        var images = ListImages(backendId: backend.Id);
        if (images.Count > 0)
            throw new InventoryConflictException(
                $"backend '{backend.Name}' cannot be removed: {images.Count} image versions ({string.Join(", ", images.Take(5).Select(i => i.Label))}) are still on it; remove them first (Remove-IscsiImage)");
        using var cmd = Command("DELETE FROM backends WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", backend.Id);
        try { cmd.ExecuteNonQuery(); }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new InventoryConflictException($"backend '{backend.Name}' cannot be removed: LUNs still refer to it", ex);
        }
    }

    private static void BindBackend(SqliteCommand cmd, Backend b)
    {
        cmd.Parameters.AddWithValue("$name", b.Name);
        cmd.Parameters.AddWithValue("$transport", b.Transport.ToString());
        cmd.Parameters.AddWithValue("$host", Db(b.Host));
        cmd.Parameters.AddWithValue("$port", b.Port);
        cmd.Parameters.AddWithValue("$user", Db(b.User));
        cmd.Parameters.AddWithValue("$identity_file", Db(b.IdentityFile));
        cmd.Parameters.AddWithValue("$use_sudo", b.UseSudo ? 1 : 0);
        cmd.Parameters.AddWithValue("$host_key_policy", b.HostKeyPolicy.ToString());
        cmd.Parameters.AddWithValue("$known_hosts_file", Db(b.KnownHostsFile));
        cmd.Parameters.AddWithValue("$iqn_prefix", b.IqnPrefix);
        cmd.Parameters.AddWithValue("$portal_address", b.PortalAddress);
        cmd.Parameters.AddWithValue("$portal_port", b.PortalPort);
        cmd.Parameters.AddWithValue("$storage", b.Storage.ToString());
        cmd.Parameters.AddWithValue("$storage_path", b.StoragePath);
        cmd.Parameters.AddWithValue("$image_directory", (object?)b.ImageDirectory ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$mode", b.Mode.ToString());
        cmd.Parameters.AddWithValue("$executor", b.Executor.ToString());
        cmd.Parameters.AddWithValue("$thin_pool", Db(b.ThinPool));
        cmd.Parameters.AddWithValue("$max_fill_percent", b.MaxFillPercent);
        cmd.Parameters.AddWithValue("$simulation_state_path", Db(b.SimulationStatePath));
        cmd.Parameters.AddWithValue("$description", Db(b.Description));
    }

    private static List<Backend> ReadBackends(SqliteCommand cmd)
    {
        var list = new List<Backend>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new Backend
            {
                Id = r.GetInt64Col("id"),
                Name = r.GetStringCol("name"),
                Transport = r.GetEnumCol<TransportKind>("transport"),
                Host = r.GetStringOrNull("host"),
                Port = checked((int)r.GetInt64Col("port")),
                User = r.GetStringOrNull("user"),
                IdentityFile = r.GetStringOrNull("identity_file"),
                UseSudo = r.GetBoolCol("use_sudo"),
                HostKeyPolicy = r.GetEnumCol<HostKeyPolicy>("host_key_policy"),
                KnownHostsFile = r.GetStringOrNull("known_hosts_file"),
                IqnPrefix = r.GetStringCol("iqn_prefix"),
                PortalAddress = r.GetStringCol("portal_address"),
                PortalPort = checked((int)r.GetInt64Col("portal_port")),
                Storage = r.GetEnumCol<StorageKind>("storage"),
                StoragePath = r.GetStringCol("storage_path"),
                ImageDirectory = r.GetStringOrNull("image_directory"),
                Mode = r.GetEnumCol<TargetMode>("mode"),
                Executor = r.GetEnumCol<LioExecutorKind>("executor"),
                ThinPool = r.GetStringOrNull("thin_pool"),
                MaxFillPercent = checked((int)r.GetInt64Col("max_fill_percent")),
                SimulationStatePath = r.GetStringOrNull("simulation_state_path"),
                Description = r.GetStringOrNull("description"),
                Created = r.GetTimeCol("created"),
                Updated = r.GetTimeCol("updated"),
            });
        }
        return list;
    }

    private InventoryException BackendConflict(SqliteException ex, Backend backend) =>
        ex.Message.Contains("backends.name", StringComparison.Ordinal)
            ? new InventoryConflictException($"a backend named '{backend.Name}' already exists in the inventory", ex, ConflictKind.AlreadyExists)
            : new InventoryConflictException($"backend '{backend.Name}' conflicts with the inventory: {ConstraintText(ex)}", ex);

    // ---------------------------------------------------------------- nodes

    private const string NodeColumns = "id, name, mac, initiator_iqn, hostname, description, created, updated";

    public Node AddNode(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var now = Now();
        using var cmd = Command(
            "INSERT INTO nodes (name, mac, initiator_iqn, hostname, description, created, updated) " +
            "VALUES ($name, $mac, $iqn, $hostname, $description, $created, $updated) RETURNING id;");
        BindNode(cmd, node);
        cmd.Parameters.AddWithValue("$created", FormatTime(now));
        cmd.Parameters.AddWithValue("$updated", FormatTime(now));
        try
        {
            node.Id = Convert.ToInt64(cmd.ExecuteScalar());
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw NodeConflict(ex, node);
        }
        node.Created = now;
        node.Updated = now;
        return node;
    }

    public void UpdateNode(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var now = Now();
        using var cmd = Command(
            "UPDATE nodes SET name = $name, mac = $mac, initiator_iqn = $iqn, hostname = $hostname, description = $description, " +
            "updated = $updated WHERE id = $id;");
        BindNode(cmd, node);
        cmd.Parameters.AddWithValue("$updated", FormatTime(now));
        cmd.Parameters.AddWithValue("$id", node.Id);
        int rows;
        try
        {
            rows = cmd.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw NodeConflict(ex, node);
        }
        if (rows == 0) throw new InventoryNotFoundException($"node '{node.Name}' (id {node.Id}) is not in the inventory");
        node.Updated = now;
    }

    public Node? GetNode(string name)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE name = $name;");
        cmd.Parameters.AddWithValue("$name", name);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public Node? GetNodeById(long id)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public Node? GetNodeByIqn(string initiatorIqn)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE initiator_iqn = $iqn;");
        cmd.Parameters.AddWithValue("$iqn", initiatorIqn);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public Node? GetNodeByMac(string macAddress)
    {
        using var cmd = Command($"SELECT {NodeColumns} FROM nodes WHERE mac = $mac;");
        cmd.Parameters.AddWithValue("$mac", macAddress);
        return ReadNodes(cmd).FirstOrDefault();
    }

    public List<Node> ListNodes(string? nameLike = null)
    {
        using var cmd = Command("");
        var where = new List<string>();
        AddLike(where, cmd, "name", nameLike, "$name");
        cmd.CommandText = $"SELECT {NodeColumns} FROM nodes{Where(where)} ORDER BY name;";
        return ReadNodes(cmd);
    }

    /// <summary>Removes a node; refused while any LUN is assigned to it.</summary>
    public void RemoveNode(string name)
    {
        var node = GetNode(name) ?? throw new InventoryNotFoundException($"node '{name}' is not in the inventory");
        var luns = LunNamesWhere("node_id = $id", node.Id);
        if (luns.Count > 0)
            throw new InventoryConflictException(
                $"node '{node.Name}' cannot be removed: {Describe(luns)} assigned to it; unassign those LUNs first");
        using var cmd = Command("DELETE FROM nodes WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", node.Id);
        try { cmd.ExecuteNonQuery(); }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new InventoryConflictException($"node '{node.Name}' cannot be removed: LUNs are still assigned to it", ex);
        }
    }

    private static void BindNode(SqliteCommand cmd, Node n)
    {
        cmd.Parameters.AddWithValue("$name", n.Name);
        cmd.Parameters.AddWithValue("$mac", n.MacAddress);
        cmd.Parameters.AddWithValue("$iqn", n.InitiatorIqn);
        cmd.Parameters.AddWithValue("$hostname", Db(n.Hostname));
        cmd.Parameters.AddWithValue("$description", Db(n.Description));
    }

    private static List<Node> ReadNodes(SqliteCommand cmd)
    {
        var list = new List<Node>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new Node
            {
                Id = r.GetInt64Col("id"),
                Name = r.GetStringCol("name"),
                MacAddress = r.GetStringCol("mac"),
                InitiatorIqn = r.GetStringCol("initiator_iqn"),
                Hostname = r.GetStringOrNull("hostname"),
                Description = r.GetStringOrNull("description"),
                Created = r.GetTimeCol("created"),
                Updated = r.GetTimeCol("updated"),
            });
        }
        return list;
    }

    private InventoryException NodeConflict(SqliteException ex, Node node)
    {
        string? Holder(string column, string value)
        {
            using var cmd = Command($"SELECT name FROM nodes WHERE {column} = $v AND id <> $id LIMIT 1;");
            cmd.Parameters.AddWithValue("$v", value);
            cmd.Parameters.AddWithValue("$id", node.Id);
            return cmd.ExecuteScalar() as string;
        }
        var m = ex.Message;
        if (m.Contains("nodes.name", StringComparison.Ordinal))
            return new InventoryConflictException($"a node named '{node.Name}' already exists in the inventory", ex, ConflictKind.AlreadyExists);
        if (m.Contains("nodes.mac", StringComparison.Ordinal))
            return new InventoryConflictException(
                $"MAC address {node.MacAddress} already belongs to node '{Holder("mac", node.MacAddress)}'", ex, ConflictKind.AlreadyExists);
        if (m.Contains("nodes.initiator_iqn", StringComparison.Ordinal))
            return new InventoryConflictException(
                $"initiator IQN {node.InitiatorIqn} already belongs to node '{Holder("initiator_iqn", node.InitiatorIqn)}'", ex, ConflictKind.AlreadyExists);
        return new InventoryConflictException($"node '{node.Name}' conflicts with the inventory: {ConstraintText(ex)}", ex);
    }

    // ---------------------------------------------------------------- LUNs

    private const string LunSelect =
        "SELECT l.*, b.name AS backend_name, n.name AS node_name, i.name AS image_name, i.version AS image_version, " +
        "ps.name AS previous_snapshot_name FROM luns l " +
        "JOIN backends b ON b.id = l.backend_id LEFT JOIN nodes n ON n.id = l.node_id " +
        "LEFT JOIN images i ON i.id = l.image_id LEFT JOIN snapshots ps ON ps.id = l.previous_snapshot_id";

    private const string LunValueColumns =
        "name, size_bytes, backend_id, purpose, status, error_message, storage_object_name, backing_path, target_iqn, tpg_lun_index, " +
        "node_id, initiator_iqn, mapped_lun_index, chap_enabled, chap_user, chap_secret_sealed, mutual_chap_enabled, mutual_chap_user, " +
        "mutual_chap_secret_sealed, source_image, description, pending_operation, image_id, previous_snapshot_id";

    /// <summary>Adds the LUNs (all or nothing when called through one transaction); sets Id, Created, Updated,
    /// BackendName and NodeName.</summary>
    public void AddLuns(IReadOnlyList<Lun> luns)
    {
        ArgumentNullException.ThrowIfNull(luns);
        var now = Now();
        var parameters = string.Join(", ", LunValueColumns.Split(", ").Select(c => "$" + c));
        foreach (var lun in luns)
        {
            ArgumentNullException.ThrowIfNull(lun);
            using var cmd = Command(
                $"INSERT INTO luns ({LunValueColumns}, created, updated) VALUES ({parameters}, $created, $updated) RETURNING id;");
            BindLun(cmd, lun);
            cmd.Parameters.AddWithValue("$created", FormatTime(now));
            cmd.Parameters.AddWithValue("$updated", FormatTime(now));
            try
            {
                lun.Id = Convert.ToInt64(cmd.ExecuteScalar());
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
            {
                throw LunConflict(ex, lun);
            }
            lun.Created = now;
            lun.Updated = now;
            RefreshLunNames(lun);
        }
    }

    /// <summary>Writes every column of each LUN (sealed secrets included) and sets Updated to now.</summary>
    public void UpdateLuns(IReadOnlyList<Lun> luns)
    {
        ArgumentNullException.ThrowIfNull(luns);
        var now = Now();
        var assignments = string.Join(", ", LunValueColumns.Split(", ").Select(c => $"{c} = ${c}"));
        foreach (var lun in luns)
        {
            ArgumentNullException.ThrowIfNull(lun);
            using var cmd = Command($"UPDATE luns SET {assignments}, updated = $updated WHERE id = $id;");
            BindLun(cmd, lun);
            cmd.Parameters.AddWithValue("$updated", FormatTime(now));
            cmd.Parameters.AddWithValue("$id", lun.Id);
            int rows;
            try
            {
                rows = cmd.ExecuteNonQuery();
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
            {
                throw LunConflict(ex, lun);
            }
            if (rows == 0) throw new InventoryNotFoundException($"LUN '{lun.Name}' (id {lun.Id}) is not in the inventory");
            lun.Updated = now;
            RefreshLunNames(lun);
        }
    }

    /// <summary>Deletes the LUNs with these ids; an id that is not there fails the whole call.</summary>
    public void DeleteLuns(IReadOnlyList<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var id in ids)
        {
            using var cmd = Command("DELETE FROM luns WHERE id = $id;");
            cmd.Parameters.AddWithValue("$id", id);
            if (cmd.ExecuteNonQuery() == 0)
                throw new InventoryNotFoundException($"LUN id {id} is not in the inventory (already removed?)");
        }
    }

    public Lun? GetLun(string name)
    {
        using var cmd = Command($"{LunSelect} WHERE l.name = $name;");
        cmd.Parameters.AddWithValue("$name", name);
        return ReadLuns(cmd).FirstOrDefault();
    }

    public Lun? GetLunById(long id)
    {
        using var cmd = Command($"{LunSelect} WHERE l.id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        return ReadLuns(cmd).FirstOrDefault();
    }

    public List<Lun> ListLuns(LunFilter? filter = null)
    {
        filter ??= new LunFilter();
        using var cmd = Command("");
        var where = new List<string>();
        AddLike(where, cmd, "l.name", filter.NameLike, "$name");
        AddLike(where, cmd, "b.name", filter.Backend, "$backend");
        AddLike(where, cmd, "n.name", filter.Node, "$node");
        if (filter.Status is { } status)
        {
            where.Add("l.status = $status");
            cmd.Parameters.AddWithValue("$status", status.ToString());
        }
        if (filter.Purpose is { } purpose)
        {
            where.Add("l.purpose = $purpose");
            cmd.Parameters.AddWithValue("$purpose", purpose.ToString());
        }
        cmd.CommandText = $"{LunSelect}{Where(where)} ORDER BY l.name;";
        return ReadLuns(cmd);
    }

    /// <summary>Every LUN on a backend, ordered by target and LUN index (for allocating names and indexes).</summary>
    public List<Lun> ListLunsOnTarget(long backendId)
    {
        using var cmd = Command($"{LunSelect} WHERE l.backend_id = $id ORDER BY l.target_iqn, l.tpg_lun_index, l.id;");
        cmd.Parameters.AddWithValue("$id", backendId);
        return ReadLuns(cmd);
    }

    private static void BindLun(SqliteCommand cmd, Lun l)
    {
        cmd.Parameters.AddWithValue("$name", l.Name);
        cmd.Parameters.AddWithValue("$size_bytes", l.SizeBytes);
        cmd.Parameters.AddWithValue("$backend_id", l.BackendId);
        cmd.Parameters.AddWithValue("$purpose", l.Purpose.ToString());
        cmd.Parameters.AddWithValue("$status", l.Status.ToString());
        cmd.Parameters.AddWithValue("$error_message", Db(l.ErrorMessage));
        cmd.Parameters.AddWithValue("$storage_object_name", Db(l.StorageObjectName));
        cmd.Parameters.AddWithValue("$backing_path", Db(l.BackingPath));
        cmd.Parameters.AddWithValue("$target_iqn", Db(l.TargetIqn));
        cmd.Parameters.AddWithValue("$tpg_lun_index", Db(l.TpgLunIndex));
        cmd.Parameters.AddWithValue("$node_id", Db(l.NodeId));
        cmd.Parameters.AddWithValue("$initiator_iqn", Db(l.InitiatorIqn));
        cmd.Parameters.AddWithValue("$mapped_lun_index", Db(l.MappedLunIndex));
        cmd.Parameters.AddWithValue("$chap_enabled", l.ChapEnabled ? 1 : 0);
        cmd.Parameters.AddWithValue("$chap_user", Db(l.ChapUser));
        cmd.Parameters.Add("$chap_secret_sealed", SqliteType.Blob).Value = Db(l.ChapSecretSealed);
        cmd.Parameters.AddWithValue("$mutual_chap_enabled", l.MutualChapEnabled ? 1 : 0);
        cmd.Parameters.AddWithValue("$mutual_chap_user", Db(l.MutualChapUser));
        cmd.Parameters.Add("$mutual_chap_secret_sealed", SqliteType.Blob).Value = Db(l.MutualChapSecretSealed);
        cmd.Parameters.AddWithValue("$source_image", Db(l.SourceImage));
        cmd.Parameters.AddWithValue("$description", Db(l.Description));
        cmd.Parameters.AddWithValue("$pending_operation", Db(l.PendingOperation?.Text));
        cmd.Parameters.AddWithValue("$image_id", Db(l.ImageId));
        cmd.Parameters.AddWithValue("$previous_snapshot_id", Db(l.PreviousSnapshotId));
    }

    private static List<Lun> ReadLuns(SqliteCommand cmd)
    {
        var list = new List<Lun>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new Lun
            {
                Id = r.GetInt64Col("id"),
                Name = r.GetStringCol("name"),
                SizeBytes = r.GetInt64Col("size_bytes"),
                BackendId = r.GetInt64Col("backend_id"),
                BackendName = r.GetStringCol("backend_name"),
                Purpose = r.GetEnumCol<LunPurpose>("purpose"),
                Status = r.GetEnumCol<LunStatus>("status"),
                ErrorMessage = r.GetStringOrNull("error_message"),
                StorageObjectName = r.GetStringOrNull("storage_object_name"),
                BackingPath = r.GetStringOrNull("backing_path"),
                TargetIqn = r.GetStringOrNull("target_iqn"),
                TpgLunIndex = r.GetInt32OrNull("tpg_lun_index"),
                NodeId = r.GetInt64OrNull("node_id"),
                NodeName = r.GetStringOrNull("node_name"),
                InitiatorIqn = r.GetStringOrNull("initiator_iqn"),
                MappedLunIndex = r.GetInt32OrNull("mapped_lun_index"),
                ChapEnabled = r.GetBoolCol("chap_enabled"),
                ChapUser = r.GetStringOrNull("chap_user"),
                ChapSecretSealed = r.GetBlobOrNull("chap_secret_sealed"),
                MutualChapEnabled = r.GetBoolCol("mutual_chap_enabled"),
                MutualChapUser = r.GetStringOrNull("mutual_chap_user"),
                MutualChapSecretSealed = r.GetBlobOrNull("mutual_chap_secret_sealed"),
                SourceImage = r.GetStringOrNull("source_image"),
                Description = r.GetStringOrNull("description"),
                PendingOperation = PendingOperation.Parse(r.GetStringOrNull("pending_operation")),
                ImageId = r.GetInt64OrNull("image_id"),
                ImageName = r.GetStringOrNull("image_name"),
                ImageVersion = r.GetInt32OrNull("image_version"),
                PreviousSnapshotId = r.GetInt64OrNull("previous_snapshot_id"),
                PreviousSnapshot = r.GetStringOrNull("previous_snapshot_name"),
                Created = r.GetTimeCol("created"),
                Updated = r.GetTimeCol("updated"),
            });
        }
        return list;
    }

    private void RefreshLunNames(Lun lun)
    {
        using var cmd = Command(
            "SELECT b.name, n.name, i.name, i.version, ps.name FROM luns l JOIN backends b ON b.id = l.backend_id LEFT JOIN nodes n ON n.id = l.node_id " +
            "LEFT JOIN images i ON i.id = l.image_id LEFT JOIN snapshots ps ON ps.id = l.previous_snapshot_id WHERE l.id = $id;");
        cmd.Parameters.AddWithValue("$id", lun.Id);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return;
        lun.BackendName = r.GetString(0);
        lun.NodeName = r.IsDBNull(1) ? null : r.GetString(1);
        lun.ImageName = r.IsDBNull(2) ? null : r.GetString(2);
        lun.ImageVersion = r.IsDBNull(3) ? null : checked((int)r.GetInt64(3));
        lun.PreviousSnapshot = r.IsDBNull(4) ? null : r.GetString(4);
    }

    private InventoryException LunConflict(SqliteException ex, Lun lun)
    {
        string? Holder(string where, params (string Name, object? Value)[] values)
        {
            using var cmd = Command($"SELECT name FROM luns WHERE {where} AND id <> $self LIMIT 1;");
            foreach (var (n, v) in values) cmd.Parameters.AddWithValue(n, Db(v));
            cmd.Parameters.AddWithValue("$self", lun.Id);
            return cmd.ExecuteScalar() as string;
        }
        var m = ex.Message;
        if (m.Contains("luns.name", StringComparison.Ordinal))
            return new InventoryConflictException($"a LUN named '{lun.Name}' already exists in the inventory", ex, ConflictKind.AlreadyExists);
        if (m.Contains("luns.target_iqn", StringComparison.Ordinal))
            return new InventoryConflictException(
                $"LUN '{lun.Name}': LUN index {lun.TpgLunIndex} on target {lun.TargetIqn} is already used by LUN " +
                $"'{Holder("target_iqn = $t AND tpg_lun_index = $i", ("$t", lun.TargetIqn), ("$i", lun.TpgLunIndex))}'", ex);
        if (m.Contains("luns.storage_object_name", StringComparison.Ordinal))
            return new InventoryConflictException(
                $"LUN '{lun.Name}': storage object '{lun.StorageObjectName}' on this backend is already used by LUN " +
                $"'{Holder("backend_id = $b AND storage_object_name = $s", ("$b", lun.BackendId), ("$s", lun.StorageObjectName))}'", ex);
        if (m.Contains("FOREIGN KEY", StringComparison.OrdinalIgnoreCase))
            return new InventoryNotFoundException(
                $"LUN '{lun.Name}' refers to a backend (id {lun.BackendId}) or node (id {lun.NodeId?.ToString() ?? "none"}) that is not in the inventory", ex);
        return new InventoryConflictException($"LUN '{lun.Name}' conflicts with the inventory: {ConstraintText(ex)}", ex);
    }

    private List<string> LunNamesWhere(string where, long id)
    {
        using var cmd = Command($"SELECT name FROM luns WHERE {where} ORDER BY name;");
        cmd.Parameters.AddWithValue("$id", id);
        var names = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) names.Add(r.GetString(0));
        return names;
    }

    private static string Describe(List<string> lunNames)
    {
        var shown = string.Join(", ", lunNames.Take(5).Select(n => $"'{n}'"));
        if (lunNames.Count > 5) shown += $" and {lunNames.Count - 5} more";
        return lunNames.Count == 1 ? $"LUN {shown} is" : $"{lunNames.Count} LUNs ({shown}) are";
    }

    // ---------------------------------------------------------------- audit

    /// <summary>Appends an audit row; fills Time (now, UTC) when unset and User (the OS user) when empty. Sets Id.</summary>
    public void WriteAudit(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Time == default) entry.Time = Now();
        if (string.IsNullOrEmpty(entry.User)) entry.User = Environment.UserName;
        using var cmd = Command(
            "INSERT INTO audit (time, \"user\", operation, object_type, object_name, outcome, message) " +
            "VALUES ($time, $user, $operation, $object_type, $object_name, $outcome, $message) RETURNING id;");
        cmd.Parameters.AddWithValue("$time", FormatTime(entry.Time));
        cmd.Parameters.AddWithValue("$user", entry.User);
        cmd.Parameters.AddWithValue("$operation", entry.Operation ?? "");
        cmd.Parameters.AddWithValue("$object_type", entry.ObjectType ?? "");
        cmd.Parameters.AddWithValue("$object_name", entry.ObjectName ?? "");
        cmd.Parameters.AddWithValue("$outcome", entry.Outcome.ToString());
        cmd.Parameters.AddWithValue("$message", Db(entry.Message));
        entry.Id = Convert.ToInt64(cmd.ExecuteScalar());
    }

    /// <summary>Audit rows matching the filter, oldest first.</summary>
    public List<AuditEntry> ListAudit(AuditFilter? filter = null)
    {
        filter ??= new AuditFilter();
        using var cmd = Command("");
        var where = new List<string>();
        if (filter.Since is { } since)
        {
            where.Add("time >= $since");
            cmd.Parameters.AddWithValue("$since", FormatTime(since));
        }
        if (filter.Until is { } until)
        {
            where.Add("time <= $until");
            cmd.Parameters.AddWithValue("$until", FormatTime(until));
        }
        AddLike(where, cmd, "object_name", filter.ObjectName, "$object_name");
        AddLike(where, cmd, "object_type", filter.ObjectType, "$object_type");
        AddLike(where, cmd, "operation", filter.Operation, "$operation");
        if (filter.Outcome is { } outcome)
        {
            where.Add("outcome = $outcome");
            cmd.Parameters.AddWithValue("$outcome", outcome.ToString());
        }
        const string columns = "id, time, \"user\", operation, object_type, object_name, outcome, message";
        if (filter.Last is { } last)
        {
            if (last < 0) throw new ArgumentOutOfRangeException(nameof(filter), "Last must be 0 or more");
            cmd.Parameters.AddWithValue("$last", last);
            cmd.CommandText =
                $"SELECT {columns} FROM (SELECT {columns} FROM audit{Where(where)} ORDER BY id DESC LIMIT $last) ORDER BY id;";
        }
        else
        {
            cmd.CommandText = $"SELECT {columns} FROM audit{Where(where)} ORDER BY id;";
        }

        var list = new List<AuditEntry>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new AuditEntry
            {
                Id = r.GetInt64Col("id"),
                Time = r.GetTimeCol("time"),
                User = r.GetStringCol("user"),
                Operation = r.GetStringCol("operation"),
                ObjectType = r.GetStringCol("object_type"),
                ObjectName = r.GetStringCol("object_name"),
                Outcome = r.GetEnumCol<AuditOutcome>("outcome"),
                Message = r.GetStringOrNull("message"),
            });
        }
        return list;
    }

    // ---------------------------------------------------------------- meta

    internal byte[]? GetMeta(string key)
    {
        using var cmd = Command("SELECT value FROM meta WHERE key = $key;");
        cmd.Parameters.AddWithValue("$key", key);
        var value = cmd.ExecuteScalar();
        return value switch
        {
            null or DBNull => null,
            byte[] bytes => bytes,
            string s => System.Text.Encoding.UTF8.GetBytes(s),
            _ => throw new InventoryException($"the inventory's meta value '{key}' has an unexpected type"),
        };
    }

    internal void SetMeta(string key, byte[] value)
    {
        using var cmd = Command("INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value;");
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.Add("$value", SqliteType.Blob).Value = value;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Stores the key check value on first use; afterwards throws SecretDecryptionException if the key differs.</summary>
    public void EnsureKeyCheck(Secrets.SecretBox box)
    {
        ArgumentNullException.ThrowIfNull(box);
        var stored = GetMeta(KeyCheckMetaKey);
        if (stored is null) SetMeta(KeyCheckMetaKey, box.ComputeKeyCheck());
        else box.VerifyKeyCheck(stored);
    }

    // ---------------------------------------------------------------- helpers

    private static string Where(List<string> clauses) => clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", clauses);

    private static string ConstraintText(SqliteException ex)
    {
        var m = ex.Message;
        var start = m.IndexOf('\'');
        var end = m.LastIndexOf('\'');
        return start >= 0 && end > start ? m[(start + 1)..end] : m;
    }
}
