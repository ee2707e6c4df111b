using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>
/// A node's LUNs on one target share its one ACL, and so one CHAP credential: the first LUN's. A LUN that joins takes
/// that credential, which is fine when it only differs by the generated secret or user, and not when it would lose what
/// was asked for: mutual CHAP, CHAP at all, or a credential given by hand. That needs -Force (<c>AdoptSharedChap</c>).
/// </summary>
internal static class SharedChap
{
    /// <summary>An Active LUN of <paramref name="node"/> on <paramref name="target"/> other than <paramref name="selfId"/>, whose ACL the LUN would join.</summary>
    public static Lun? Partner(IEnumerable<Lun> known, Node node, string target, long selfId) =>
        known.FirstOrDefault(l => l.NodeId == node.Id && l.TargetIqn == target && l.Status == LunStatus.Active && l.Id != selfId);

    /// <summary>Why <paramref name="lun"/> cannot take <paramref name="partner"/>'s credential as asked; null when it can.</summary>
    /// <param name="asked">The create request, when the credential was given now (its explicit user and secrets count).</param>
    public static string? Refusal(EngineContext ctx, Lun lun, Lun partner, Node node, LunCreateRequest? asked)
    {
        string? lost = null;
        if (lun.ChapEnabled && !partner.ChapEnabled) lost = "CHAP";
        else if (lun.MutualChapEnabled && !partner.MutualChapEnabled) lost = "mutual CHAP";
        else if (asked is { Chap: true } && partner.ChapEnabled)
        {
            if (asked.ChapUser is not null && asked.ChapUser != partner.ChapUser) lost = $"the CHAP user '{asked.ChapUser}'";
            else if (asked.ChapSecret is not null || asked.MutualChapSecret is not null)
            {
                var have = ctx.Chap.Open(partner);
                if (asked.ChapSecret is not null && asked.ChapSecret != have?.Secret) lost = "the CHAP secret given";
                else if (asked.MutualChapSecret is not null && asked.MutualChapSecret != have?.MutualSecret) lost = "the mutual CHAP secret given";
            }
        }
        if (lost is null) return null;
        var theirs = !partner.ChapEnabled ? "no CHAP" : partner.MutualChapEnabled ? "mutual CHAP" : "one-way CHAP";
        return $"LUN '{lun.Name}' would lose {lost}: node '{node.Name}' already has an ACL on {partner.TargetIqn} with {theirs} (LUN '{partner.Name}''s credential), "
             + "and a node's LUNs on one target share that ACL and its credential. Use -Force to take that credential, or put the LUN on a PerLun backend.";
    }
}
