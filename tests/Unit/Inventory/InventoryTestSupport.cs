using PureBoot.Core.Inventory;
using PureBoot.Core.Model;

namespace PureBoot.Tests.Unit.Inventory;

/// <summary>A private temporary directory, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pureboot-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch { /* best effort */ }
    }
}

internal static class Make
{
    public static Backend Backend(string name = "lab") => new()
    {
        Name = name,
        Transport = TransportKind.Simulated,
        IqnPrefix = "iqn.2026-01.local.pureboot",
        StoragePath = "/var/lib/pureboot/luns",
    };

    public static Node Node(string name, int n) => new()
    {
        Name = name,
        MacAddress = $"52:54:00:00:00:{n:x2}",
        InitiatorIqn = $"iqn.2026-01.local.pureboot.client:{name}",
    };

    public static Lun Lun(string name, Backend backend, int? index = null) => new()
    {
        Name = name,
        SizeBytes = 10L << 30,
        BackendId = backend.Id,
        Status = LunStatus.Creating,
        StorageObjectName = index is null ? null : $"pb_{name}",
        TargetIqn = index is null ? null : backend.SharedTargetIqn,
        TpgLunIndex = index,
    };
}
