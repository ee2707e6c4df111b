using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>The settings of a new backend, as a user gives them (validated by AddBackend).</summary>
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
    public string? SimulationStatePath { get; init; }
    public string? Description { get; init; }
}

/// <summary>
/// Everything PureBoot does, without PowerShell: inventory, secrets and batched changes to LIO targets.
/// Cmdlets are thin wrappers over these methods.
/// </summary>
public sealed partial class PureBootEngine : IDisposable
{
    readonly InventoryStore _inventory;
    readonly Lazy<SecretBox> _secrets;
    readonly ITargetHostConnector _connector;

    /// <summary>Redacted progress text (batches sent and their timings) for -Verbose.</summary>
    public Action<string>? Log { get; set; }
    public IProgress<BatchProgress>? Progress { get; set; }

    public InventoryStore Inventory => _inventory;

    public PureBootEngine(InventoryStore inventory, ITargetHostConnector connector, Func<SecretBox>? secrets = null)
    {
        _inventory = inventory;
        _connector = connector;
        _secrets = new Lazy<SecretBox>(() =>
        {
            var box = secrets?.Invoke() ?? SecretBox.FromProvider(new SecretKeyProvider());
            _inventory.EnsureKeyCheck(box);
            return box;
        });
    }

    /// <summary>Opens the inventory (explicit path, PUREBOOT_DB, or the XDG default) with the standard connectors.</summary>
    public static PureBootEngine Open(string? databasePath = null, ShellOptions? shellOptions = null, Func<SecretBox>? secrets = null)
    {
        var inv = new InventoryStore(InventoryPaths.Resolve(databasePath));
        return new PureBootEngine(inv, new RoutingConnector(new ShellTargetHostConnector(shellOptions), new Simulation.SimulatedTargetHostConnector()), secrets);
    }

    internal SecretBox Secrets => _secrets.Value;

    void Say(string text) => Log?.Invoke(text);

    AuditEntry Audit(string op, string type, string name, AuditOutcome outcome, string? message = null) => new()
    {
        Time = DateTimeOffset.UtcNow, User = Environment.UserName, Operation = op, ObjectType = type, ObjectName = name,
        Outcome = outcome, Message = message is null ? null : Redaction.RedactText(message),
    };

    // ---------------------------------------------------------------- backends

    public Backend AddBackend(BackendSpec spec)
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
            UseSudo = spec.UseSudo,
            HostKeyPolicy = spec.HostKeyPolicy,
            Description = InputValidator.Description(spec.Description, "Description"),
        };
        b.StoragePath = spec.Storage == StorageKind.FileIO
            ? InputValidator.HostDirectory(spec.StoragePath ?? "/var/lib/pureboot/luns", "StoragePath")
            : InputValidator.VolumeGroup(spec.StoragePath ?? "pureboot", "StoragePath");
        b.ImageDirectory = spec.ImageDirectory is null ? null : InputValidator.HostDirectory(spec.ImageDirectory, "ImageDirectory");
        ValidateTransport(b, spec.Host, spec.Port, spec.User, spec.IdentityFile, spec.KnownHostsFile, spec.SimulationStatePath);
        // The longest target name PureBoot will make must fit in 223 bytes.
        if (b.PerLunTargetIqn(new string('x', 63)).Length > InputValidator.MaxIqnBytes)
            throw new ValidationException("IqnPrefix", $"Parameter 'IqnPrefix': with backend name '{b.Name}' the target names would exceed {InputValidator.MaxIqnBytes} bytes; use a shorter prefix or name.");
        try
        {
            _inventory.Transact(t =>
            {
                t.AddBackend(b);
                t.WriteAudit(Audit("add-backend", "backend", b.Name, AuditOutcome.Success, $"{b.Transport} {b.Endpoint} {b.Storage} {b.StoragePath} {b.Mode}"));
            });
        }
        catch (InventoryConflictException) { throw; }
        return b;
    }

    static void ValidateTransport(Backend b, string? host, int port, string? user, string? identity, string? knownHosts, string? simPath)
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
                if (host is not null) throw new ValidationException("Host", "Parameter 'Host': a Local backend has no host; use -Transport Ssh.");
                break;
        }
    }

    static string DefaultSimulationPath(string backend)
    {
        var dir = Path.GetDirectoryName(InventoryPaths.Resolve(null)) ?? ".";
        return Path.Combine(dir, "simulated", backend + ".json");
    }

    public Backend GetBackend(string name) =>
        _inventory.GetBackend(name) ?? throw new InventoryNotFoundException($"No backend named '{name}'.");

    public IReadOnlyList<Backend> ListBackends(string? nameLike = null) => _inventory.ListBackends(nameLike);

    /// <summary>Changes a backend's connection and portal settings. Storage and target mode are fixed once LUNs exist.</summary>
    public Backend UpdateBackend(string name, Action<BackendSpecUpdate> change)
    {
        var b = GetBackend(name);
        var u = new BackendSpecUpdate(b);
        change(u);
        var luns = _inventory.ListLunsOnTarget(b.Id);
        if (luns.Count > 0 && (u.Storage != b.Storage || u.StoragePath != b.StoragePath || u.Mode != b.Mode || u.IqnPrefix != b.IqnPrefix))
            throw new InventoryConflictException($"Backend '{name}' has {luns.Count} LUNs; its storage, target mode and IQN prefix cannot change while they exist.");
        b.IqnPrefix = InputValidator.IqnPrefix(u.IqnPrefix, "IqnPrefix");
        b.PortalAddress = InputValidator.PortalAddress(u.PortalAddress, "PortalAddress");
        b.PortalPort = InputValidator.Port(u.PortalPort, "PortalPort");
        b.Storage = u.Storage; b.Mode = u.Mode; b.UseSudo = u.UseSudo; b.HostKeyPolicy = u.HostKeyPolicy;
        b.StoragePath = b.Storage == StorageKind.FileIO ? InputValidator.HostDirectory(u.StoragePath, "StoragePath") : InputValidator.VolumeGroup(u.StoragePath, "StoragePath");
        b.ImageDirectory = u.ImageDirectory is null ? null : InputValidator.HostDirectory(u.ImageDirectory, "ImageDirectory");
        b.Description = InputValidator.Description(u.Description, "Description");
        b.Transport = u.Transport;
        ValidateTransport(b, u.Host, u.Port, u.User, u.IdentityFile, u.KnownHostsFile, u.SimulationStatePath);
        _inventory.Transact(t =>
        {
            t.UpdateBackend(b);
            t.WriteAudit(Audit("set-backend", "backend", b.Name, AuditOutcome.Success, $"{b.Transport} {b.Endpoint} portal {b.PortalAddress}:{b.PortalPort}"));
        });
        return b;
    }

    public void RemoveBackend(string name)
    {
        var b = GetBackend(name);
        _inventory.Transact(t =>
        {
            t.RemoveBackend(b.Name);
            t.WriteAudit(Audit("remove-backend", "backend", b.Name, AuditOutcome.Success));
        });
    }

    // ---------------------------------------------------------------- nodes

    public Node AddNode(string name, string macAddress, string? initiatorIqn = null, string? hostname = null, string? description = null)
    {
        var n = new Node
        {
            Name = InputValidator.Name(name, "Name"),
            MacAddress = InputValidator.MacAddress(macAddress, "MacAddress"),
            Hostname = hostname is null ? null : InputValidator.Host(hostname, "Hostname"),
            Description = InputValidator.Description(description, "Description"),
        };
        n.InitiatorIqn = initiatorIqn is null ? InputValidator.InitiatorIqnFromMac(n.MacAddress) : InputValidator.Iqn(initiatorIqn, "InitiatorIqn");
        _inventory.Transact(t =>
        {
            t.AddNode(n);
            t.WriteAudit(Audit("add-node", "node", n.Name, AuditOutcome.Success, $"{n.MacAddress} {n.InitiatorIqn}"));
        });
        return n;
    }

    public Node GetNode(string name) => _inventory.GetNode(name) ?? throw new InventoryNotFoundException($"No node named '{name}'.");
    public IReadOnlyList<Node> ListNodes(string? nameLike = null) => _inventory.ListNodes(nameLike);

    public void RemoveNode(string name)
    {
        var n = GetNode(name);
        _inventory.Transact(t =>
        {
            t.RemoveNode(n.Name);
            t.WriteAudit(Audit("remove-node", "node", n.Name, AuditOutcome.Success));
        });
    }

    // ---------------------------------------------------------------- LUNs (inventory only)

    public Lun GetLun(string name) => _inventory.GetLun(name) ?? throw new InventoryNotFoundException($"No LUN named '{name}'.");
    public IReadOnlyList<Lun> ListLuns(LunFilter? filter = null) => _inventory.ListLuns(filter);
    public IReadOnlyList<AuditEntry> ListAudit(AuditFilter? filter = null) => _inventory.ListAudit(filter);

    /// <summary>The only way to read a CHAP secret back. Writes an audit row (without the secret).</summary>
    public ChapCredential GetChapCredential(string lunName)
    {
        var lun = GetLun(lunName);
        if (!lun.ChapEnabled || lun.ChapSecretSealed is null || lun.ChapUser is null)
            throw new InventoryNotFoundException($"LUN '{lun.Name}' has no CHAP credential.");
        var cred = new ChapCredential
        {
            Lun = lun.Name,
            User = lun.ChapUser,
            Secret = Secrets.Open(lun.ChapSecretSealed, SecretContext(lun.Name, false)),
            MutualUser = lun.MutualChapEnabled ? lun.MutualChapUser : null,
            MutualSecret = lun.MutualChapEnabled && lun.MutualChapSecretSealed is not null ? Secrets.Open(lun.MutualChapSecretSealed, SecretContext(lun.Name, true)) : null,
        };
        _inventory.WriteAudit(Audit("read-chap-credential", "lun", lun.Name, AuditOutcome.Success));
        return cred;
    }

    internal static string SecretContext(string lunName, bool mutual) => $"lun:{lunName}:{(mutual ? "mutual-chap" : "chap")}";

    /// <summary>A LUN's CHAP secrets in plain text (memory only, for one batch), null where it has none.</summary>
    internal (string? Secret, string? Mutual) OpenChap(Lun lun) => (
        lun.ChapEnabled && lun.ChapSecretSealed is not null ? Secrets.Open(lun.ChapSecretSealed, SecretContext(lun.Name, false)) : null,
        lun.MutualChapEnabled && lun.MutualChapSecretSealed is not null ? Secrets.Open(lun.MutualChapSecretSealed, SecretContext(lun.Name, true)) : null);

    public void Dispose() => _inventory.Dispose();
}

/// <summary>A mutable copy of a backend's settings for Set-IscsiBackend.</summary>
public sealed class BackendSpecUpdate
{
    public BackendSpecUpdate(Backend b)
    {
        Transport = b.Transport; Host = b.Host; Port = b.Port; User = b.User; IdentityFile = b.IdentityFile; UseSudo = b.UseSudo;
        HostKeyPolicy = b.HostKeyPolicy; KnownHostsFile = b.KnownHostsFile; IqnPrefix = b.IqnPrefix; PortalAddress = b.PortalAddress;
        PortalPort = b.PortalPort; Storage = b.Storage; StoragePath = b.StoragePath; ImageDirectory = b.ImageDirectory; Mode = b.Mode;
        SimulationStatePath = b.SimulationStatePath; Description = b.Description;
    }
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
    public string? SimulationStatePath { get; set; }
    public string? Description { get; set; }
}

/// <summary>Sends each backend to the connector for its transport.</summary>
public sealed class RoutingConnector : ITargetHostConnector
{
    public ITargetHostConnector Shell { get; }
    public ITargetHostConnector Simulated { get; }
    public RoutingConnector(ITargetHostConnector shell, ITargetHostConnector simulated) { Shell = shell; Simulated = simulated; }
    public Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default) =>
        (backend.Transport == TransportKind.Simulated ? Simulated : Shell).OpenAsync(backend, cancellationToken);
}
