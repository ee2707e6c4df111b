using System.Security.Cryptography;
using PureBoot.Core.Secrets;
using Xunit;

namespace PureBoot.Tests.Unit.Secrets;

public sealed class SecretBoxTests
{
    private static SecretBox NewBox() => new(RandomNumberGenerator.GetBytes(32), "the key file /test/secret.key");

    [Fact]
    public void Seal_then_open_round_trips()
    {
        var box = NewBox();
        var sealedSecret = box.Seal("Abcdefgh1234.-_+", "lun:web01:chap");
        Assert.Equal(SecretBox.FormatVersion, sealedSecret[0]);
        Assert.Equal(1 + 12 + 16 + 16, sealedSecret.Length);
        Assert.Equal("Abcdefgh1234.-_+", box.Open(sealedSecret, "lun:web01:chap"));
        Assert.Equal("", box.Open(box.Seal("", "c"), "c"));
        Assert.Equal("ünïcødé", box.Open(box.Seal("ünïcødé", "c"), "c"));
    }

    [Fact]
    public void Sealing_twice_gives_different_blobs()
    {
        var box = NewBox();
        Assert.NotEqual(box.Seal("SameSecret1234", "c"), box.Seal("SameSecret1234", "c"));
    }

    [Fact]
    public void Wrong_key_throws_a_clear_SecretDecryptionException()
    {
        var sealedSecret = NewBox().Seal("TopSecret12345", "lun:web01:chap");
        var ex = Assert.Throws<SecretDecryptionException>(() => NewBox().Open(sealedSecret, "lun:web01:chap"));
        Assert.StartsWith("the CHAP secret could not be decrypted: the secret key does not match the one it was sealed with", ex.Message);
        Assert.Contains("PUREBOOT_SECRET_KEY", ex.Message);
        Assert.Contains("/test/secret.key", ex.Message);
        Assert.DoesNotContain("TopSecret12345", ex.ToString());
    }

    [Fact]
    public void Tampered_blob_is_refused()
    {
        var box = NewBox();
        var sealedSecret = box.Seal("TopSecret12345", "ctx");
        for (var i = 1; i < sealedSecret.Length; i++)
        {
            var copy = (byte[])sealedSecret.Clone();
            copy[i] ^= 0x01;
            Assert.Throws<SecretDecryptionException>(() => box.Open(copy, "ctx"));
        }
        var wrongVersion = (byte[])sealedSecret.Clone();
        wrongVersion[0] = 2;
        Assert.Contains("version", Assert.Throws<SecretDecryptionException>(() => box.Open(wrongVersion, "ctx")).Message);
        Assert.Throws<SecretDecryptionException>(() => box.Open(sealedSecret[..20], "ctx"));
        Assert.Throws<SecretDecryptionException>(() => box.Open(sealedSecret[..^1], "ctx"));
        Assert.Throws<SecretDecryptionException>(() => box.Open([], "ctx"));
    }

    [Fact]
    public void Blob_moved_to_another_context_is_refused()
    {
        var box = NewBox();
        var sealedSecret = box.Seal("TopSecret12345", "lun:web01:chap");
        var ex = Assert.Throws<SecretDecryptionException>(() => box.Open(sealedSecret, "lun:web02:chap"));
        Assert.Contains("lun:web02:chap", ex.Message);
        Assert.Throws<SecretDecryptionException>(() => box.Open(sealedSecret, "lun:web01:mutualchap"));
    }

    [Fact]
    public void Key_check_detects_a_different_key()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var check = new SecretBox(key).ComputeKeyCheck();
        Assert.Equal(32, check.Length);
        Assert.NotEqual(key, check);
        new SecretBox(key).VerifyKeyCheck(check);
        var ex = Assert.Throws<SecretDecryptionException>(() => NewBox().VerifyKeyCheck(check));
        Assert.Contains("does not match the one it was sealed with", ex.Message);
    }

    [Fact]
    public void Key_must_be_32_bytes()
    {
        Assert.Throws<ArgumentException>(() => new SecretBox(new byte[16]));
        Assert.Throws<ArgumentException>(() => new SecretBox(new byte[33]));
        Assert.Throws<ArgumentNullException>(() => new SecretBox(null!));
    }

    [Fact]
    public void Box_copies_the_key()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var box = new SecretBox(key);
        var sealedSecret = box.Seal("TopSecret12345", "c");
        Array.Clear(key);
        Assert.Equal("TopSecret12345", box.Open(sealedSecret, "c"));
    }
}
