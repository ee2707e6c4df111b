using System.Security.Cryptography;
using System.Text;

namespace PureBoot.Core.Secrets;

/// <summary>
/// The secret key in use, read again whenever its source changes (PUREBOOT_SECRET_KEY set, changed or unset; the key
/// file replaced), so a module imported hours ago never seals with a key the user has since swapped. Each new key is
/// checked against the inventory's key check before it is used.
/// </summary>
public sealed class SecretKeyring
{
    readonly Func<SecretBox>? _fixed;
    readonly Action<SecretBox> _onNewKey;
    readonly object _gate = new();
    SecretBox? _box;
    string? _stamp;

    /// <param name="fixedBox">A key that never changes (tests, or a caller that manages keys itself); null: the environment or key file.</param>
    /// <param name="onNewKey">Runs for every key before first use (the inventory's key check); may throw.</param>
    public SecretKeyring(Func<SecretBox>? fixedBox, Action<SecretBox> onNewKey)
    {
        _fixed = fixedBox;
        _onNewKey = onNewKey;
    }

    public SecretBox Current
    {
        get
        {
            lock (_gate)
            {
                var stamp = _fixed is null ? SourceStamp() : "fixed";
                if (_box is not null && stamp == _stamp) return _box;
                var box = _fixed?.Invoke() ?? new SecretKeyProvider().CreateBox();
                _onNewKey(box);
                (_box, _stamp) = (box, stamp);
                return box;
            }
        }
    }

    /// <summary>Changes whenever the key would be read from somewhere else or from a changed file; never holds the key.</summary>
    static string SourceStamp()
    {
        var env = Environment.GetEnvironmentVariable(SecretKeyProvider.EnvironmentVariable);
        if (env is not null) return "env:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(env)));
        var path = SecretKeyProvider.DefaultKeyFilePath();
        var info = new FileInfo(path);
        return info.Exists ? $"file:{path}:{info.Length}:{info.LastWriteTimeUtc.Ticks}" : $"file:{path}:none";
    }
}
