using PureBoot.Core.Model;

namespace PureBoot.Core.Lio;

/// <summary>The shape every PureBoot target has: TPG 1 enabled, locked down, listening on the backend's portal.</summary>
public static class TargetShape
{
    /// <summary>The changes that make <paramref name="target"/> exist in that shape; none when it already has it.</summary>
    public static IEnumerable<LioChange> Ensure(LioConfig live, Backend b, string target, string item)
    {
        var tpg = live.FindTpg(target);
        if (tpg is null)
        {
            yield return new CreateTarget(item, target, b.PortalAddress, b.PortalPort);
            yield return SetTpgAttributes.LockDown(item, target);
            yield break;
        }
        if (!tpg.IsLockedDown) yield return SetTpgAttributes.LockDown(item, target);
        if (!tpg.Portals.Any(p => p.IpAddress == b.PortalAddress && p.Port == b.PortalPort))
            yield return new CreatePortal(item, target, b.PortalAddress, b.PortalPort);
    }
}
