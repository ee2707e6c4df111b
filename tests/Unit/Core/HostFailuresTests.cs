using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

/// <summary>Issue 11, point 10: a non-root SSH user without -UseSudo is told to use it (the prelude reports "lock-denied").</summary>
public class HostFailuresTests
{
    static Backend Ssh(bool sudo) => new() { Name = "san1", Transport = TransportKind.Ssh, Host = "san1.example", User = "pureboot", UseSudo = sudo };

    [Fact]
    public void ALockTheUserMayNotOpenSuggestsUseSudo()
    {
        var e = HostFailures.Fatal(Ssh(sudo: false), "lock-denied pureboot cannot open /run/lock/pureboot.lock");
        Assert.Equal(TargetHostFailure.NeedsRoot, e.Failure);
        Assert.Contains("pureboot cannot open /run/lock/pureboot.lock", e.Message);
        Assert.Contains("Set-IscsiBackend san1 -UseSudo", e.Message);
        Assert.Contains("pureboot@san1.example:22", e.Message);
    }

    [Fact]
    public void WithUseSudoAlreadySetItDoesNotSuggestItAgain()
    {
        var e = HostFailures.Fatal(Ssh(sudo: true), "lock-denied pureboot cannot open /run/lock/pureboot.lock");
        Assert.Equal(TargetHostFailure.NeedsRoot, e.Failure);
        Assert.DoesNotContain("-UseSudo", e.Message);
        Assert.Contains("needs root", e.Message);
    }
}
