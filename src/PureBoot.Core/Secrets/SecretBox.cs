using System.Security.Cryptography;
using System.Text;

namespace PureBoot.Core.Secrets;

/// <summary>
/// Seals secrets with AES-256-GCM. Layout: version byte (1), 12-byte random nonce, ciphertext, 16-byte tag.
/// The context (e.g. "lun:web01:chap") is the associated data, so a sealed value copied to another row does not open.
/// </summary>
public sealed class SecretBox
{
    public const byte FormatVersion = 1;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int KeySize = 32;
    private const string KeyCheckLabel = "PureBoot secret key check v1";

    private readonly byte[] _key;

    /// <param name="key">Exactly 32 bytes; copied.</param>
    /// <param name="keySource">Where the key came from, for messages (e.g. "the key file /x/secret.key").</param>
    public SecretBox(byte[] key, string? keySource = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != KeySize)
            throw new ArgumentException($"the secret key must be exactly {KeySize} bytes, not {key.Length}", nameof(key));
        _key = (byte[])key.Clone();
        KeySource = string.IsNullOrWhiteSpace(keySource) ? "the configured secret key" : keySource;
    }

    public static SecretBox FromProvider(SecretKeyProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return provider.CreateBox();
    }

    /// <summary>Where the key came from, for messages.</summary>
    public string KeySource { get; }

    /// <summary>The message for a key that does not match the one the secrets were sealed with.</summary>
    public string KeyMismatchMessage =>
        "the CHAP secret could not be decrypted: the secret key does not match the one it was sealed with " +
        $"(set PUREBOOT_SECRET_KEY or restore the original key file; the key in use came from {KeySource})";

    public byte[] Seal(string secret, string context)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(context);
        var plain = Encoding.UTF8.GetBytes(secret);
        try
        {
            var output = new byte[1 + NonceSize + plain.Length + TagSize];
            output[0] = FormatVersion;
            var nonce = output.AsSpan(1, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(_key, TagSize);
            aes.Encrypt(nonce, plain,
                output.AsSpan(1 + NonceSize, plain.Length),
                output.AsSpan(1 + NonceSize + plain.Length, TagSize),
                Encoding.UTF8.GetBytes(context));
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public string Open(byte[] sealedSecret, string context)
    {
        ArgumentNullException.ThrowIfNull(sealedSecret);
        ArgumentNullException.ThrowIfNull(context);
        if (sealedSecret.Length < 1 + NonceSize + TagSize)
            throw new SecretDecryptionException(
                $"the CHAP secret could not be decrypted: the stored value for {context} is truncated or damaged");
        if (sealedSecret[0] != FormatVersion)
            throw new SecretDecryptionException(
                $"the CHAP secret could not be decrypted: the stored value for {context} has an unknown format version {sealedSecret[0]}");

        var cipherLength = sealedSecret.Length - 1 - NonceSize - TagSize;
        var plain = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(
                sealedSecret.AsSpan(1, NonceSize),
                sealedSecret.AsSpan(1 + NonceSize, cipherLength),
                sealedSecret.AsSpan(1 + NonceSize + cipherLength, TagSize),
                plain,
                Encoding.UTF8.GetBytes(context));
            return Encoding.UTF8.GetString(plain);
        }
        catch (CryptographicException ex)
        {
            throw new SecretDecryptionException(
                KeyMismatchMessage + $", or the stored value for {context} was altered or copied from another object", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>HMAC-SHA256 of a fixed label under the key: stored once so a wrong key is detected up front.
    /// It reveals nothing about the key.</summary>
    public byte[] ComputeKeyCheck() => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(KeyCheckLabel));

    /// <summary>Throws <see cref="SecretDecryptionException"/> unless <paramref name="stored"/> is this key's check value.</summary>
    public void VerifyKeyCheck(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var mine = ComputeKeyCheck();
        if (!CryptographicOperations.FixedTimeEquals(mine, stored))
            throw new SecretDecryptionException(KeyMismatchMessage);
    }
}
