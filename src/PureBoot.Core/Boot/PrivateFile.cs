using System.Security.Cryptography;
using System.Text;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Boot;

/// <summary>
/// Writes a file that holds a secret: created 0600 from its first byte (never chmod-ed afterwards), written
/// in full under a temporary name in the same directory, flushed to disk and renamed into place, so a reader
/// sees either the old file or the whole new one and nobody else can ever read it.
/// </summary>
public static class PrivateFile
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Returns the full path written. Throws <see cref="ValidationException"/> (parameter Path) for an unusable path.</summary>
    public static string WriteAllText(string path, string text, bool overwrite)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Any(char.IsControl))
            throw new ValidationException("Path", "Parameter 'Path': give a file name without control characters.");
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir))
            throw new ValidationException("Path", $"Parameter 'Path': the directory {dir} does not exist.");
        if (Directory.Exists(full))
            throw new ValidationException("Path", $"Parameter 'Path': {full} is a directory; give a file name.");
        if (!overwrite && File.Exists(full))
            throw new ValidationException("Path", $"Parameter 'Path': {full} exists; use -Force to replace it.");

        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = Mode;
        try
        {
            using (var fs = new FileStream(tmp, options))
            {
                var bytes = new UTF8Encoding(false).GetBytes(text);
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            if (!overwrite && File.Exists(full))
                throw new ValidationException("Path", $"Parameter 'Path': {full} exists; use -Force to replace it.");
            File.Move(tmp, full, overwrite);
        }
        catch
        {
            try { File.Delete(tmp); } catch { }
            throw;
        }
        return full;
    }
}
