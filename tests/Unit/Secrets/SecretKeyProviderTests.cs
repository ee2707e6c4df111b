using System.Security.Cryptography;
using PureBoot.Core.Secrets;
using PureBoot.Tests.Unit.Inventory;
using Xunit;

namespace PureBoot.Tests.Unit.Secrets;

/// <summary>Tests that never read the real environment (the provider's lookup is replaced).</summary>
public sealed class SecretKeyProviderTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SecretKeyProvider Provider(string path, string? env = null) =>
        new(path) { GetEnvironmentVariable = name => name == SecretKeyProvider.EnvironmentVariable ? env : null };

    [Fact]
    public void Key_file_is_created_on_first_use_with_mode_0600_in_a_0700_directory()
    {
        var path = Path.Combine(_dir.Path, "cfg", "PureBoot", "secret.key");
        var key = Provider(path).GetKey();
        Assert.Equal(32, key.Length);
        Assert.True(File.Exists(path));
        Assert.Equal(key, File.ReadAllBytes(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(Private, File.GetUnixFileMode(path));
            Assert.Equal(Private | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
        // Later uses read the same key.
        Assert.Equal(key, Provider(path).GetKey());
        Assert.Contains(path, Provider(path).KeySourceDescription);
    }

    [Fact]
    public void There_is_no_default_key_each_key_file_is_random()
    {
        var k1 = Provider(_dir.File("one.key")).GetKey();
        var k2 = Provider(_dir.File("two.key")).GetKey();
        Assert.NotEqual(k1, k2);
        Assert.NotEqual(new byte[32], k1);
    }

    [Fact]
    public void Concurrent_first_use_agrees_on_one_key()
    {
        var path = _dir.File("race.key");
        var keys = new byte[8][];
        Parallel.For(0, keys.Length, i => keys[i] = Provider(path).GetKey());
        Assert.All(keys, k => Assert.Equal(File.ReadAllBytes(path), k));
    }

    [Fact]
    public void Group_or_world_readable_key_file_is_refused()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = _dir.File("loose.key");
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(path, Private | UnixFileMode.GroupRead);
        var ex = Assert.Throws<SecretKeyException>(() => Provider(path).GetKey());
        Assert.Contains(path, ex.Message);
        Assert.Contains("group or others", ex.Message);
        Assert.Contains("0640", ex.Message);

        File.SetUnixFileMode(path, Private | UnixFileMode.OtherRead);
        Assert.Throws<SecretKeyException>(() => Provider(path).GetKey());

        File.SetUnixFileMode(path, Private);
        Assert.Equal(32, Provider(path).GetKey().Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(33)]
    public void Key_file_of_the_wrong_size_is_refused(int size)
    {
        var path = _dir.File($"bad{size}.key");
        File.WriteAllBytes(path, new byte[size]);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, Private);
        var ex = Assert.Throws<SecretKeyException>(() => Provider(path).GetKey());
        Assert.Contains(path, ex.Message);
        Assert.Contains($"{size} bytes", ex.Message);
    }

    [Fact]
    public void Environment_key_wins_over_the_key_file()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var path = _dir.File("unused.key");
        var provider = Provider(path, Convert.ToBase64String(key));
        Assert.Equal(key, provider.GetKey());
        Assert.False(File.Exists(path));
        Assert.Contains("PUREBOOT_SECRET_KEY", provider.KeySourceDescription);
    }

    [Theory]
    [InlineData("not base64 at all!!")]
    [InlineData("c2hvcnQ=")] // "short": 5 bytes
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 36 bytes
    public void Bad_environment_key_is_a_clear_error_without_echoing_the_value(string value)
    {
        var ex = Assert.Throws<SecretKeyException>(() => Provider(_dir.File("k"), value).GetKey());
        Assert.Contains("PUREBOOT_SECRET_KEY", ex.Message);
        Assert.Contains("32 bytes", ex.Message);
        if (value.Length > 0) Assert.DoesNotContain(value, ex.Message);
        Assert.False(File.Exists(_dir.File("k")));
    }

    [Fact]
    public void Box_from_provider_names_its_key_source()
    {
        var path = _dir.File("box.key");
        var box = SecretBox.FromProvider(Provider(path));
        var sealedSecret = box.Seal("TopSecret12345", "c");
        Assert.Equal("TopSecret12345", SecretBox.FromProvider(Provider(path)).Open(sealedSecret, "c"));
        var other = SecretBox.FromProvider(Provider(_dir.File("other.key")));
        var ex = Assert.Throws<SecretDecryptionException>(() => other.Open(sealedSecret, "c"));
        Assert.Contains(_dir.File("other.key"), ex.Message);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PureBootSecretsEnvironmentCollection
{
    public const string Name = "PureBoot.Secrets.Environment";
}

/// <summary>Tests that set real environment variables: run alone, and restore them.</summary>
[Collection(PureBootSecretsEnvironmentCollection.Name)]
public sealed class SecretKeyEnvironmentTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, string?> _saved = new();

    private void Set(string name, string? value)
    {
        if (!_saved.ContainsKey(name)) _saved[name] = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
        _dir.Dispose();
    }

    [Fact]
    public void Real_environment_variable_is_used_when_set()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        Set(SecretKeyProvider.EnvironmentVariable, Convert.ToBase64String(key));
        var path = _dir.File("never.key");
        Assert.Equal(key, new SecretKeyProvider(path).GetKey());
        Assert.False(File.Exists(path));

        Set(SecretKeyProvider.EnvironmentVariable, null);
        var fileKey = new SecretKeyProvider(path).GetKey();
        Assert.NotEqual(key, fileKey);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Default_key_file_follows_XDG_CONFIG_HOME_then_HOME()
    {
        Set("XDG_CONFIG_HOME", _dir.Path);
        Assert.Equal(Path.Combine(_dir.Path, "PureBoot", "secret.key"), SecretKeyProvider.DefaultKeyFilePath());
        Assert.Equal(Path.Combine(_dir.Path, "PureBoot", "secret.key"), new SecretKeyProvider().KeyFilePath);

        Set("XDG_CONFIG_HOME", null);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".config", "PureBoot", "secret.key"), SecretKeyProvider.DefaultKeyFilePath());
    }

    [Fact]
    public void Inventory_path_follows_PUREBOOT_DB_then_XDG_DATA_HOME()
    {
        var explicitPath = _dir.File("explicit.db");
        Set("PUREBOOT_DB", _dir.File("env.db"));
        Assert.Equal(explicitPath, PureBoot.Core.Inventory.InventoryPaths.Resolve(explicitPath));
        Assert.Equal(_dir.File("env.db"), PureBoot.Core.Inventory.InventoryPaths.Resolve(null));

        Set("PUREBOOT_DB", null);
        Set("XDG_DATA_HOME", Path.Combine(_dir.Path, "data"));
        var resolved = PureBoot.Core.Inventory.InventoryPaths.Resolve(null);
        Assert.Equal(Path.Combine(_dir.Path, "data", "PureBoot", "pureboot.db"), resolved);
        Assert.True(Directory.Exists(Path.GetDirectoryName(resolved)));
    }
}
