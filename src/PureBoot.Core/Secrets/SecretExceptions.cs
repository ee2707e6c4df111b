namespace PureBoot.Core.Secrets;

/// <summary>
/// A sealed secret (or the inventory's key check value) could not be opened with the key in use:
/// the key is not the one the secret was sealed with, or the stored value was altered or moved.
/// The message never contains the secret or the key.
/// </summary>
public sealed class SecretDecryptionException : Exception
{
    public SecretDecryptionException(string message) : base(message) { }
    public SecretDecryptionException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The secret key could not be loaded: a bad PUREBOOT_SECRET_KEY, or an unsafe or damaged key file.
/// The message names the variable or file, never the key.</summary>
public sealed class SecretKeyException : Exception
{
    public SecretKeyException(string message) : base(message) { }
    public SecretKeyException(string message, Exception inner) : base(message, inner) { }
}
