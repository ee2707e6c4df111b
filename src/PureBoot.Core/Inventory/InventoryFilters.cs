using PureBoot.Core.Model;

namespace PureBoot.Core.Inventory;

/// <summary>Filters for ListLuns. Name filters take PowerShell wildcards (* and ?), case-insensitive; null = any.</summary>
public sealed class LunFilter
{
    public string? NameLike { get; set; }
    /// <summary>Backend name (wildcards allowed).</summary>
    public string? Backend { get; set; }
    /// <summary>Node name (wildcards allowed).</summary>
    public string? Node { get; set; }
    public LunStatus? Status { get; set; }
    public LunPurpose? Purpose { get; set; }
}

/// <summary>Filters for ListAudit. Results are oldest first.</summary>
public sealed class AuditFilter
{
    /// <summary>Entries at or after this time.</summary>
    public DateTimeOffset? Since { get; set; }
    /// <summary>Entries at or before this time.</summary>
    public DateTimeOffset? Until { get; set; }
    /// <summary>Object name (wildcards allowed).</summary>
    public string? ObjectName { get; set; }
    public string? ObjectType { get; set; }
    /// <summary>Operation (wildcards allowed).</summary>
    public string? Operation { get; set; }
    public AuditOutcome? Outcome { get; set; }
    /// <summary>Only the last N matching entries.</summary>
    public int? Last { get; set; }
}
