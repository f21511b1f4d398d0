using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Bench.Sockets;

/// <summary>Mints HS256 user tokens with the settings the bench gives the servers (as an identity provider would).</summary>
internal sealed class TokenMinter(string signingKey, string issuer, string audience)
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningCredentials _credentials = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256);

    /// <summary>A token for <paramref name="userId"/> valid for <paramref name="lifetime"/> (longer than any run).</summary>
    public string Mint(string userId, TimeSpan lifetime)
    {
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", userId)]),
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now + lifetime,
            SigningCredentials = _credentials,
        });
    }
}
