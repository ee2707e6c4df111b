using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using static PureBoot.Core.Inventory.SqlHelpers;

namespace PureBoot.Core.Inventory;

// The LUN rows of one inventory transaction (InventoryTransaction.cs has the transaction itself).
public sealed partial class InventoryTransaction
{
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
}
