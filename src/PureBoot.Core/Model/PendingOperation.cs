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

    /// <summary>Replace the LUN's disk with (a clone of) snapshot <paramref name="SnapshotId"/>; Sync-IscsiTarget finishes or cancels it by its phase.</summary>
    public sealed record Restore(long SnapshotId, ReplacePhase Phase = ReplacePhase.Started) : PendingOperation
    {
        public override string Text => "restore:" + SnapshotId.ToString(CultureInfo.InvariantCulture) + PhaseSuffix(Phase);
    }

    /// <summary>Replace the LUN's disk with a fresh clone of image version <paramref name="ImageId"/>.</summary>
    public sealed record Reset(long ImageId, ReplacePhase Phase = ReplacePhase.Started) : PendingOperation
    {
        public override string Text => "reset:" + ImageId.ToString(CultureInfo.InvariantCulture) + PhaseSuffix(Phase);
    }

    /// <summary>Move the LUN to image version <paramref name="ImageId"/>, keeping its disk as snapshot <paramref name="SnapshotId"/>.</summary>
    public sealed record Rollout(long ImageId, long SnapshotId, ReplacePhase Phase = ReplacePhase.Started) : PendingOperation
    {
        public override string Text => $"rollout:{ImageId.ToString(CultureInfo.InvariantCulture)}:{SnapshotId.ToString(CultureInfo.InvariantCulture)}{PhaseSuffix(Phase)}";
    }

    /// <summary>True for the disk replacements of the lifecycle (restore, reset, rollout).</summary>
    public bool ReplacesDisk => this is Restore or Reset or Rollout;

    /// <summary>How far a disk replacement got (null for other operations).</summary>
    public ReplacePhase? ReplacementPhase => this switch { Restore r => r.Phase, Reset r => r.Phase, Rollout r => r.Phase, _ => null };

    /// <summary>The same replacement at another phase.</summary>
    public PendingOperation WithPhase(ReplacePhase phase) => this switch
    {
        Restore r => r with { Phase = phase },
        Reset r => r with { Phase = phase },
        Rollout r => r with { Phase = phase },
        _ => throw new InvalidOperationException($"{Text} has no phases"),
    };

    static string PhaseSuffix(ReplacePhase p) => p == ReplacePhase.Started ? "" : "@" + p.ToString().ToLowerInvariant();

    sealed record Named(string Name) : PendingOperation
    {
        public override string Text => Name;
    }

    /// <summary>The stored form, also shown to users (create, assign, unassign, remove, remove:keep-file, resize:N, set-chap, restart, move-acl, restore:S, reset:I, rollout:I:S, the last three with @unexported or @replaced as they go).</summary>
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
        var at = text.IndexOf('@');
        var body = at < 0 ? text : text[..at];
        ReplacePhase? phase = at < 0 ? ReplacePhase.Started
            : Enum.TryParse<ReplacePhase>(text[(at + 1)..], ignoreCase: true, out var parsed) && text[(at + 1)..] == parsed.ToString().ToLowerInvariant() ? parsed : null;
        if (phase is { } ph)
        {
            if (Id(body, "restore:") is { } snap) return new Restore(snap, ph);
            if (Id(body, "reset:") is { } image) return new Reset(image, ph);
            if (body.StartsWith("rollout:", StringComparison.Ordinal) && body["rollout:".Length..].Split(':') is [var a, var b]
                && Id(a, "") is { } rImage && Id(b, "") is { } rSnap)
                return new Rollout(rImage, rSnap, ph);
        }
        if (text.StartsWith("resize:", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan("resize:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return new Resize(size);
        throw new FormatException($"unknown pending operation '{text}' in the inventory");
    }

    static long? Id(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal) && long.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}

/// <summary>
/// How far a disk replacement got. Started: nothing changed yet (a crash cancels it). Unexported: the disk may or may
/// not be replaced (a crash finishes it: the clone step is idempotent): on Block the storage object is gone; on FileIO
/// it may still serve the old file (the new one is renamed over the path first; finishing makes the storage object
/// again). Replaced: the new disk is in place (a crash exports it again and records the lineage).
/// </summary>
public enum ReplacePhase { Started, Unexported, Replaced }
