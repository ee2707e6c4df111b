using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using Xunit;

namespace PureBoot.Tests.Unit.Lifecycle;

/// <summary>
/// The provisioning guard's thin pool probe (pb_space_block "pool") for real in a local bash session: it reads the
/// kernel's thin-pool status (a dmsetup function stands in for the device here: this machine has no thin pool; the
/// lab reads a real one) and prints what Capacity.Parse reads like lvs's figures; anything else falls back to lvs.
/// </summary>
public class CapacityProbeTests
{
    static Backend Block(string? pool = "pool", int maxFill = 85) => new() { Name = "san1", Storage = StorageKind.Block, StoragePath = "vg-a", ThinPool = pool, MaxFillPercent = maxFill };
    static readonly Backend Thin = Block();

    static async Task<string> Probe(string dmsetup)
    {
        // Functions shadow commands: dmsetup answers as the kernel would, and lvs (the fallback) as LVM does when asked for the pool.
        var (rc, output, _) = await LocalStep.RunAsync($"dmsetup() {{ {dmsetup} }}\nlvs() {{ [ \"$*\" = \"--noheadings --units b --nosuffix -o vg_size,vg_free,lv_size,data_percent,metadata_percent,segtype -- vg-a/pool\" ] && echo \"  8585740288 5230297088 3221225472 0.00   10.08  thin-pool\"; }}", Capacity.Guard(Thin));
        Assert.Equal("0", rc);
        return output;
    }

    [Fact]
    public void TheGuardAsksOnlyForThePoolAndStatusForEverything()
    {
        Assert.True(Capacity.Guard(Thin).PoolOnly);
        Assert.False(Capacity.Probe(Thin).PoolOnly);
        Assert.False(Capacity.Guard(Block(pool: null)).PoolOnly);
        Assert.EndsWith("'vg-a' 'pool' pool", ShellScripts.Steps(new HostStep[] { Capacity.Guard(Thin) }).Split('\n').First(l => l.Contains("pb_space_block")));
    }

    [Fact]
    public async Task ThePoolsFillComesFromTheKernelsThinPoolStatus()
    {
        // What a 3 GiB pool answered in the lab VM (lvs: 0.00 data, 10.08 metadata), with some data used; the dm
        // name doubles the hyphen in the VG's name.
        var text = await Probe("[ \"$1 $2 $3\" = \"status -- vg--a-pool-tpool\" ] || return 1; echo '0 6291456 thin-pool 3640 1651/16384 12288/49152 - rw discard_passdown queue_if_no_space - 1024';");
        Assert.Equal("pool 3221225472 25.0000 10.0769 thin-pool", text.Trim());
        var space = Capacity.Parse(Thin, text, null);
        Assert.Null(space.Problem);
        Assert.Equal(3221225472, space.ThinPoolSizeBytes);
        Assert.Equal(25.0, space.ThinPoolDataPercent);
        Assert.Equal(10.0769, space.ThinPoolMetadataPercent);
        Assert.Null(space.SizeBytes);
        Assert.Equal(CloneMethod.ThinSnapshot, space.CloneMethod);
        var ex = Assert.Throws<InsufficientSpaceException>(() => Capacity.Ensure(Block(maxFill: 90), space, 2L << 30, "Name"));
        Assert.Contains("thin pool vg-a/pool is at 25% data", ex.Message);
    }

    [Theory]
    [InlineData("return 1;")]                                                     // no -tpool device
    [InlineData("echo '0 6291456 thin-pool Fail';")]                              // a failed pool: lvs says what it is
    [InlineData("echo '0 6291456 linear';")]
    public async Task AnythingElseAsksLvs(string dmsetup)
    {
        var text = await Probe(dmsetup);
        Assert.Equal("vg 8585740288 5230297088\npool 3221225472 0.00 10.08 thin-pool", text.Trim());
        Assert.Null(Capacity.Parse(Thin, text, null).Problem);
    }
}
