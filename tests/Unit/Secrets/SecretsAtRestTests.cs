using System.Security.Cryptography;
using System.Text;
using PureBoot.Core.Inventory;
using PureBoot.Core.Secrets;
using PureBoot.Tests.Unit.Inventory;
using Xunit;

namespace PureBoot.Tests.Unit.Secrets;

/// <summary>Secrets as stored in the inventory.</summary>
public sealed class SecretsAtRestTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("pureboot.db");

    public void Dispose() => _dir.Dispose();

    private static bool FileContains(string path, string text) =>
        FileContains(path, Encoding.UTF8.GetBytes(text)) || FileContains(path, Encoding.Unicode.GetBytes(text));

    private static bool FileContains(string path, byte[] needle)
    {
        if (!File.Exists(path)) return false;
        byte[] bytes;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var ms = new MemoryStream())
        {
            fs.CopyTo(ms);
            bytes = ms.ToArray();
        }
        return bytes.AsSpan().IndexOf(needle) >= 0;
    }

    [Fact]
    public void Sealed_secret_plaintext_is_not_in_the_database_or_wal_files()
    {
        const string secret = "Zq7PlainTextXy9";
        const string control = "Visible0Control";
        var box = new SecretBox(RandomNumberGenerator.GetBytes(32));
        using var store = new InventoryStore(DbPath);
        store.EnsureKeyCheck(box);
        var b = store.AddBackend(Make.Backend());
        var lun = Make.Lun("web01-boot", b);
        lun.ChapEnabled = true;
        lun.ChapUser = "web01";
        lun.ChapSecretSealed = box.Seal(secret, "lun:web01-boot:chap");
        lun.MutualChapSecretSealed = box.Seal(secret, "lun:web01-boot:mutualchap");
        lun.Description = control; // proves the scan can see plain text
        store.AddLuns([lun]);

        // Before the checkpoint the rows are in the -wal file.
        Assert.True(FileContains(DbPath + "-wal", control) || FileContains(DbPath, control));
        Assert.False(FileContains(DbPath + "-wal", secret));
        Assert.False(FileContains(DbPath, secret));

        store.Checkpoint();
        Assert.True(FileContains(DbPath, control));
        Assert.False(FileContains(DbPath, secret));
        Assert.False(FileContains(DbPath + "-wal", secret));
        Assert.False(FileContains(DbPath + "-shm", secret));

        var got = store.GetLun("web01-boot")!;
        Assert.Equal(secret, box.Open(got.ChapSecretSealed!, "lun:web01-boot:chap"));
        Assert.Equal(secret, box.Open(got.MutualChapSecretSealed!, "lun:web01-boot:mutualchap"));
        // Moving the sealed value to another LUN's row does not open there.
        Assert.Throws<SecretDecryptionException>(() => box.Open(got.ChapSecretSealed!, "lun:web02-boot:chap"));
    }

    [Fact]
    public void Key_check_is_stored_once_and_a_different_key_is_refused_up_front()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using (var store = new InventoryStore(DbPath))
        {
            store.EnsureKeyCheck(new SecretBox(key));
            store.EnsureKeyCheck(new SecretBox(key));
        }
        using (var store = new InventoryStore(DbPath))
        {
            store.EnsureKeyCheck(new SecretBox(key));
            var ex = Assert.Throws<SecretDecryptionException>(
                () => store.EnsureKeyCheck(new SecretBox(RandomNumberGenerator.GetBytes(32), "the key file /x/secret.key")));
            Assert.StartsWith("the CHAP secret could not be decrypted: the secret key does not match the one it was sealed with", ex.Message);
            Assert.Contains("/x/secret.key", ex.Message);
            // The stored value is an HMAC, not the key.
            store.Checkpoint();
            Assert.False(FileContains(DbPath, key));
            Assert.True(FileContains(DbPath, new SecretBox(key).ComputeKeyCheck()));
        }
    }
}
