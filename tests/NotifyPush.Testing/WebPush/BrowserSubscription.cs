using System.Buffers.Text;
using System.Security.Cryptography;

namespace NotifyPush.Testing;

/// <summary>
/// What a browser holds for one push subscription: its P-256 key pair and auth secret (RFC 8291), and the endpoint on
/// the push-service stand-in. Only the browser can decrypt what is pushed to it; the stand-in decrypts with this.
/// </summary>
public sealed class BrowserSubscription : IDisposable
{
    public BrowserSubscription(Uri endpoint)
    {
        Endpoint = endpoint;
        Key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = Key.ExportParameters(includePrivateParameters: false).Q;
        PublicKey = [0x04, .. q.X!, .. q.Y!];
        AuthSecret = RandomNumberGenerator.GetBytes(16);
    }

    public Uri Endpoint { get; }

    public ECDiffieHellman Key { get; }

    /// <summary>The uncompressed public point (65 bytes).</summary>
    public byte[] PublicKey { get; }

    public byte[] AuthSecret { get; }

    /// <summary>The JSON a browser's <c>PushSubscription.toJSON()</c> gives.</summary>
    public object ToJson() => new
    {
        endpoint = Endpoint.ToString(),
        expirationTime = (double?)null,
        keys = new { p256dh = Base64Url.EncodeToString(PublicKey), auth = Base64Url.EncodeToString(AuthSecret) },
    };

    public void Dispose() => Key.Dispose();
}
