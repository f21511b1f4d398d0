using System.IdentityModel.Tokens.Jwt;

namespace NotifyPush.Server.Authentication;

/// <summary>The outcome of checking a JWT's signature, issuer, audience and lifetime.</summary>
/// <param name="Token">The validated token with its raw claim names (set when valid).</param>
/// <param name="Error">A short reason, safe to return and log (set when invalid; never contains the token).</param>
public readonly record struct JwtCheckResult(JwtSecurityToken? Token, string? Error)
{
    public bool IsValid => Token is not null;

    public static JwtCheckResult Valid(JwtSecurityToken token) => new(token, null);

    public static JwtCheckResult Invalid(string error) => new(null, error);
}
