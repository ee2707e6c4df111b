namespace PureBoot.Core.Model;

/// <remarks>
/// The enums PureBoot's objects carry are Int64-based on purpose: PowerShell's ConvertTo-Json writes an Int64 enum by
/// name (a JavaScript number cannot hold every Int64), so `Get-IscsiLun | ConvertTo-Json` gives "Status": "Active",
/// not 2. tests/Pester guards it; nothing else depends on the underlying type (the inventory stores names).
/// </remarks>
public enum LunPurpose : long { BootFromSan, InstallSource, AutoProvision }

/// <summary>
/// Creating/Deleting are written before a batch goes out and mean "may partly exist on the target";
/// Ready = exported, no node; Active = mapped into a node's ACL; Error = the last change failed (see ErrorMessage).
/// </summary>
public enum LunStatus : long { Creating, Ready, Active, Error, Deleting }

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
    /// <summary>Lineage: the image version this LUN's disk is a clone of (New-IscsiLun -Image, Reset-IscsiLun, Update-IscsiLun).</summary>
    public long? ImageId { get; set; }
    public string? ImageName { get; set; }
    public int? ImageVersion { get; set; }
    /// <summary>After Update-IscsiLun: the snapshot that holds the disk it had before (Update-IscsiLun -Rollback restores it).</summary>
    public long? PreviousSnapshotId { get; set; }
    public string? PreviousSnapshot { get; set; }
    public string? Description { get; set; }
    /// <summary>What the last batch was doing when it went out; null once it finished. See <see cref="Model.PendingOperation"/>.</summary>
    public PendingOperation? PendingOperation { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }

    public double SizeGB => Math.Round(SizeBytes / 1073741824.0, 2);
    public string Chap => !ChapEnabled ? "None" : MutualChapEnabled ? "Mutual" : "OneWay";
    /// <summary>The image version of the LUN's disk as name:vN, or null.</summary>
    public string? Image => ImageName is null ? null : $"{ImageName}:v{ImageVersion}";

    /// <summary>True when the row records its LIO objects (storage object, target and TPG LUN index).</summary>
    public bool HasLioObjects => StorageObjectName is not null && TargetIqn is not null && TpgLunIndex is not null;

    /// <summary>Records the LUN as mapped for <paramref name="node"/> at mapped LUN <paramref name="mappedIndex"/> of its ACL.</summary>
    public void AssignTo(Node node, int mappedIndex)
    {
        NodeId = node.Id; NodeName = node.Name; InitiatorIqn = node.InitiatorIqn; MappedLunIndex = mappedIndex;
    }

    /// <summary>Forgets the node and its mapping.</summary>
    public void ClearAssignment()
    {
        NodeId = null; NodeName = null; InitiatorIqn = null; MappedLunIndex = null;
    }

    /// <summary>Forgets the LIO objects (nothing of them is left on the target): the names and index can be reused.</summary>
    public void ClearLioObjects()
    {
        StorageObjectName = null; TargetIqn = null; TpgLunIndex = null; BackingPath = null;
    }

    /// <summary>Sets the row's status and error message together.</summary>
    public void SetError(string? message)
    {
        Status = LunStatus.Error; ErrorMessage = message;
    }

    public Lun Clone() => (Lun)MemberwiseClone();
    public override string ToString() => Name;
}
