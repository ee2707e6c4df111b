using System.Management.Automation;
using PureBoot.Core.Inventory;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.PowerShell;

/// <summary>
/// The module's stable error ids (the first part of FullyQualifiedErrorId) and how Core failures map to them.
/// Scripts may match on these ids; do not rename them.
/// </summary>
public static class PureBootErrorIds
{
    public const string InvalidArgument = "PureBoot.InvalidArgument";
    public const string NotFound = "PureBoot.NotFound";
    /// <summary>An object of that name already exists (category ResourceExists), or its state forbids the change (InvalidOperation).</summary>
    public const string Conflict = "PureBoot.Conflict";
    public const string HostUnavailable = "PureBoot.HostUnavailable";
    public const string SecretUnavailable = "PureBoot.SecretUnavailable";
    public const string InventoryUnavailable = "PureBoot.InventoryUnavailable";
    /// <summary>Set-IscsiLunAssignment got no -Node and no node is named like the LUN.</summary>
    public const string NodeRequired = "PureBoot.NodeRequired";
    /// <summary>The target did not end up as asked (targetcli refused a line, a check failed): one id per operation.</summary>
    public const string LunCreateFailed = "PureBoot.LunCreateFailed";
    public const string LunAssignFailed = "PureBoot.LunAssignFailed";
    public const string LunUnassignFailed = "PureBoot.LunUnassignFailed";
    public const string LunRemoveFailed = "PureBoot.LunRemoveFailed";
    public const string LunResizeFailed = "PureBoot.LunResizeFailed";
    public const string LunUpdateFailed = "PureBoot.LunUpdateFailed";
    /// <summary>Set-IscsiNode could not move a LUN's ACL to the node's new initiator IQN (Sync-IscsiTarget finishes it).</summary>
    public const string NodeUpdateFailed = "PureBoot.NodeUpdateFailed";
    public const string BackendTestFailed = "PureBoot.BackendTestFailed";
    /// <summary>Sync-IscsiTarget could not converge a LUN (its backing data is gone, its LUN slot is taken, a check failed).</summary>
    public const string SyncFailed = "PureBoot.SyncFailed";
    /// <summary>Restart-IscsiTarget could not restart a LUN's export (it is not exported as recorded, or the target refused).</summary>
    public const string RestartFailed = "PureBoot.RestartFailed";
    /// <summary>Provisioning would take a thin pool or filesystem beyond the backend's MaxFillPercent: nothing was made.</summary>
    public const string InsufficientSpace = "PureBoot.InsufficientSpace";
    /// <summary>The disk lifecycle's operations, when the host did not end up as asked.</summary>
    public const string ImageCreateFailed = "PureBoot.ImageCreateFailed";
    public const string ImageRemoveFailed = "PureBoot.ImageRemoveFailed";
    public const string LunCheckpointFailed = "PureBoot.LunCheckpointFailed";
    public const string SnapshotRemoveFailed = "PureBoot.SnapshotRemoveFailed";
    public const string LunRestoreFailed = "PureBoot.LunRestoreFailed";
    public const string LunResetFailed = "PureBoot.LunResetFailed";
    public const string LunImageUpdateFailed = "PureBoot.LunImageUpdateFailed";
    /// <summary>Anything else (a bug): the message says what.</summary>
    public const string Unexpected = "PureBoot.Unexpected";
}

/// <summary>The exception inside every PureBoot ErrorRecord: the failure's kind and the cmdlet's wording; Core's exception is the inner one.</summary>
public sealed class PureBootOperationException : Exception
{
    public FailureKind Failure { get; }
    public PureBootOperationException(FailureKind failure, string message, Exception? inner = null) : base(message, inner) { Failure = failure; }
}

/// <summary>
/// Turns Core's failures into ErrorRecords, one way for every cmdlet:
/// <list type="bullet">
/// <item>FullyQualifiedErrorId: a stable id above; category by kind: InvalidArgument, ObjectNotFound, ResourceExists (a
/// name taken), InvalidOperation (the object's state or use forbids it), the host failure's own category, SecurityError,
/// WriteError (the target refused).</item>
/// <item>TargetObject: the name of the backend, node or LUN the error is about; for a bad parameter value,
/// CategoryInfo.TargetName is the cmdlet's parameter name and TargetType "Parameter".</item>
/// <item>Message: one or more sentences, capitalised, ending with a full stop; a bad value reads
/// "Parameter '&lt;cmdlet parameter&gt;': &lt;reason&gt;", composed here from Core's code (parameter name) and reason: Core's
/// names become the cmdlet's through the cmdlet's explicit map, never by rewriting text.</item>
/// </list>
/// </summary>
internal static class PureBootErrors
{
    /// <summary>Error id and category for a failure kind. <paramref name="rejectedId"/> names the operation the target refused.</summary>
    public static (string Id, ErrorCategory Category) ForFailure(FailureKind kind, string rejectedId) => kind switch
    {
        FailureKind.InvalidArgument => (PureBootErrorIds.InvalidArgument, ErrorCategory.InvalidArgument),
        FailureKind.NotFound => (PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound),
        FailureKind.AlreadyExists => (PureBootErrorIds.Conflict, ErrorCategory.ResourceExists),
        FailureKind.Conflict => (PureBootErrorIds.Conflict, ErrorCategory.InvalidOperation),
        FailureKind.HostUnavailable => (PureBootErrorIds.HostUnavailable, ErrorCategory.ConnectionError),
        FailureKind.SecretUnavailable => (PureBootErrorIds.SecretUnavailable, ErrorCategory.SecurityError),
        FailureKind.InsufficientSpace => (PureBootErrorIds.InsufficientSpace, ErrorCategory.LimitsExceeded),
        _ => (rejectedId, ErrorCategory.WriteError),
    };

    const string CheckBackend = "Run Test-IscsiBackend to check the backend.";
    const string FreeSpace = "Free space in the thin pool or filesystem, or raise the backend's limit (Set-IscsiBackend -MaxFillPercent).";
    const string UseTheKey = "Use the secret key the inventory was sealed with (PUREBOOT_SECRET_KEY or the key file).";

    /// <summary>An ErrorRecord for a Core exception. Core messages never hold secrets; nor does anything added here.</summary>
    public static ErrorRecord FromException(Exception e, object? target, IReadOnlyDictionary<string, string>? parameterNames = null, string? rejectedId = null)
    {
        switch (e)
        {
            case ValidationException v:
                return Invalid(Parameter(v.ParamName, parameterNames), v.Reason, target, e);
            case ArgumentException a when a.ParamName is not null:
                // An argument check outside the validator: its message without .NET's "(Parameter 'x')" tail.
                return Invalid(Parameter(a.ParamName, parameterNames), a.Message.Split(" (Parameter '")[0], target, e);
            case InventoryNotFoundException:
                return Record(FailureKind.NotFound, e.Message, target, e);
            case InventoryConflictException c:
                return Record(c.Kind == ConflictKind.AlreadyExists ? FailureKind.AlreadyExists : FailureKind.Conflict, e.Message, target, e);
            case SecretDecryptionException or SecretKeyException:
                return Record(FailureKind.SecretUnavailable, e.Message, target, e, UseTheKey);
            case InsufficientSpaceException x:
                return Record(FailureKind.InsufficientSpace, e.Message, target ?? x.Backend, e, FreeSpace);
            case TargetHostException h:
                return Make(PureBootErrorIds.HostUnavailable, HostCategory(h.Failure), e.Message, target, CheckBackend, FailureKind.HostUnavailable, e);
            case InventoryException:
                return Make(PureBootErrorIds.InventoryUnavailable, ErrorCategory.ResourceUnavailable, e.Message, target, inner: e);
            default:
                return Make(rejectedId ?? PureBootErrorIds.Unexpected, ErrorCategory.NotSpecified, e.Message, target, inner: e);
        }
    }

    public static ErrorCategory HostCategory(TargetHostFailure f) => f switch
    {
        TargetHostFailure.AuthenticationFailed => ErrorCategory.AuthenticationError,
        TargetHostFailure.HostKeyRejected => ErrorCategory.SecurityError,
        TargetHostFailure.SudoRefused or TargetHostFailure.NeedsRoot => ErrorCategory.PermissionDenied,
        TargetHostFailure.LockTimeout => ErrorCategory.ResourceBusy,
        TargetHostFailure.Timeout => ErrorCategory.OperationTimeout,
        TargetHostFailure.TargetcliMissing => ErrorCategory.NotInstalled,
        TargetHostFailure.ProtocolError or TargetHostFailure.TargetcliFailed => ErrorCategory.ProtocolError,
        _ => ErrorCategory.ConnectionError,
    };

    /// <summary>An ErrorRecord for a failed item of a batch; its TargetObject is the item's name.</summary>
    public static ErrorRecord FromOutcome(LunOutcome o, string rejectedId, IReadOnlyDictionary<string, string>? parameterNames = null)
    {
        var kind = o.Failure ?? FailureKind.TargetRejected;
        if (kind == FailureKind.InvalidArgument && o.Parameter is not null && o.Reason is not null)
            return Invalid(Parameter(o.Parameter, parameterNames), o.Reason, o.Name, null);
        var recommended = kind switch { FailureKind.HostUnavailable => CheckBackend, FailureKind.SecretUnavailable => UseTheKey, FailureKind.InsufficientSpace => FreeSpace, _ => null };
        var (id, category) = ForFailure(kind, rejectedId);
        if (kind == FailureKind.InsufficientSpace && o.Parameter is not null)
        {
            // Which limit was hit (e.g. SizeGB), where a script finds it.
            var space = Make(id, category, o.Error ?? $"{o.Name}: {kind}", o.Name, FreeSpace, kind);
            space.CategoryInfo.TargetName = Parameter(o.Parameter, parameterNames);
            space.CategoryInfo.TargetType = "Parameter";
            return space;
        }
        return Make(id, category, o.Error ?? $"{o.Name}: {kind}", o.Name, recommended, kind);
    }

    /// <summary>A plain error with a stable id (checks made by the cmdlet itself, and the records above).</summary>
    public static ErrorRecord Make(string id, ErrorCategory category, string message, object? target, string? recommendedAction = null,
        FailureKind? kind = null, Exception? inner = null)
    {
        var text = Sentence(message);
        var failure = kind ?? (category == ErrorCategory.InvalidArgument ? FailureKind.InvalidArgument : category == ErrorCategory.ObjectNotFound ? FailureKind.NotFound : FailureKind.TargetRejected);
        var r = new ErrorRecord(new PureBootOperationException(failure, text, inner), id, category, target)
        {
            ErrorDetails = new ErrorDetails(text) { RecommendedAction = recommendedAction },
        };
        return r;
    }

    /// <summary>A bad value: "Parameter 'X': reason.", with X as the cmdlet's parameter.</summary>
    public static ErrorRecord Invalid(string parameter, string reason, object? target, Exception? inner)
    {
        var r = Make(PureBootErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, $"Parameter '{parameter}': {reason}", target ?? parameter, kind: FailureKind.InvalidArgument, inner: inner);
        // Where a script finds the offending parameter: $err.CategoryInfo.TargetName.
        r.CategoryInfo.TargetName = parameter;
        r.CategoryInfo.TargetType = "Parameter";
        return r;
    }

    static ErrorRecord Record(FailureKind kind, string message, object? target, Exception inner, string? recommended = null)
    {
        var (id, category) = ForFailure(kind, PureBootErrorIds.Unexpected);
        return Make(id, category, message, target, recommended, kind, inner);
    }

    /// <summary>The cmdlet's name for one of Core's parameter names (the cmdlet's explicit map; the same name when unmapped).</summary>
    public static string Parameter(string? coreName, IReadOnlyDictionary<string, string>? names) =>
        coreName is null ? "?" : names is not null && names.TryGetValue(coreName, out var mapped) ? mapped : coreName;

    /// <summary>The module's message style: starts with a capital, ends with a full stop.</summary>
    public static string Sentence(string text)
    {
        var t = text.Trim();
        if (t.Length == 0) return t;
        if (t[0] is >= 'a' and <= 'z' && !t.StartsWith("iqn.", StringComparison.Ordinal)) t = char.ToUpperInvariant(t[0]) + t[1..];
        if (!t.EndsWith('.') && !t.EndsWith('!') && !t.EndsWith('?')) t += ".";
        return t;
    }
}
