using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace NotifyPush.Testing;

/// <summary>
/// Decrypts a Web Push body as the browser does (RFC 8291 over RFC 8188 aes128gcm), written here from the RFCs so that
/// the server's encryption is checked by an independent implementation.
/// </summary>
public static class Aes128GcmDecryption
{
    /// <summary>The plaintext of a single-record aes128gcm body encrypted for <paramref name="subscription"/>.</summary>
    public static byte[] Decrypt(byte[] body, BrowserSubscription subscription)
    {
        // Header (RFC 8188 §2.1): salt (16) | rs (4, big-endian) | idlen (1) | keyid (idlen: the sender's public key).
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        var idLength = body[20];
        var senderPublicKey = body[21..(21 + idLength)];
        var record = body[(21 + idLength)..];
        if (idLength != 65 || senderPublicKey[0] != 0x04)
        {
            throw new InvalidDataException($"The keyid is not an uncompressed P-256 point (idlen {idLength}).");
        }

        if (record.Length > recordSize)
        {
            throw new InvalidDataException($"The body holds more than one record ({record.Length} bytes, rs {recordSize}).");
        }

        // RFC 8291 §3.3-3.4: the shared secret, mixed with the auth secret and both public keys.
        using var sender = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = senderPublicKey[1..33], Y = senderPublicKey[33..65] },
        });
        var ecdhSecret = subscription.Key.DeriveRawSecretAgreement(sender.PublicKey);
        var prkKey = HKDF.Extract(HashAlgorithmName.SHA256, ecdhSecret, subscription.AuthSecret);
        byte[] keyInfo = [.. Encoding.ASCII.GetBytes("WebPush: info\0"), .. subscription.PublicKey, .. senderPublicKey];
        var ikm = HKDF.Expand(HashAlgorithmName.SHA256, prkKey, 32, keyInfo);

        // RFC 8188 §2.2-2.3: content encryption key and nonce from the salt.
        var prk = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt);
        var cek = HKDF.Expand(HashAlgorithmName.SHA256, prk, 16, Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0"));
        var nonce = HKDF.Expand(HashAlgorithmName.SHA256, prk, 12, Encoding.ASCII.GetBytes("Content-Encoding: nonce\0"));

        var plaintext = new byte[record.Length - 16];
        using (var aes = new AesGcm(cek, 16))
        {
            aes.Decrypt(nonce, record[..^16], record[^16..], plaintext);
        }

        // Padding: the last record ends with the delimiter 0x02, then zeros.
        var end = plaintext.Length - 1;
        while (end >= 0 && plaintext[end] == 0)
        {
            end--;
        }

        if (end < 0 || plaintext[end] != 0x02)
        {
            throw new InvalidDataException("The last record does not end with the 0x02 padding delimiter.");
        }

        return plaintext[..end];
    }
}
