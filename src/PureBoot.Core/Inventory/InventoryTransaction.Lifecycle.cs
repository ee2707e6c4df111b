using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using static PureBoot.Core.Inventory.SqlHelpers;

namespace PureBoot.Core.Inventory;

// Images (versioned, immutable once Ready) and LUN snapshots. Lineage lives on the LUN rows (image_id,
// previous_snapshot_id); these tables only hold what is on the host and where it came from.
public sealed partial class InventoryTransaction
{
    // ---------------------------------------------------------------- images

    private const string ImageSelect =
        "SELECT i.*, b.name AS backend_name FROM images i JOIN backends b ON b.id = i.backend_id";

    public DiskImage AddImage(DiskImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var now = Now();
        using var cmd = Command(
            "INSERT INTO images (backend_id, name, version, path, size_bytes, allocated_bytes, source, status, description, created) " +
            "VALUES ($backend_id, $name, $version, $path, $size, $allocated, $source, $status, $description, $created) RETURNING id;");
        BindImage(cmd, image);
        cmd.Parameters.AddWithValue("$created", FormatTime(now));
        try { image.Id = Convert.ToInt64(cmd.ExecuteScalar()); }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new InventoryConflictException($"image {image.Label} (or its path {image.Path}) already exists on backend '{image.BackendName}'", ex, ConflictKind.AlreadyExists);
        }
        image.Created = now;
        return image;
    }

    /// <summary>Writes what may change on an image row: its status, size and allocation (while it is being registered).</summary>
    public void UpdateImage(DiskImage image)
    {
        using var cmd = Command("UPDATE images SET status = $status, size_bytes = $size, allocated_bytes = $allocated WHERE id = $id;");
        cmd.Parameters.AddWithValue("$status", image.Status.ToString());
        cmd.Parameters.AddWithValue("$size", image.SizeBytes);
        cmd.Parameters.AddWithValue("$allocated", image.AllocatedBytes);
        cmd.Parameters.AddWithValue("$id", image.Id);
        if (cmd.ExecuteNonQuery() == 0) throw new InventoryNotFoundException($"image {image.Label} (id {image.Id}) is not in the inventory");
    }

    /// <summary>Deletes an image row; LUNs and snapshots must no longer refer to it (see <see cref="DetachImage"/>).</summary>
    public void DeleteImage(long id)
    {
        using var cmd = Command("DELETE FROM images WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        try
        {
            if (cmd.ExecuteNonQuery() == 0) throw new InventoryNotFoundException($"image id {id} is not in the inventory (already removed?)");
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new InventoryConflictException($"image id {id} is still the lineage of LUNs or snapshots", ex);
        }
    }

    /// <summary>Forgets that snapshots (and, with <paramref name="luns"/>, LUNs) came from this image (their data is independent of it).</summary>
    public void DetachImage(long id, bool luns = true)
    {
        var statements = new List<string> { "UPDATE snapshots SET image_id = NULL WHERE image_id = $id;" };
        if (luns) statements.Add("UPDATE luns SET image_id = NULL WHERE image_id = $id;");
        foreach (var sql in statements)
        {
            using var cmd = Command(sql);
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
    }

    public DiskImage? GetImage(long backendId, string name, int version)
    {
        using var cmd = Command($"{ImageSelect} WHERE i.backend_id = $b AND i.name = $name AND i.version = $v;");
        cmd.Parameters.AddWithValue("$b", backendId);
        cmd.Parameters.AddWithValue("$name", name);
        cmd.Parameters.AddWithValue("$v", version);
        return ReadImages(cmd).FirstOrDefault();
    }

    public DiskImage? GetImageById(long id)
    {
        using var cmd = Command($"{ImageSelect} WHERE i.id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        return ReadImages(cmd).FirstOrDefault();
    }

    /// <summary>Image versions, with the LUNs using each; name and backend take wildcards. Ordered by backend, name, version.</summary>
    public List<DiskImage> ListImages(string? nameLike = null, string? backendLike = null, long? backendId = null)
    {
        using var cmd = Command("");
        var where = new List<string>();
        AddLike(where, cmd, "i.name", nameLike, "$name");
        AddLike(where, cmd, "b.name", backendLike, "$backend");
        if (backendId is { } id) { where.Add("i.backend_id = $bid"); cmd.Parameters.AddWithValue("$bid", id); }
        cmd.CommandText = $"{ImageSelect}{(where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))} ORDER BY b.name, i.name, i.version;";
        var images = ReadImages(cmd);
        if (images.Count == 0) return images;
        using var users = Command("SELECT image_id, name FROM luns WHERE image_id IS NOT NULL ORDER BY name;");
        var byImage = new Dictionary<long, List<string>>();
        using (var r = users.ExecuteReader())
            while (r.Read())
            {
                if (!byImage.TryGetValue(r.GetInt64(0), out var list)) byImage[r.GetInt64(0)] = list = new();
                list.Add(r.GetString(1));
            }
        foreach (var i in images) i.Luns = byImage.TryGetValue(i.Id, out var l) ? l : new List<string>();
        return images;
    }

    /// <summary>The highest version number ever registered for an image name on a backend (0 when none).</summary>
    public int LatestImageVersion(long backendId, string name)
    {
        using var cmd = Command("SELECT COALESCE(MAX(version), 0) FROM images WHERE backend_id = $b AND name = $name;");
        cmd.Parameters.AddWithValue("$b", backendId);
        cmd.Parameters.AddWithValue("$name", name);
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    private static void BindImage(SqliteCommand cmd, DiskImage i)
    {
        cmd.Parameters.AddWithValue("$backend_id", i.BackendId);
        cmd.Parameters.AddWithValue("$name", i.Name);
        cmd.Parameters.AddWithValue("$version", i.Version);
        cmd.Parameters.AddWithValue("$path", i.Path);
        cmd.Parameters.AddWithValue("$size", i.SizeBytes);
        cmd.Parameters.AddWithValue("$allocated", i.AllocatedBytes);
        cmd.Parameters.AddWithValue("$source", i.Source);
        cmd.Parameters.AddWithValue("$status", i.Status.ToString());
        cmd.Parameters.AddWithValue("$description", Db(i.Description));
    }

    private static List<DiskImage> ReadImages(SqliteCommand cmd)
    {
        var list = new List<DiskImage>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new DiskImage
            {
                Id = r.GetInt64Col("id"), BackendId = r.GetInt64Col("backend_id"), BackendName = r.GetStringCol("backend_name"),
                Name = r.GetStringCol("name"), Version = checked((int)r.GetInt64Col("version")), Path = r.GetStringCol("path"),
                SizeBytes = r.GetInt64Col("size_bytes"), AllocatedBytes = r.GetInt64Col("allocated_bytes"), Source = r.GetStringCol("source"),
                Status = r.GetEnumCol<ImageStatus>("status"), Description = r.GetStringOrNull("description"), Created = r.GetTimeCol("created"),
            });
        return list;
    }

    // ---------------------------------------------------------------- snapshots

    private const string SnapshotSelect =
        "SELECT s.*, l.name AS lun_name, b.name AS backend_name, i.name AS image_name, i.version AS image_version FROM snapshots s " +
        "JOIN luns l ON l.id = s.lun_id JOIN backends b ON b.id = l.backend_id LEFT JOIN images i ON i.id = s.image_id";

    public LunSnapshot AddSnapshot(LunSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var now = Now();
        using var cmd = Command(
            "INSERT INTO snapshots (lun_id, name, path, size_bytes, image_id, status, description, created) " +
            "VALUES ($lun_id, $name, $path, $size, $image_id, $status, $description, $created) RETURNING id;");
        cmd.Parameters.AddWithValue("$lun_id", snapshot.LunId);
        cmd.Parameters.AddWithValue("$name", snapshot.SnapshotName);
        cmd.Parameters.AddWithValue("$path", snapshot.Path);
        cmd.Parameters.AddWithValue("$size", snapshot.SizeBytes);
        cmd.Parameters.AddWithValue("$image_id", Db(snapshot.ImageId));
        cmd.Parameters.AddWithValue("$status", snapshot.Status.ToString());
        cmd.Parameters.AddWithValue("$description", Db(snapshot.Description));
        cmd.Parameters.AddWithValue("$created", FormatTime(now));
        try { snapshot.Id = Convert.ToInt64(cmd.ExecuteScalar()); }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new InventoryConflictException($"LUN '{snapshot.LunName}' already has a snapshot named '{snapshot.SnapshotName}'", ex, ConflictKind.AlreadyExists);
        }
        snapshot.Created = now;
        return snapshot;
    }

    public void SetSnapshotStatus(long id, SnapshotStatus status)
    {
        using var cmd = Command("UPDATE snapshots SET status = $status WHERE id = $id;");
        cmd.Parameters.AddWithValue("$status", status.ToString());
        cmd.Parameters.AddWithValue("$id", id);
        if (cmd.ExecuteNonQuery() == 0) throw new InventoryNotFoundException($"snapshot id {id} is not in the inventory");
    }

    /// <summary>Deletes a snapshot row; a LUN that recorded it as its previous disk forgets it.</summary>
    public void DeleteSnapshot(long id)
    {
        using (var clear = Command("UPDATE luns SET previous_snapshot_id = NULL WHERE previous_snapshot_id = $id;"))
        {
            clear.Parameters.AddWithValue("$id", id);
            clear.ExecuteNonQuery();
        }
        using var cmd = Command("DELETE FROM snapshots WHERE id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        if (cmd.ExecuteNonQuery() == 0) throw new InventoryNotFoundException($"snapshot id {id} is not in the inventory (already removed?)");
    }

    public LunSnapshot? GetSnapshot(long lunId, string name)
    {
        using var cmd = Command($"{SnapshotSelect} WHERE s.lun_id = $lun AND s.name = $name;");
        cmd.Parameters.AddWithValue("$lun", lunId);
        cmd.Parameters.AddWithValue("$name", name);
        return ReadSnapshots(cmd).FirstOrDefault();
    }

    public LunSnapshot? GetSnapshotById(long id)
    {
        using var cmd = Command($"{SnapshotSelect} WHERE s.id = $id;");
        cmd.Parameters.AddWithValue("$id", id);
        return ReadSnapshots(cmd).FirstOrDefault();
    }

    /// <summary>Snapshots; LUN and snapshot names take wildcards. Ordered by LUN, then creation.</summary>
    public List<LunSnapshot> ListSnapshots(string? lunLike = null, string? nameLike = null, long? backendId = null)
    {
        using var cmd = Command("");
        var where = new List<string>();
        AddLike(where, cmd, "l.name", lunLike, "$lun");
        AddLike(where, cmd, "s.name", nameLike, "$name");
        if (backendId is { } id) { where.Add("l.backend_id = $bid"); cmd.Parameters.AddWithValue("$bid", id); }
        cmd.CommandText = $"{SnapshotSelect}{(where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))} ORDER BY l.name, s.created, s.id;";
        return ReadSnapshots(cmd);
    }

    private static List<LunSnapshot> ReadSnapshots(SqliteCommand cmd)
    {
        var list = new List<LunSnapshot>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new LunSnapshot
            {
                Id = r.GetInt64Col("id"), LunId = r.GetInt64Col("lun_id"), LunName = r.GetStringCol("lun_name"), SnapshotName = r.GetStringCol("name"),
                BackendName = r.GetStringCol("backend_name"), Path = r.GetStringCol("path"), SizeBytes = r.GetInt64Col("size_bytes"),
                ImageId = r.GetInt64OrNull("image_id"), ImageName = r.GetStringOrNull("image_name"), ImageVersion = r.GetInt32OrNull("image_version"),
                Status = r.GetEnumCol<SnapshotStatus>("status"), Description = r.GetStringOrNull("description"), Created = r.GetTimeCol("created"),
            });
        return list;
    }
}
