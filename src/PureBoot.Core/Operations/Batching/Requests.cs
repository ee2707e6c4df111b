using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

public sealed record LunCreateRequest
{
    public required string Name { get; init; }
    public long SizeBytes { get; init; }
    public required string Backend { get; init; }
    public LunPurpose Purpose { get; init; } = LunPurpose.BootFromSan;
    public string? SourceImage { get; init; }
    /// <summary>A registered image (New-IscsiImage) to clone: reflink or thin snapshot, the LUN records it as its lineage.</summary>
    public string? Image { get; init; }
    /// <summary>The image's version; null: the latest Ready one.</summary>
    public int? ImageVersion { get; init; }
    public string? Description { get; init; }
    public bool Chap { get; init; } = true;
    public string? ChapUser { get; init; }
    /// <summary>Null: generate 16 characters from a CSPRNG.</summary>
    public string? ChapSecret { get; init; }
    public bool MutualChap { get; init; }
    public string? MutualChapUser { get; init; }
    public string? MutualChapSecret { get; init; }
    /// <summary>Assign the new LUN to this node in the same batch (one plan for create and assign).</summary>
    public string? Node { get; init; }
    /// <summary>A LUN of that name that already exists as asked is returned unchanged instead of failing (scripts that run twice).</summary>
    public bool IfNotExists { get; init; }
    /// <summary>With <see cref="Node"/>: take the node's shared ACL credential even when it drops what this request asks (<see cref="SharedChap"/>).</summary>
    public bool AdoptSharedChap { get; init; }
    // Records print their members; keep secrets out.
    public override string ToString() => $"LunCreateRequest {{ Name = {Name}, SizeBytes = {SizeBytes}, Backend = {Backend} }}";
}

public sealed record LunRemoveRequest(string Name, bool Force = false, bool KeepBackingFile = false);

/// <param name="AdoptSharedChap">Take the node's shared ACL credential even when the LUN would lose mutual CHAP or CHAP (<see cref="SharedChap"/>).</param>
public sealed record LunAssignRequest(string Lun, string Node, bool AdoptSharedChap = false);

/// <summary>A change to a LUN's CHAP. Secrets null = generate.</summary>
public sealed record ChapChange
{
    public bool? Enable { get; init; }
    public bool Rotate { get; init; }
    public string? User { get; init; }
    public string? Secret { get; init; }
    public bool? Mutual { get; init; }
    public string? MutualUser { get; init; }
    public string? MutualSecret { get; init; }
    public override string ToString() => $"ChapChange {{ Enable = {Enable}, Rotate = {Rotate}, Mutual = {Mutual} }}";
}

/// <summary>A CHAP credential read back on explicit request (Get-IscsiLunChapCredential).</summary>
public sealed class ChapCredential
{
    public required string Lun { get; init; }
    public required string User { get; init; }
    internal string Secret { get; init; } = "";
    public string? MutualUser { get; init; }
    internal string? MutualSecret { get; init; }
    public string RevealSecret() => Secret;
    public string? RevealMutualSecret() => MutualSecret;
    public override string ToString() => $"CHAP {User} for {Lun}";
}
