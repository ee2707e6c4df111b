namespace PureBoot.Core.Inventory;

/// <summary>Base of the inventory's errors. Messages never contain secrets.</summary>
public class InventoryException : Exception
{
    public InventoryException(string message) : base(message) { }
    public InventoryException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A change would break a uniqueness or reference rule (duplicate name, object still in use, ...).</summary>
public sealed class InventoryConflictException : InventoryException
{
    public InventoryConflictException(string message) : base(message) { }
    public InventoryConflictException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The named or referenced object is not in the inventory.</summary>
public sealed class InventoryNotFoundException : InventoryException
{
    public InventoryNotFoundException(string message) : base(message) { }
    public InventoryNotFoundException(string message, Exception? inner) : base(message, inner) { }
}
