namespace PureBoot.Core.Model;

/// <summary>A diskless machine that boots from an iSCSI LUN.</summary>
public sealed class Node
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>Normalised to lower-case colon form, aa:bb:cc:dd:ee:ff.</summary>
    public string MacAddress { get; set; } = "";
    public string InitiatorIqn { get; set; } = "";
    public string? Hostname { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }
    public override string ToString() => Name;
}
