using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace NotifyPush.Server.Endpoints;

/// <summary>A file embedded in the server assembly, read once at start-up, with a strong ETag of its content.</summary>
/// <param name="Content">The file's bytes, exactly as in the source tree.</param>
/// <param name="ContentType">The <c>Content-Type</c> it is served with.</param>
/// <param name="ETag">Strong entity tag: the base64url SHA-256 of <paramref name="Content"/>, so it changes exactly when the bytes do.</param>
internal sealed record EmbeddedAsset(byte[] Content, string ContentType, EntityTagHeaderValue ETag)
{
    /// <summary>Reads the manifest resource <paramref name="logicalName"/> of this assembly.</summary>
    /// <exception cref="InvalidOperationException">When the build did not embed it.</exception>
    public static EmbeddedAsset Load(string logicalName, string contentType)
    {
        var assembly = typeof(EmbeddedAsset).Assembly;
        using var stream = assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"The resource '{logicalName}' is not embedded in {assembly.GetName().Name}.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var content = buffer.ToArray();
        var etag = new EntityTagHeaderValue($"\"{Base64Url.EncodeToString(SHA256.HashData(content))}\"");
        return new EmbeddedAsset(content, contentType, etag);
    }
}
