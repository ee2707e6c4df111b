namespace PureBoot.Core.Model;

public enum LunPurpose { BootFromSan, InstallSource, AutoProvision }

/// <summary>
/// Creating/Deleting are written before a batch goes out and mean "may partly exist on the target";
/// Ready = exported, no node; Active = mapped into a node's ACL; Error = the last change failed (see ErrorMessage).
/// </summary>
public enum LunStatus { Creating, Ready, Active, Error, Deleting }

/// <summary>An iSCSI LUN: a backing file or volume, its LIO storage object, and its export.</summary>
public sealed class Lun
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public long SizeBytes { get; set; }
    public long BackendId { get; set; }
    public string BackendName { get; set; } = "";
    public LunPurpose Purpose { get; set; } = LunPurpose.BootFromSan;
    public LunStatus Status { get; set; } = LunStatus.Creating;
    public string? ErrorMessage { get; set; }

    // LIO objects, allocated from the live target under its lock.
    public string? StorageObjectName { get; set; }
    /// <summary>The image file (FileIO) or /dev/VG/LV (Block).</summary>
    public string? BackingPath { get; set; }
    public string? TargetIqn { get; set; }
    public int? TpgLunIndex { get; set; }

    public long? NodeId { get; set; }
    public string? NodeName { get; set; }
    public string? InitiatorIqn { get; set; }
    public int? MappedLunIndex { get; set; }

    public bool ChapEnabled { get; set; }
    public string? ChapUser { get; set; }
    public bool MutualChapEnabled { get; set; }
    public string? MutualChapUser { get; set; }
    // Sealed (AES-GCM) secrets: internal so no PowerShell view, serializer or ToString can show them.
    internal byte[]? ChapSecretSealed { get; set; }
    internal byte[]? MutualChapSecretSealed { get; set; }

    public string? SourceImage { get; set; }
    public string? Description { get; set; }
    /// <summary>What the last batch was doing while Status was Creating/Deleting (create, assign, unassign, remove, resize).</summary>
    public string? PendingOperation { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }

    public double SizeGB => Math.Round(SizeBytes / 1073741824.0, 2);
    public string Chap => !ChapEnabled ? "None" : MutualChapEnabled ? "Mutual" : "OneWay";

    public Lun Clone() => (Lun)MemberwiseClone();
    public override string ToString() => Name;
}
