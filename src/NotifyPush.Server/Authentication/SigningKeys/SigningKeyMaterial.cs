using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>Turns configured key material into IdentityModel keys, each pinned to the one algorithm it may verify.</summary>
public static class SigningKeyMaterial
{
    /// <summary>Shortest HS256 secret accepted, in bytes of UTF-8 (RFC 7518 §3.2: at least the hash size).</summary>
    public const int MinimumHmacKeyBytes = 32;

    /// <summary>The HS256 key for a UTF-8 secret.</summary>
    public static SymmetricSecurityKey CreateHmacKey(string secret) => new(Encoding.UTF8.GetBytes(secret));

    /// <summary>Reads an RSA or EC public key (or certificate) from PEM; false when it is neither.</summary>
    /// <param name="pem">PEM text: <c>PUBLIC KEY</c>, <c>RSA PUBLIC KEY</c> or <c>CERTIFICATE</c>.</param>
    /// <param name="key">The key, for verification only.</param>
    /// <param name="algorithm">RS256 for RSA; ES256, ES384 or ES512 by the EC curve size.</param>
    public static bool TryCreatePublicKey(string pem, [NotNullWhen(true)] out AsymmetricSecurityKey? key, [NotNullWhen(true)] out string? algorithm)
    {
        key = null;
        algorithm = null;
        if (string.IsNullOrWhiteSpace(pem))
        {
            return false;
        }

        if (pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            return TryCreateFromCertificate(pem, out key, out algorithm);
        }

        // Try RSA, then EC: ImportFromPem rejects a PEM of the other key type with an exception,
        // and the label alone ("PUBLIC KEY") does not say which one it holds.
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            key = new RsaSecurityKey(rsa);
            algorithm = SecurityAlgorithms.RsaSha256;
            return true;
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
            return TryCreateEcKey(ecdsa, out key, out algorithm);
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            return false;
        }
    }

    private static bool TryCreateFromCertificate(string pem, [NotNullWhen(true)] out AsymmetricSecurityKey? key, [NotNullWhen(true)] out string? algorithm)
    {
        key = null;
        algorithm = null;
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            if (certificate.GetRSAPublicKey() is { } rsa)
            {
                key = new RsaSecurityKey(rsa);
                algorithm = SecurityAlgorithms.RsaSha256;
                return true;
            }

            return certificate.GetECDsaPublicKey() is { } ecdsa && TryCreateEcKey(ecdsa, out key, out algorithm);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool TryCreateEcKey(ECDsa ecdsa, [NotNullWhen(true)] out AsymmetricSecurityKey? key, [NotNullWhen(true)] out string? algorithm)
    {
        algorithm = ecdsa.KeySize switch
        {
            256 => SecurityAlgorithms.EcdsaSha256,
            384 => SecurityAlgorithms.EcdsaSha384,
            521 => SecurityAlgorithms.EcdsaSha512,
            _ => null,
        };
        if (algorithm is null)
        {
            ecdsa.Dispose();
            key = null;
            return false;
        }

        key = new ECDsaSecurityKey(ecdsa);
        return true;
    }
}
