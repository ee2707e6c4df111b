using PureBoot.Core.Model;

namespace PureBoot.Core.Inventory;

// Reads of images and snapshots outside a transaction (writes go through Transact).
public sealed partial class InventoryStore
{
    public List<DiskImage> ListImages(string? nameLike = null, string? backendLike = null, long? backendId = null) =>
        Read(() => _reader.ListImages(nameLike, backendLike, backendId));
    public DiskImage? GetImage(long backendId, string name, int version) => Read(() => _reader.GetImage(backendId, name, version));
    public DiskImage? GetImageById(long id) => Read(() => _reader.GetImageById(id));
    public int LatestImageVersion(long backendId, string name) => Read(() => _reader.LatestImageVersion(backendId, name));
    public List<LunSnapshot> ListSnapshots(string? lunLike = null, string? nameLike = null, long? backendId = null) =>
        Read(() => _reader.ListSnapshots(lunLike, nameLike, backendId));
    public LunSnapshot? GetSnapshot(long lunId, string name) => Read(() => _reader.GetSnapshot(lunId, name));
    public LunSnapshot? GetSnapshotById(long id) => Read(() => _reader.GetSnapshotById(id));
}
