using PureBoot.Core.Secrets;
using Xunit;

namespace PureBoot.Tests.Unit.Secrets;

public sealed class ChapSecretsTests
{
    [Fact]
    public void Generate_gives_16_alphanumeric_characters_that_differ()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 500; i++)
        {
            var s = ChapSecrets.Generate();
            Assert.Equal(16, s.Length);
            Assert.All(s, c => Assert.True(c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9'), $"unexpected char {(int)c}"));
            ChapSecrets.Validate(s, "ChapSecret");
            Assert.True(seen.Add(s));
        }
        // Over 8000 characters every one of the 62 symbols shows up.
        Assert.Equal(62, seen.SelectMany(s => s).Distinct().Count());
    }

    [Theory]
    [InlineData("abcdefghijkl")]        // 12
    [InlineData("abcdefghijklmnop")]    // 16
    [InlineData("Ab1.Cd2_Ef3+Gh4~")]
    [InlineData("----------------")]
    public void Validate_accepts_allowed_secrets(string secret) => ChapSecrets.Validate(secret, "ChapSecret");

    [Theory]
    [InlineData("abcdefghijk")]          // 11
    [InlineData("abcdefghijklmnopq")]    // 17
    [InlineData("")]
    [InlineData("abcdef ghijklm")]      // space
    [InlineData("abcdef\"ghijklm")]     // double quote
    [InlineData("abcdef'ghijklm")]      // single quote
    [InlineData("abcdef\nghijklm")]     // newline
    [InlineData("abcdef\u0430ghijklm")] // Cyrillic а
    [InlineData("abcdef\u0430ghijklm\u0435")]
    [InlineData("abcdefghijklm;")]
    [InlineData("abcdefghijkl$x")]
    [InlineData("abcdefghijkl\\x")]
    public void Validate_rejects_with_the_parameter_name_and_without_the_secret(string secret)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => ChapSecrets.Validate(secret, "MutualChapSecret"));
        Assert.Equal("MutualChapSecret", ex.ParamName);
        Assert.Contains("MutualChapSecret", ex.Message);
        Assert.Contains("A-Z", ex.Message); // says what is allowed
        if (secret.Length > 0) Assert.DoesNotContain(secret, ex.Message);
        Assert.DoesNotContain("abcdef", ex.Message);
    }

    [Fact]
    public void Validate_rejects_null()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => ChapSecrets.Validate(null, "ChapSecret"));
        Assert.Equal("ChapSecret", ex.ParamName);
    }

    [Fact]
    public void Non_ascii_look_alike_is_called_out()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => ChapSecrets.Validate("p\u0430ssword12345", "ChapSecret"));
        Assert.Contains("non-ASCII", ex.Message);
        Assert.Contains("position 2", ex.Message);
    }
}
