namespace PureBoot.Core.Model;

public enum AuditOutcome : long { Success, Failure, Partial }

/// <summary>One row of the audit log. Every change writes one; none holds a secret.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset Time { get; set; }
    public string User { get; set; } = "";
    public string Operation { get; set; } = "";
    public string ObjectType { get; set; } = "";
    public string ObjectName { get; set; } = "";
    public AuditOutcome Outcome { get; set; }
    public string? Message { get; set; }
    public override string ToString() => $"{Time:u} {User} {Operation} {ObjectType}/{ObjectName} {Outcome}";
}
