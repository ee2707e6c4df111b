using PureBoot.Core.Inventory;
using PureBoot.Core.Secrets;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>The one place where Core's exceptions become an item's <see cref="FailureKind"/>.</summary>
internal static class FailureMap
{
    public static FailureKind? KindOf(Exception e) => e switch
    {
        ValidationException => FailureKind.InvalidArgument,
        InventoryNotFoundException => FailureKind.NotFound,
        InventoryConflictException { Kind: ConflictKind.AlreadyExists } => FailureKind.AlreadyExists,
        InventoryConflictException => FailureKind.Conflict,
        SecretDecryptionException or SecretKeyException => FailureKind.SecretUnavailable,
        InsufficientSpaceException => FailureKind.InsufficientSpace,
        _ => null,
    };

    /// <summary>Records the exception on the outcome when it is one of Core's; false for anything else (a bug: let it fly).</summary>
    public static bool TryFail(LunOutcome o, Exception e)
    {
        if (KindOf(e) is not { } kind) return false;
        o.Fail(kind, e.Message);
        if (e is ValidationException v) { o.Parameter = v.ParamName; o.Reason = v.Reason; }
        if (e is InsufficientSpaceException x) o.Parameter = x.ParamName;
        return true;
    }

    /// <summary>An outcome that failed before it started (one name, one failure).</summary>
    public static IReadOnlyList<LunOutcome> Failed(string name, Exception e)
    {
        var o = new LunOutcome { Name = name };
        if (!TryFail(o, e)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
        return new[] { o };
    }
}
