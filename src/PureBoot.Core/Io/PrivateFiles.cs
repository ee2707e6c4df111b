using System.Security.Cryptography;
using System.Text;

namespace PureBoot.Core.Io;

/// <summary>
/// Files and directories only their owner may read: the inventory, the secret key, iPXE scripts (which hold CHAP
/// secrets), the simulator's state and SSH control sockets. Files are 0600 from their first byte (never chmod-ed
/// afterwards), directories 0700.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the directory (and its parents) 0700 when missing. With <paramref name="enforce"/>, an existing one is made 0700 too.</summary>
    public static void EnsureDirectory(string dir, bool enforce = false)
    {
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(dir); return; }
        if (!Directory.Exists(dir)) Directory.CreateDirectory(dir, DirectoryMode);
        else if (enforce) File.SetUnixFileMode(dir, DirectoryMode);
    }

    /// <summary>Opens a new file (CreateNew: never an existing one) with mode 0600 from the start.</summary>
    public static FileStream CreateNew(string path, FileShare share = FileShare.None)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = share };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        return new FileStream(path, options);
    }

    /// <summary>Creates an empty 0600 file unless one exists. False when it existed (or another process won the race).</summary>
    public static bool TryCreateEmpty(string path)
    {
        if (File.Exists(path)) return false;
        try { using var _ = CreateNew(path, FileShare.ReadWrite); return true; }
        catch (IOException) when (File.Exists(path)) { return false; }
    }

    /// <summary>
    /// Writes the whole file under a temporary 0600 name in the same directory, flushes it to disk and renames it into
    /// place, so a reader sees the old file or the whole new one. Without <paramref name="overwrite"/> an existing file
    /// is refused (IOException). Returns the full path.
    /// </summary>
    public static string WriteAtomically(string path, string text, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}.tmp");
        try
        {
            using (var fs = CreateNew(tmp))
            {
                fs.Write(new UTF8Encoding(false).GetBytes(text));
                fs.Flush(flushToDisk: true);
            }
            if (!overwrite && File.Exists(full)) throw new IOException($"{full} exists");
            File.Move(tmp, full, overwrite);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
        return full;
    }
}
