using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using static PureBoot.Core.Inventory.SqlHelpers;

namespace PureBoot.Core.Inventory;

// The backend rows of one inventory transaction (InventoryTransaction.cs has the transaction itself).
public sealed partial class InventoryTransaction
{
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
}
