using System.Buffers.Text;
using System.Security.Cryptography;

namespace NotifyPush.Testing;

/// <summary>A fresh VAPID key pair (P-256), base64url, as an operator would generate one.</summary>
public sealed record VapidKeyPair(string PublicKey, string PrivateKey)
{
    public const string Subject = "mailto:ops@notifypush.test";

    public static VapidKeyPair Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        return new VapidKeyPair(
            Base64Url.EncodeToString([0x04, .. parameters.Q.X!, .. parameters.Q.Y!]),
            Base64Url.EncodeToString(parameters.D!));
    }

    /// <summary>Server settings that turn Web Push on with this pair, for pushes to the stand-in on loopback.</summary>
    public Dictionary<string, string?> Settings(int delaySeconds = 30) => new()
    {
        ["NotifyPush:WebPush:Subject"] = Subject,
        ["NotifyPush:WebPush:PublicKey"] = PublicKey,
        ["NotifyPush:WebPush:PrivateKey"] = PrivateKey,
        ["NotifyPush:WebPush:AllowedEndpointHosts:0"] = "127.0.0.1",
        ["NotifyPush:WebPush:AllowInsecureEndpoints"] = "true",
        ["NotifyPush:WebPush:DelaySeconds"] = delaySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["NotifyPush:WebPush:PollIntervalMilliseconds"] = "100",
    };
}
