namespace PureBoot.Core.Model;

/// <summary>How PureBoot reaches a storage host's shell.</summary>
public enum TransportKind : long { Local, Ssh, Simulated }

/// <summary>What backs a LUN: an image file in a directory (fileio) or an LVM logical volume (block).</summary>
public enum StorageKind : long { FileIO, Block }

/// <summary>Shared: one target, one ACL per node. PerLun: one target per LUN, as a per-machine target design does.</summary>
public enum TargetMode : long { Shared, PerLun }

/// <summary>What ssh does with a host key it has not seen: Strict refuses it (the default).</summary>
public enum HostKeyPolicy : long { Strict, AcceptNew }

/// <summary>
/// How a batch's LIO changes are applied on the host. Rtslib (the default): python3-rtslib-fb in the same session,
/// no targetcli start. Targetcli: one targetcli script per batch, for hosts where only targetcli may change LIO.
/// </summary>
public enum LioExecutorKind : long { Rtslib, Targetcli }

/// <summary>A storage host running the LIO kernel target.</summary>
public sealed class Backend
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public TransportKind Transport { get; set; } = TransportKind.Local;
    public string? Host { get; set; }
    public int Port { get; set; } = 22;
    public string? User { get; set; }
    public string? IdentityFile { get; set; }
    public bool UseSudo { get; set; }
    public HostKeyPolicy HostKeyPolicy { get; set; } = HostKeyPolicy.Strict;
    public string? KnownHostsFile { get; set; }
    /// <summary>IQN prefix for targets made here, e.g. iqn.2026-01.local.pureboot.</summary>
    public string IqnPrefix { get; set; } = "iqn.2026-01.local.pureboot";
    public string PortalAddress { get; set; } = "0.0.0.0";
    public int PortalPort { get; set; } = 3260;
    public StorageKind Storage { get; set; } = StorageKind.FileIO;
    /// <summary>FileIO: the directory of image files. Block: the LVM volume group's name.</summary>
    public string StoragePath { get; set; } = "/var/lib/pureboot/luns";
    public TargetMode Mode { get; set; } = TargetMode.Shared;
    public LioExecutorKind Executor { get; set; } = LioExecutorKind.Rtslib;
    /// <summary>Where source (golden) images live. FileIO: defaults to StoragePath; Block: /var/lib/pureboot/images.</summary>
    public string? ImageDirectory { get; set; }
    /// <summary>Block: the thin pool (an LV in the StoragePath volume group) that holds thin LUNs, images and snapshots.</summary>
    public string? ThinPool { get; set; }
    /// <summary>
    /// Provisioning (create, clone, snapshot, reset, rollout) that would fill the thin pool's data or metadata, or a
    /// FileIO filesystem, beyond this percentage is refused (default 90).
    /// </summary>
    public int MaxFillPercent { get; set; } = 90;
    public string EffectiveImageDirectory => ImageDirectory ?? (Storage == StorageKind.FileIO ? StoragePath : "/var/lib/pureboot/images");
    /// <summary>Simulated transport: the JSON file holding the simulated host.</summary>
    public string? SimulationStatePath { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }

    /// <summary>The one target of a Shared backend.</summary>
    public string SharedTargetIqn => $"{IqnPrefix}:{Name}";

    /// <summary>The target of one LUN on a PerLun backend.</summary>
    public string PerLunTargetIqn(string storageObjectName) => $"{IqnPrefix}:{Name}.{storageObjectName}";

    /// <summary>The LIO backstore plugin of this backend's storage objects: fileio or block.</summary>
    public string StoragePlugin => Storage == StorageKind.FileIO ? "fileio" : "block";

    /// <summary>The targetcli path of this backend's storage object of that name, as LUNs and sessions name it: /backstores/fileio/web01.</summary>
    public string StorageObjectPath(string storageObjectName) => $"/backstores/{StoragePlugin}/{storageObjectName}";

    /// <summary>The file (FileIO) or logical volume (Block) behind the storage object of that name.</summary>
    public string BackingPathOf(string storageObjectName) =>
        Storage == StorageKind.FileIO ? $"{StoragePath.TrimEnd('/')}/{storageObjectName}.img" : $"/dev/{StoragePath}/{storageObjectName}";

    /// <summary>The prefix every backing path of this backend starts with (PureBoot's namespace on the host).</summary>
    public string BackingPathPrefix => Storage == StorageKind.FileIO ? StoragePath.TrimEnd('/') + "/" : $"/dev/{StoragePath}/";

    /// <summary>True for a target in PureBoot's namespace on this backend (its Shared target or a PerLun one).</summary>
    public bool OwnsTargetName(string wwn) => wwn == SharedTargetIqn || wwn.StartsWith(IqnPrefix + ":" + Name + ".", StringComparison.Ordinal);

    /// <summary>Where ssh connects, for messages: user@host:port.</summary>
    public string Endpoint => Transport switch
    {
        TransportKind.Ssh => $"{(User is null ? "" : User + "@")}{Host}:{Port}",
        TransportKind.Local => "localhost",
        _ => $"simulated:{Name}",
    };

    public override string ToString() => Name;
}
