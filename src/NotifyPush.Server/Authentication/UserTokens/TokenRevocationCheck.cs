using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Refuses a user token issued before the user's tokens were revoked (<c>POST /api/users/{userId}/disconnect</c> with
/// <c>{"revokeTokens": true}</c>). Shared by the handshake scheme and the in-band <c>auth</c> refresh.
/// </summary>
/// <remarks>
/// A token counts as issued at its <c>iat</c>, or at its <c>nbf</c> without one; a token with neither is refused once
/// the user has a revocation, since nothing says it is newer. Both claims are whole seconds, so a token is accepted only
/// when that second is later than the revocation instant: one issued in the same second is refused too. No clock skew
/// is granted here, which would let revoked tokens through: the issuer's clock and the replicas' must agree.
/// </remarks>
internal sealed class TokenRevocationCheck(TokenRevocations revocations)
{
    /// <summary>Null when the token may be used, else why not. Throws <see cref="NotifyPush.Core.Storage.StoreUnavailableException"/> when the state cannot be read.</summary>
    public async ValueTask<string?> CheckAsync(string userId, SecurityToken token, CancellationToken cancellationToken)
    {
        if (await revocations.GetRevokedBeforeAsync(userId, cancellationToken).ConfigureAwait(false) is not { } revokedBefore)
        {
            return null;
        }

        if (IssuedAt(token) is not { } issuedAt)
        {
            return "token has no iat or nbf and the user's tokens were revoked";
        }

        return issuedAt > revokedBefore ? null : "token was revoked";
    }

    private static DateTimeOffset? IssuedAt(SecurityToken token)
    {
        if (token is JsonWebToken jwt)
        {
            if (jwt.IssuedAt != DateTime.MinValue)
            {
                return new DateTimeOffset(DateTime.SpecifyKind(jwt.IssuedAt, DateTimeKind.Utc));
            }

            if (jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Nbf, out var notBefore))
            {
                return DateTimeOffset.FromUnixTimeSeconds(notBefore);
            }
        }

        return null;
    }
}
