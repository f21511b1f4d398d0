using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>The keys a token may be signed with, the only algorithms accepted with them, and the expected issuer.</summary>
/// <param name="Keys">Verification keys.</param>
/// <param name="Algorithms">Accepted <c>alg</c> values; never <c>none</c>, never HS* next to public keys.</param>
/// <param name="Issuer">Expected <c>iss</c>.</param>
public sealed record SigningKeySet(IReadOnlyList<SecurityKey> Keys, IReadOnlyList<string> Algorithms, string Issuer);
