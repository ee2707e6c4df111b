namespace PureBoot.Core.Inventory;

public static class InventoryPaths
{
    public const string EnvironmentVariable = "PUREBOOT_DB";
    public const string FileName = "pureboot.db";

    /// <summary>
    /// The inventory file: <paramref name="explicitPath"/>, else $PUREBOOT_DB, else $XDG_DATA_HOME/PureBoot/pureboot.db,
    /// else ~/.local/share/PureBoot/pureboot.db. Creates the parent directory (mode 0700) when missing.
    /// </summary>
    public static string Resolve(string? explicitPath)
    {
        string path;
        if (!string.IsNullOrWhiteSpace(explicitPath))
            path = explicitPath;
        else if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env && !string.IsNullOrWhiteSpace(env))
            path = env;
        else
        {
            var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            if (string.IsNullOrWhiteSpace(data) || !Path.IsPathRooted(data))
            {
                var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(home)) home = Environment.GetEnvironmentVariable("HOME") ?? "";
                if (string.IsNullOrEmpty(home))
                    throw new InventoryException(
                        $"cannot find a place for the PureBoot inventory: neither XDG_DATA_HOME nor HOME is set; set {EnvironmentVariable} or pass a path");
                data = Path.Combine(home, ".local", "share");
            }
            path = Path.Combine(data, "PureBoot", FileName);
        }

        path = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
        {
            try
            {
                Io.PrivateFiles.EnsureDirectory(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InventoryException($"cannot create the directory {dir} for the PureBoot inventory: {ex.Message}", ex);
            }
        }
        return path;
    }
}
