using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>The settings of a new backend, as a user gives them (validated by <see cref="Backends.Add"/>).</summary>
public sealed record BackendSpec
{
    public required string Name { get; init; }
    public TransportKind Transport { get; init; } = TransportKind.Local;
    public string? Host { get; init; }
    public int Port { get; init; } = 22;
    public string? User { get; init; }
    public string? IdentityFile { get; init; }
    public bool UseSudo { get; init; }
    public HostKeyPolicy HostKeyPolicy { get; init; } = HostKeyPolicy.Strict;
    public string? KnownHostsFile { get; init; }
    public string IqnPrefix { get; init; } = "iqn.2026-01.local.pureboot";
    public string PortalAddress { get; init; } = "0.0.0.0";
    public int PortalPort { get; init; } = 3260;
    public StorageKind Storage { get; init; } = StorageKind.FileIO;
    public string? StoragePath { get; init; }
    public string? ImageDirectory { get; init; }
    public TargetMode Mode { get; init; } = TargetMode.Shared;
    public LioExecutorKind Executor { get; init; } = LioExecutorKind.Rtslib;
    public string? SimulationStatePath { get; init; }
    public string? Description { get; init; }
    /// <summary>Block: the thin pool (LV in the StoragePath volume group) for thin LUNs, images and snapshots.</summary>
    public string? ThinPool { get; init; }
    /// <summary>Provisioning beyond this fill (thin pool data/metadata, FileIO filesystem) is refused. Default 90.</summary>
    public int MaxFillPercent { get; init; } = 90;
}

/// <summary>A mutable copy of a backend's settings for Set-IscsiBackend.</summary>
public sealed class BackendSpecUpdate
{
    public BackendSpecUpdate(Backend b)
    {
        Transport = b.Transport; Host = b.Host; Port = b.Port; User = b.User; IdentityFile = b.IdentityFile; UseSudo = b.UseSudo;
        HostKeyPolicy = b.HostKeyPolicy; KnownHostsFile = b.KnownHostsFile; IqnPrefix = b.IqnPrefix; PortalAddress = b.PortalAddress;
        PortalPort = b.PortalPort; Storage = b.Storage; StoragePath = b.StoragePath; ImageDirectory = b.ImageDirectory; Mode = b.Mode;
        Executor = b.Executor; SimulationStatePath = b.SimulationStatePath; Description = b.Description;
        ThinPool = b.ThinPool; MaxFillPercent = b.MaxFillPercent;
    }
    public string? ThinPool { get; set; }
    public int MaxFillPercent { get; set; }
    public TransportKind Transport { get; set; }
    public string? Host { get; set; }
    public int Port { get; set; }
    public string? User { get; set; }
    public string? IdentityFile { get; set; }
    public bool UseSudo { get; set; }
    public HostKeyPolicy HostKeyPolicy { get; set; }
    public string? KnownHostsFile { get; set; }
    public string IqnPrefix { get; set; }
    public string PortalAddress { get; set; }
    public int PortalPort { get; set; }
    public StorageKind Storage { get; set; }
    public string StoragePath { get; set; }
    public string? ImageDirectory { get; set; }
    public TargetMode Mode { get; set; }
    public LioExecutorKind Executor { get; set; }
    public string? SimulationStatePath { get; set; }
    public string? Description { get; set; }
}

/// <summary>What a catalog change would do: the object as it would be written, or the existing one left as it is.</summary>
public sealed record CatalogCheck<T>(T Object, bool Unchanged);

/// <summary>Backends in the inventory: validated once here, written with an audit entry.</summary>
internal sealed class Backends(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>Validates a spec into a backend (nothing written).</summary>
    public static Backend Validate(BackendSpec spec)
    {
        var b = new Backend
        {
            Name = InputValidator.Name(spec.Name, "Name"),
            Transport = spec.Transport,
            IqnPrefix = InputValidator.IqnPrefix(spec.IqnPrefix, "IqnPrefix"),
            PortalAddress = InputValidator.PortalAddress(spec.PortalAddress, "PortalAddress"),
            PortalPort = InputValidator.Port(spec.PortalPort, "PortalPort"),
            Storage = spec.Storage,
            Mode = spec.Mode,
            Executor = spec.Executor,
            UseSudo = spec.UseSudo,
            HostKeyPolicy = spec.HostKeyPolicy,
            Description = InputValidator.Description(spec.Description, "Description"),
        };
        b.StoragePath = StoragePath(spec.Storage, spec.StoragePath ?? (spec.Storage == StorageKind.FileIO ? "/var/lib/pureboot/luns" : "pureboot"));
        b.ImageDirectory = spec.ImageDirectory is null ? null : InputValidator.HostDirectory(spec.ImageDirectory, "ImageDirectory");
        SetLifecycle(b, spec.ThinPool, spec.MaxFillPercent);
        SetTransport(b, spec.Host, spec.Port, spec.User, spec.IdentityFile, spec.KnownHostsFile, spec.SimulationStatePath);
        // The longest target name PureBoot will make must fit in 223 bytes.
        if (b.PerLunTargetIqn(new string('x', 63)).Length > InputValidator.MaxIqnBytes)
            throw new ValidationException("IqnPrefix", $"with backend name '{b.Name}' the target names would exceed {InputValidator.MaxIqnBytes} bytes; use a shorter prefix or name.");
        return b;
    }

    static void SetLifecycle(Backend b, string? thinPool, int maxFill)
    {
        b.MaxFillPercent = InputValidator.Percent(maxFill, "MaxFillPercent");
        b.ThinPool = thinPool is null ? null : InputValidator.LogicalVolume(thinPool, "ThinPool");
        if (b.ThinPool is not null && b.Storage != StorageKind.Block)
            throw new ValidationException("ThinPool", "a thin pool is for Block (LVM) backends; a FileIO backend clones by reflink on its filesystem.");
    }

    static string StoragePath(StorageKind storage, string path) =>
        storage == StorageKind.FileIO ? InputValidator.HostDirectory(path, "StoragePath") : InputValidator.VolumeGroup(path, "StoragePath");

    /// <summary>What <see cref="Add"/> would do, nothing written (-WhatIf, and Add's own first step); throws as Add would.</summary>
    public CatalogCheck<Backend> CheckAdd(BackendSpec spec, bool ifNotExists)
    {
        var b = Validate(spec);
        if (_ctx.Inventory.GetBackend(b.Name) is not { } existing) return new(b, Unchanged: false);
        var differences = Differences(existing, b);
        if (ifNotExists && differences.Count == 0) return new(existing, Unchanged: true);
        throw new InventoryConflictException(differences.Count == 0
            ? $"A backend named '{b.Name}' already exists as asked (use -IfNotExists to take it as it is)."
            : $"A backend named '{b.Name}' already exists and differs from the request: {string.Join("; ", differences)}.", ConflictKind.AlreadyExists);
    }

    /// <summary>Adds a backend. With <paramref name="ifNotExists"/>, an existing identical backend is returned instead of failing.</summary>
    public Backend Add(BackendSpec spec, bool ifNotExists = false)
    {
        var (b, unchanged) = CheckAdd(spec, ifNotExists);
        if (unchanged) return b;
        _ctx.Inventory.Transact(t =>
        {
            t.AddBackend(b);
            t.WriteAudit(EngineContext.Audit("add-backend", "backend", b.Name, AuditOutcome.Success, $"{b.Transport} {b.Endpoint} {b.Storage} {b.StoragePath}{(b.ThinPool is null ? "" : "/" + b.ThinPool)} {b.Mode} {b.Executor}"));
        });
        return b;
    }

    static List<string> Differences(Backend have, Backend want)
    {
        var d = new List<string>();
        void Check(string what, object? a, object? b) { if (!Equals(a, b)) d.Add($"{what} is {a ?? "none"}, not {b ?? "none"}"); }
        Check("transport", have.Transport, want.Transport);
        Check("host", have.Host, want.Host);
        Check("port", have.Port, want.Port);
        Check("user", have.User, want.User);
        Check("identity file", have.IdentityFile, want.IdentityFile);
        Check("UseSudo", have.UseSudo, want.UseSudo);
        Check("storage", have.Storage, want.Storage);
        Check("storage path", have.StoragePath, want.StoragePath);
        Check("mode", have.Mode, want.Mode);
        Check("executor", have.Executor, want.Executor);
        Check("IQN prefix", have.IqnPrefix, want.IqnPrefix);
        Check("portal", $"{have.PortalAddress}:{have.PortalPort}", $"{want.PortalAddress}:{want.PortalPort}");
        Check("simulation state", have.SimulationStatePath, want.SimulationStatePath);
        Check("thin pool", have.ThinPool, want.ThinPool);
        Check("fill limit", have.MaxFillPercent, want.MaxFillPercent);
        return d;
    }

    static void SetTransport(Backend b, string? host, int port, string? user, string? identity, string? knownHosts, string? simPath)
    {
        b.Host = null; b.User = null; b.IdentityFile = null; b.KnownHostsFile = null; b.SimulationStatePath = null; b.Port = 22;
        switch (b.Transport)
        {
            case TransportKind.Ssh:
                b.Host = InputValidator.Host(host, "Host");
                b.Port = InputValidator.Port(port, "Port");
                b.User = user is null ? null : InputValidator.UnixUser(user, "User");
                b.IdentityFile = identity is null ? null : InputValidator.LocalFile(identity, "IdentityFile");
                b.KnownHostsFile = knownHosts is null ? null : InputValidator.LocalFile(knownHosts, "KnownHostsFile");
                break;
            case TransportKind.Simulated:
                b.SimulationStatePath = InputValidator.LocalFile(simPath ?? DefaultSimulationPath(b.Name), "SimulationStatePath");
                break;
            case TransportKind.Local:
                if (host is not null) throw new ValidationException("Host", "a Local backend has no host; use the Ssh transport.");
                break;
        }
    }

    static string DefaultSimulationPath(string backend)
    {
        var dir = Path.GetDirectoryName(InventoryPaths.Resolve(null)) ?? ".";
        return Path.Combine(dir, "simulated", backend + ".json");
    }

    public Backend Get(string name) => _ctx.Backend(name, "Name");

    /// <summary>Changes a backend's connection, portal and executor settings. Storage, target mode and IQN prefix are fixed once LUNs exist.</summary>
    /// <param name="write">False: validate and return the changed backend without writing it (-WhatIf).</param>
    public Backend Update(string name, Action<BackendSpecUpdate> change, bool write = true)
    {
        var b = Get(name);
        var u = new BackendSpecUpdate(b);
        change(u);
        var luns = _ctx.Inventory.ListLunsOnTarget(b.Id);
        if (luns.Count > 0 && (u.Storage != b.Storage || u.StoragePath != b.StoragePath || u.Mode != b.Mode || u.IqnPrefix != b.IqnPrefix))
            throw new InventoryConflictException($"Backend '{name}' has {luns.Count} LUNs; its storage, target mode and IQN prefix cannot change while they exist.");
        b.IqnPrefix = InputValidator.IqnPrefix(u.IqnPrefix, "IqnPrefix");
        b.PortalAddress = InputValidator.PortalAddress(u.PortalAddress, "PortalAddress");
        b.PortalPort = InputValidator.Port(u.PortalPort, "PortalPort");
        b.Storage = u.Storage; b.Mode = u.Mode; b.UseSudo = u.UseSudo; b.HostKeyPolicy = u.HostKeyPolicy; b.Executor = u.Executor;
        b.StoragePath = StoragePath(b.Storage, u.StoragePath);
        b.ImageDirectory = u.ImageDirectory is null ? null : InputValidator.HostDirectory(u.ImageDirectory, "ImageDirectory");
        b.Description = InputValidator.Description(u.Description, "Description");
        SetLifecycle(b, u.ThinPool, u.MaxFillPercent);
        b.Transport = u.Transport;
        SetTransport(b, u.Host, u.Port, u.User, u.IdentityFile, u.KnownHostsFile, u.SimulationStatePath);
        if (!write) return b;
        _ctx.Inventory.Transact(t =>
        {
            t.UpdateBackend(b);
            t.WriteAudit(EngineContext.Audit("set-backend", "backend", b.Name, AuditOutcome.Success, $"{b.Transport} {b.Endpoint} portal {b.PortalAddress}:{b.PortalPort} {b.Executor}{(b.ThinPool is null ? "" : $" thin pool {b.ThinPool}")} fill limit {b.MaxFillPercent}%"));
        });
        return b;
    }

    /// <summary>What <see cref="Remove"/> would refuse (nothing written): an unknown backend, or one that still has LUNs.</summary>
    public Backend CheckRemove(string name)
    {
        var b = Get(name);
        var luns = _ctx.Inventory.ListLunsOnTarget(b.Id);
        if (luns.Count > 0)
            throw new InventoryConflictException($"Backend '{b.Name}' cannot be removed: {luns.Count} LUN(s) are still on it ({string.Join(", ", luns.Take(5).Select(l => l.Name))}{(luns.Count > 5 ? ", ..." : "")}); remove those LUNs first.");
        return b;
    }

    public void Remove(string name)
    {
        var b = CheckRemove(name);
        _ctx.Inventory.Transact(t =>
        {
            t.RemoveBackend(b.Name);
            t.WriteAudit(EngineContext.Audit("remove-backend", "backend", b.Name, AuditOutcome.Success));
        });
    }
}
