using System.Management.Automation;
using System.Text.RegularExpressions;
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

/// <summary>The exception inside an ErrorRecord made from a failed batch item.</summary>
public sealed class PureBootOperationException : Exception
{
    public FailureKind Failure { get; }
    public PureBootOperationException(FailureKind failure, string message) : base(message) { Failure = failure; }
}

internal static class PureBootErrors
{
    /// <summary>Error id and category for a failed batch item. <paramref name="rejectedId"/> names the operation.</summary>
    public static (string Id, ErrorCategory Category) ForFailure(FailureKind kind, string rejectedId) => kind switch
    {
        FailureKind.InvalidArgument => (PureBootErrorIds.InvalidArgument, ErrorCategory.InvalidArgument),
        FailureKind.NotFound => (PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound),
        FailureKind.AlreadyExists => (PureBootErrorIds.Conflict, ErrorCategory.ResourceExists),
        FailureKind.Conflict => (PureBootErrorIds.Conflict, ErrorCategory.ResourceExists),
        FailureKind.HostUnavailable => (PureBootErrorIds.HostUnavailable, ErrorCategory.ConnectionError),
        FailureKind.SecretUnavailable => (PureBootErrorIds.SecretUnavailable, ErrorCategory.SecurityError),
        FailureKind.InsufficientSpace => (PureBootErrorIds.InsufficientSpace, ErrorCategory.LimitsExceeded),
        _ => (rejectedId, ErrorCategory.WriteError),
    };

    /// <summary>An ErrorRecord for a Core exception. Core messages never hold secrets; nor does anything added here.</summary>
    public static ErrorRecord FromException(Exception e, object? target, IReadOnlyDictionary<string, string>? parameterNames = null)
    {
        switch (e)
        {
            case ValidationException v:
                return Validation(v, v.ParamName, target, parameterNames);
            case ArgumentException a when a.ParamName is not null:
                // ChapSecrets.Validate and other argument checks.
                return Validation(a, a.ParamName, target, parameterNames);
            case InventoryNotFoundException:
                return Record(e, PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, target);
            case InventoryConflictException:
                return Record(e, PureBootErrorIds.Conflict, ErrorCategory.ResourceExists, target);
            case SecretDecryptionException or SecretKeyException:
                return Record(e, PureBootErrorIds.SecretUnavailable, ErrorCategory.SecurityError, target,
                    "Use the secret key the inventory was sealed with (PUREBOOT_SECRET_KEY or the key file).");
            case InsufficientSpaceException x:
                return Record(e, PureBootErrorIds.InsufficientSpace, ErrorCategory.LimitsExceeded, target ?? x.Backend, "Free space in the thin pool or filesystem, or raise the backend's limit (Set-IscsiBackend -MaxFillPercent).");
            case TargetHostException h:
                return Record(e, PureBootErrorIds.HostUnavailable, HostCategory(h.Failure), target, "Run Test-IscsiBackend to check the backend.");
            case InventoryException:
                return Record(e, PureBootErrorIds.InventoryUnavailable, ErrorCategory.ResourceUnavailable, target);
            default:
                return Record(e, PureBootErrorIds.Unexpected, ErrorCategory.NotSpecified, target);
        }
    }

    public static ErrorCategory HostCategory(TargetHostFailure f) => f switch
    {
        TargetHostFailure.AuthenticationFailed => ErrorCategory.AuthenticationError,
        TargetHostFailure.HostKeyRejected => ErrorCategory.SecurityError,
        TargetHostFailure.SudoRefused => ErrorCategory.PermissionDenied,
        TargetHostFailure.LockTimeout => ErrorCategory.ResourceBusy,
        TargetHostFailure.Timeout => ErrorCategory.OperationTimeout,
        TargetHostFailure.TargetcliMissing => ErrorCategory.NotInstalled,
        TargetHostFailure.ProtocolError or TargetHostFailure.TargetcliFailed => ErrorCategory.ProtocolError,
        _ => ErrorCategory.ConnectionError,
    };

    /// <summary>An ErrorRecord for a failed batch item.</summary>
    public static ErrorRecord FromOutcome(LunOutcome o, string rejectedId, IReadOnlyDictionary<string, string>? parameterNames = null)
    {
        var kind = o.Failure ?? FailureKind.TargetRejected;
        var (id, category) = ForFailure(kind, rejectedId);
        var message = RenameParameters(o.Error ?? $"{o.Name}: {kind}", parameterNames);
        var record = new ErrorRecord(new PureBootOperationException(kind, message), id, category, o.Name);
        if (kind == FailureKind.InvalidArgument && o.Parameter is not null)
        {
            // Where a script finds the offending parameter, as for a ValidationException.
            record.CategoryInfo.TargetName = parameterNames is not null && parameterNames.TryGetValue(o.Parameter, out var p) ? p : o.Parameter;
            record.CategoryInfo.TargetType = "Parameter";
        }
        if (kind == FailureKind.HostUnavailable) record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Run Test-IscsiBackend to check the backend." };
        if (kind == FailureKind.InsufficientSpace)
        {
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Free space in the thin pool or filesystem, or raise the backend's limit (Set-IscsiBackend -MaxFillPercent)." };
            if (o.Parameter is not null) { record.CategoryInfo.TargetName = o.Parameter; record.CategoryInfo.TargetType = "Parameter"; }
        }
        if (kind == FailureKind.SecretUnavailable) record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Use the secret key the inventory was sealed with (PUREBOOT_SECRET_KEY or the key file)." };
        return record;
    }

    /// <summary>A plain error with a stable id (checks made by the cmdlet itself).</summary>
    public static ErrorRecord Make(string id, ErrorCategory category, string message, object? target, string? recommendedAction = null)
    {
        var e = category == ErrorCategory.InvalidArgument ? new ArgumentException(message) : new InvalidOperationException(message) as Exception;
        var r = new ErrorRecord(e, id, category, target);
        if (recommendedAction is not null) r.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
        return r;
    }

    static ErrorRecord Validation(Exception e, string? coreName, object? target, IReadOnlyDictionary<string, string>? names)
    {
        var parameter = coreName is not null && names is not null && names.TryGetValue(coreName, out var mapped) ? mapped : coreName;
        var message = RenameParameters(e.Message, names);
        if (e is ArgumentException && !e.GetType().Equals(typeof(ValidationException)))
            message = message.Split(" (Parameter '")[0];
        var record = new ErrorRecord(e, PureBootErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, target ?? parameter)
        {
            ErrorDetails = new ErrorDetails(message),
        };
        if (parameter is not null)
        {
            // Where a script finds the offending parameter: $err.CategoryInfo.TargetName.
            record.CategoryInfo.TargetName = parameter;
            record.CategoryInfo.TargetType = "Parameter";
        }
        return record;
    }

    static ErrorRecord Record(Exception e, string id, ErrorCategory category, object? target, string? recommendedAction = null)
    {
        var r = new ErrorRecord(e, id, category, target);
        if (recommendedAction is not null) r.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = recommendedAction };
        return r;
    }

    /// <summary>Core names parameters by its own names ("Parameter 'Host'"); say the cmdlet's name instead ("HostName").</summary>
    public static string RenameParameters(string message, IReadOnlyDictionary<string, string>? names)
    {
        if (names is null || names.Count == 0) return message;
        return Regex.Replace(message, @"Parameter '([A-Za-z]+)'", m =>
            names.TryGetValue(m.Groups[1].Value, out var n) ? $"Parameter '{n}'" : m.Value);
    }
}
