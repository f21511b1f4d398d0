namespace NotifyPush.Core.Connections;

/// <summary>The outcome of validating a user token.</summary>
/// <param name="Succeeded">True when the token is valid for a user socket.</param>
/// <param name="UserId">The user id from the configured claim (set when succeeded).</param>
/// <param name="ExpiresAt">When the credential stops being accepted (set when succeeded): the token's <c>exp</c> plus the
/// validator's clock skew, the same instant the handshake's check used, so a token accepted within the skew is
/// not closed on the next tick.</param>
/// <param name="Error">Why it failed, safe to return to the client and to log (never contains the token).</param>
public readonly record struct UserTokenValidation(bool Succeeded, string? UserId, DateTimeOffset? ExpiresAt, string? Error)
{
    /// <summary>True when the token failed because the user's tokens were revoked (the socket closes with 4003).</summary>
    public bool Revoked { get; init; }

    public static UserTokenValidation Success(string userId, DateTimeOffset expiresAt) => new(true, userId, expiresAt, null);

    public static UserTokenValidation Failure(string error) => new(false, null, null, error);

    /// <summary>A token issued before the user's tokens were revoked.</summary>
    public static UserTokenValidation RevokedFailure(string error) => new(false, null, null, error) { Revoked = true };
}
