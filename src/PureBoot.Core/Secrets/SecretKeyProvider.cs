using System.Security.Cryptography;

namespace PureBoot.Core.Secrets;

/// <summary>
/// Supplies the 32-byte key that seals CHAP secrets. The key comes from the environment variable
/// <c>PUREBOOT_SECRET_KEY</c> (base64 of 32 bytes) when it is set, else from a key file
/// (default <c>$XDG_CONFIG_HOME/PureBoot/secret.key</c>, else <c>~/.config/PureBoot/secret.key</c>)
/// which is created on first use with 32 random bytes and mode 0600. There is no built-in key.
/// </summary>
public sealed class SecretKeyProvider
{
    public const string EnvironmentVariable = "PUREBOOT_SECRET_KEY";
    public const int KeySize = 32;
    public const string KeyFileName = "secret.key";

    private readonly object _gate = new();
    private byte[]? _cached;
    private string? _cachedSource;

    /// <param name="keyFilePath">The key file to use when <c>PUREBOOT_SECRET_KEY</c> is not set; null for the default.</param>
    public SecretKeyProvider(string? keyFilePath = null)
    {
        KeyFilePath = Path.GetFullPath(string.IsNullOrWhiteSpace(keyFilePath) ? DefaultKeyFilePath() : keyFilePath);
    }

    /// <summary>The key file used when the environment variable is not set.</summary>
    public string KeyFilePath { get; }

    /// <summary>Reads environment variables; replaceable by tests.</summary>
    internal Func<string, string?> GetEnvironmentVariable { get; set; } = Environment.GetEnvironmentVariable;

    /// <summary>Where the key in use comes from, for messages (never the key itself).</summary>
    public string KeySourceDescription
    {
        get
        {
            lock (_gate)
            {
                if (_cachedSource is not null) return _cachedSource;
            }
            return GetEnvironmentVariable(EnvironmentVariable) is not null
                ? $"the environment variable {EnvironmentVariable}"
                : $"the key file {KeyFilePath}";
        }
    }

    /// <summary>The default key file: $XDG_CONFIG_HOME/PureBoot/secret.key, else ~/.config/PureBoot/secret.key.</summary>
    public static string DefaultKeyFilePath()
    {
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrWhiteSpace(config) || !Path.IsPathRooted(config))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) home = Environment.GetEnvironmentVariable("HOME") ?? "";
            if (string.IsNullOrEmpty(home))
                throw new SecretKeyException(
                    $"cannot find a place for the PureBoot secret key file: neither XDG_CONFIG_HOME nor HOME is set; set {EnvironmentVariable} or pass a key file path");
            config = Path.Combine(home, ".config");
        }
        return Path.Combine(config, "PureBoot", KeyFileName);
    }

    /// <summary>Returns a copy of the key, loading (or on first use creating) it once.</summary>
    public byte[] GetKey()
    {
        lock (_gate)
        {
            if (_cached is null)
            {
                var env = GetEnvironmentVariable(EnvironmentVariable);
                if (env is not null)
                {
                    _cached = ParseEnvironmentKey(env);
                    _cachedSource = $"the environment variable {EnvironmentVariable}";
                }
                else
                {
                    _cached = LoadOrCreateKeyFile(KeyFilePath);
                    _cachedSource = $"the key file {KeyFilePath}";
                }
            }
            return (byte[])_cached.Clone();
        }
    }

    /// <summary>A SecretBox over this provider's key.</summary>
    public SecretBox CreateBox()
    {
        var key = GetKey();
        try { return new SecretBox(key, KeySourceDescription); }
        finally { CryptographicOperations.ZeroMemory(key); }
    }

    private static byte[] ParseEnvironmentKey(string value)
    {
        const string hint = "it must be the base64 encoding of exactly 32 bytes, e.g. the output of 'openssl rand -base64 32'";
        byte[] key;
        try
        {
            key = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new SecretKeyException($"{EnvironmentVariable} is set but is not valid base64; {hint}");
        }
        if (key.Length != KeySize)
        {
            var length = key.Length;
            CryptographicOperations.ZeroMemory(key);
            throw new SecretKeyException($"{EnvironmentVariable} is set but decodes to {length} bytes, not {KeySize}; {hint}");
        }
        return key;
    }

    private static byte[] LoadOrCreateKeyFile(string path)
    {
        if (!File.Exists(path))
        {
            var created = TryCreateKeyFile(path);
            if (created is not null) return created;
            // Another process created it first: fall through and read theirs.
        }
        return ReadKeyFile(path);
    }

    /// <summary>Creates the key file with CreateNew (so two processes cannot both create one) and mode 0600
    /// from the start. Returns null when the file already exists.</summary>
    private static byte[]? TryCreateKeyFile(string path)
    {
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
        {
            try
            {
                Io.PrivateFiles.EnsureDirectory(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SecretKeyException($"cannot create the directory {dir} for the PureBoot secret key file: {ex.Message}", ex);
            }
        }

        FileStream stream;
        try
        {
            // Readers racing the creation may open it; they retry until all 32 bytes are there.
            stream = Io.PrivateFiles.CreateNew(path, FileShare.ReadWrite);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SecretKeyException($"cannot create the PureBoot secret key file {path}: {ex.Message}", ex);
        }

        var key = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            using (stream)
            {
                stream.Write(key);
                stream.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CryptographicOperations.ZeroMemory(key);
            try { File.Delete(path); } catch { /* best effort: leave nothing half-written */ }
            throw new SecretKeyException($"cannot write the PureBoot secret key file {path}: {ex.Message}", ex);
        }
        return key;
    }

    /// <summary>Reads up to 32 bytes (never more) and the file's length.</summary>
    private static (byte[] Bytes, long Length) ReadKeyBytes(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[KeySize];
        var total = 0;
        int read;
        while (total < KeySize && (read = stream.Read(buffer, total, KeySize - total)) > 0) total += read;
        var length = Math.Max(total, stream.Length);
        if (total == KeySize && length == KeySize) return (buffer, length);
        CryptographicOperations.ZeroMemory(buffer);
        return ([], length);
    }

    private static byte[] ReadKeyFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode;
            try { mode = File.GetUnixFileMode(path); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SecretKeyException($"cannot read the PureBoot secret key file {path}: {ex.Message}", ex);
            }
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
                throw new SecretKeyException(
                    $"refusing the PureBoot secret key file {path}: it is accessible by group or others (mode {Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0')}); " +
                    $"run 'chmod 600 {path}' if it has not been exposed, otherwise treat the CHAP secrets as compromised");
        }

        // A key file another process has just created may briefly be shorter than 32 bytes: retry for a moment.
        for (var attempt = 0; ; attempt++)
        {
            byte[] bytes;
            long length;
            try { (bytes, length) = ReadKeyBytes(path); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SecretKeyException($"cannot read the PureBoot secret key file {path}: {ex.Message}", ex);
            }
            if (length == KeySize && bytes.Length == KeySize) return bytes;
            if (length < KeySize && attempt < 20)
            {
                Thread.Sleep(50);
                continue;
            }
            throw new SecretKeyException(
                $"the PureBoot secret key file {path} is {length} bytes long, not {KeySize}: it is damaged or not a PureBoot key file");
        }
    }
}
