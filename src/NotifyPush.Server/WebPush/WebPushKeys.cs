using System.Buffers.Text;
using System.Security.Cryptography;

namespace NotifyPush.Server.WebPush;

/// <summary>Checks of the P-256 keys and secrets Web Push carries, all base64url (RFC 8291, RFC 8292).</summary>
public static class WebPushKeys
{
    /// <summary>Bytes of an uncompressed P-256 point: 0x04, X, Y.</summary>
    public const int PublicKeyBytes = 65;

    /// <summary>Bytes of a subscription's authentication secret.</summary>
    public const int AuthSecretBytes = 16;

    private const int PrivateKeyBytes = 32;

    /// <summary>The bytes of a base64url (padding optional) string, or null when it is not one.</summary>
    public static byte[]? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var trimmed = value.TrimEnd('=');
        if (!Base64Url.IsValid(trimmed))
        {
            return null;
        }

        try
        {
            return Base64Url.DecodeFromChars(trimmed);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="value"/> is a point on P-256, uncompressed.</summary>
    public static bool IsPublicKey(string? value)
    {
        var bytes = Decode(value);
        if (bytes is not { Length: PublicKeyBytes } || bytes[0] != 0x04)
        {
            return false;
        }

        try
        {
            // Importing checks that the point is on the curve: a key off it would make the encryption meaningless.
            using var key = ECDiffieHellman.Create(PublicParameters(bytes));
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="privateKey"/> is the P-256 private key whose public key is <paramref name="publicKey"/>.</summary>
    public static bool IsPrivateKeyOf(string? privateKey, string publicKey)
    {
        var d = Decode(privateKey);
        var q = Decode(publicKey);
        if (d is not { Length: PrivateKeyBytes } || q is not { Length: PublicKeyBytes })
        {
            return false;
        }

        try
        {
            using var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            var derived = key.ExportParameters(includePrivateParameters: false).Q;
            return derived.X!.AsSpan().SequenceEqual(q.AsSpan(1, 32)) && derived.Y!.AsSpan().SequenceEqual(q.AsSpan(33, 32));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The P-256 public parameters of an uncompressed point.</summary>
    public static ECParameters PublicParameters(byte[] point) => new()
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = point[1..33], Y = point[33..65] },
    };
}
