namespace PureBoot.Core.Inventory;

/// <summary>Base of the inventory's errors. Messages never contain secrets.</summary>
public class InventoryException : Exception
{
    public InventoryException(string message) : base(message) { }
    public InventoryException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>Why a change conflicts with what exists.</summary>
public enum ConflictKind
{
    /// <summary>The object is in a state (or use) that forbids the change: assigned, still has LUNs, Creating, ...</summary>
    InUse,
    /// <summary>An object of that name (or MAC, IQN) already exists and differs from what was asked.</summary>
    AlreadyExists,
}

/// <summary>A change would break a uniqueness or reference rule (duplicate name, object still in use, ...).</summary>
public sealed class InventoryConflictException : InventoryException
{
    public ConflictKind Kind { get; }
    public InventoryConflictException(string message, ConflictKind kind = ConflictKind.InUse) : base(message) { Kind = kind; }
    public InventoryConflictException(string message, Exception? inner, ConflictKind kind = ConflictKind.InUse) : base(message, inner) { Kind = kind; }
}

/// <summary>The named or referenced object is not in the inventory.</summary>
public sealed class InventoryNotFoundException : InventoryException
{
    public InventoryNotFoundException(string message) : base(message) { }
    public InventoryNotFoundException(string message, Exception? inner) : base(message, inner) { }
}
