using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Turns a token handler's exception into a short reason that is safe to send to the client and to log.
/// The handler's own messages can quote token content, so none of them is passed on.
/// </summary>
internal static class TokenErrors
{
    public const string SigningKeysUnavailable = "token signing keys are unavailable";

    public static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "token has expired",
        SecurityTokenNotYetValidException => "token is not yet valid",
        SecurityTokenNoExpirationException => "token has no expiry",
        SecurityTokenInvalidLifetimeException => "token lifetime is invalid",
        SecurityTokenInvalidAlgorithmException => "token signing algorithm is not accepted",
        SecurityTokenInvalidSignatureException => "token signature is invalid",
        SecurityTokenInvalidIssuerException => "token issuer is not accepted",
        SecurityTokenInvalidAudienceException => "token audience is not accepted",
        SecurityTokenMalformedException or ArgumentException => "token is malformed",
        _ => "token is invalid",
    };
}
