using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>What every use case shares: the inventory, the connector, CHAP sealing, the audit entry, log and progress.</summary>
internal sealed class EngineContext
{
    public EngineContext(InventoryStore inventory, ITargetHostConnector connector, SecretKeyring keyring)
    {
        Inventory = inventory;
        Connector = connector;
        Chap = new LunChap(keyring);
    }

    public InventoryStore Inventory { get; }
    public ITargetHostConnector Connector { get; }
    public LunChap Chap { get; }
    public Action<string>? Log { get; set; }
    public IProgress<BatchProgress>? Progress { get; set; }

    public void Say(string text) => Log?.Invoke(text);
    public void Report(string activity, string status, int percent) => Progress?.Report(new BatchProgress(activity, status, percent));

    public static AuditEntry Audit(string op, string type, string name, AuditOutcome outcome, string? message = null) => new()
    {
        Time = DateTimeOffset.UtcNow, User = Environment.UserName, Operation = op, ObjectType = type, ObjectName = name,
        Outcome = outcome, Message = message is null ? null : Redaction.RedactText(message),
    };

    /// <summary>The backend a user named (validated; NotFound when there is none).</summary>
    public Backend Backend(string name, string parameter = "Backend") =>
        Inventory.GetBackend(InputValidator.Name(name, parameter)) ?? throw new InventoryNotFoundException($"No backend named '{name}'.");

    public Node Node(string name, string parameter = "Node") =>
        Inventory.GetNode(InputValidator.Name(name, parameter)) ?? throw new InventoryNotFoundException($"No node named '{name}'.");

    public Lun Lun(string name, string parameter = "Name") =>
        Inventory.GetLun(InputValidator.Name(name, parameter)) ?? throw new InventoryNotFoundException($"No LUN named '{name}'.");

    /// <summary>A LUN's snapshot by name (both names validated; either missing is NotFound).</summary>
    public LunSnapshot Snapshot(Lun lun, string snapshot, string parameter = "Snapshot")
    {
        var name = InputValidator.Name(snapshot, parameter);
        return Inventory.GetSnapshot(lun.Id, name)
               ?? throw new InventoryNotFoundException($"LUN '{lun.Name}' has no snapshot named '{name}' (Get-IscsiLunSnapshot {lun.Name} lists them).");
    }

    public Backend BackendOf(Lun lun) =>
        Inventory.GetBackendById(lun.BackendId) ?? throw new InventoryNotFoundException($"LUN '{lun.Name}' names a backend that does not exist.");
}
