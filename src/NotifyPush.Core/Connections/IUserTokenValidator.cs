namespace NotifyPush.Core.Connections;

/// <summary>Validates a user credential (JWT) presented at the handshake or refreshed in-band with an <c>auth</c> frame.</summary>
public interface IUserTokenValidator
{
    /// <summary>Validates <paramref name="token"/> as a user token. Never logs the token.</summary>
    ValueTask<UserTokenValidation> ValidateAsync(string token, CancellationToken cancellationToken);
}
