namespace NotifyPush.Testing;

/// <summary>The algorithms <see cref="TestTokens"/> signs with, each with its own fixed test key.</summary>
public enum TestTokenAlgorithm
{
    /// <summary>HMAC-SHA256 with <see cref="TestTokens.HmacSecret"/>.</summary>
    HS256,

    /// <summary>RSA-SHA256 with <see cref="TestTokens.Rsa"/> (public half: <see cref="TestTokens.RsaPublicKeyPem"/>).</summary>
    RS256,

    /// <summary>ECDSA P-256 SHA-256 with <see cref="TestTokens.Ec"/> (public half: <see cref="TestTokens.EcPublicKeyPem"/>).</summary>
    ES256,
}
