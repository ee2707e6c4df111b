using System.Globalization;

namespace PureBoot.Core.Model;

/// <summary>
/// What a LUN row's last batch was doing when it went out (written before the batch, cleared after it). A row that
/// still holds one after a crash tells Sync-IscsiTarget what to finish or roll back. Only the inventory turns it into
/// text (<see cref="Text"/> / <see cref="Parse"/>); everything else matches on the type.
/// </summary>
public abstract record PendingOperation
{
    public static PendingOperation Create { get; } = new Named("create");
    public static PendingOperation Assign { get; } = new Named("assign");
    public static PendingOperation Unassign { get; } = new Named("unassign");
    public static PendingOperation SetChap { get; } = new Named("set-chap");
    public static PendingOperation Restart { get; } = new Named("restart");
    /// <summary>The node's ACL moves to the row's (new) initiator IQN (Set-IscsiNode); Sync makes that ACL and drops the old one.</summary>
    public static PendingOperation MoveAcl { get; } = new Named("move-acl");

    /// <summary>Remove the LUN; <paramref name="KeepBackingData"/> keeps its file or logical volume.</summary>
    public sealed record Remove(bool KeepBackingData) : PendingOperation
    {
        public override string Text => KeepBackingData ? "remove:keep-file" : "remove";
    }

    /// <summary>Grow the LUN to <paramref name="NewSizeBytes"/>.</summary>
    public sealed record Resize(long NewSizeBytes) : PendingOperation
    {
        public override string Text => "resize:" + NewSizeBytes.ToString(CultureInfo.InvariantCulture);
    }

    sealed record Named(string Name) : PendingOperation
    {
        public override string Text => Name;
    }

    /// <summary>The stored form, also shown to users (create, assign, unassign, remove, remove:keep-file, resize:N, set-chap, restart, move-acl).</summary>
    public abstract string Text { get; }

    public sealed override string ToString() => Text;

    /// <summary>The stored form back as a type; null for null. Unknown text is a corrupt row: FormatException.</summary>
    public static PendingOperation? Parse(string? text)
    {
        if (text is null) return null;
        foreach (var p in new[] { Create, Assign, Unassign, SetChap, Restart, MoveAcl })
            if (p.Text == text) return p;
        if (text == "remove") return new Remove(false);
        if (text == "remove:keep-file") return new Remove(true);
        if (text.StartsWith("resize:", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan("resize:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return new Resize(size);
        throw new FormatException($"unknown pending operation '{text}' in the inventory");
    }
}
