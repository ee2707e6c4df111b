using PureBoot.Core.Lio;
using PureBoot.Core.Secrets;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>The CHAP credential a create request asks for, validated, with missing secrets generated.</summary>
internal static class ChapRequest
{
    /// <summary>Null when the request has no CHAP.</summary>
    public static ChapSettings? From(LunCreateRequest r, string lunName, string backendName)
    {
        if (!r.Chap)
        {
            if (r.MutualChap) throw new ValidationException("MutualChap", "mutual CHAP needs CHAP.");
            if (r.ChapUser is not null || r.ChapSecret is not null) throw new ValidationException("ChapUser", "a CHAP credential was given for a LUN without CHAP.");
            return null;
        }
        var user = InputValidator.ChapUser(r.ChapUser ?? lunName, "ChapUser");
        if (r.ChapSecret is not null) ChapSecrets.Validate(r.ChapSecret, "ChapSecret");
        var secret = r.ChapSecret ?? ChapSecrets.Generate();
        if (!r.MutualChap)
        {
            if (r.MutualChapUser is not null || r.MutualChapSecret is not null)
                throw new ValidationException("MutualChap", "a mutual CHAP credential was given but mutual CHAP is off.");
            return new ChapSettings(user, secret);
        }
        var mutualUser = InputValidator.ChapUser(r.MutualChapUser ?? backendName + "-target", "MutualChapUser");
        if (r.MutualChapSecret is not null) ChapSecrets.Validate(r.MutualChapSecret, "MutualChapSecret");
        var mutual = r.MutualChapSecret ?? ChapSecrets.Generate();
        if (mutual == secret) throw new ValidationException("MutualChapSecret", "the mutual secret must differ from the initiator's secret.");
        return new ChapSettings(user, secret, mutualUser, mutual);
    }
}
