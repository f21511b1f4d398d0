using System.Text.Json;

namespace NotifyPush.Core.Protocol;

/// <summary>A parsed client frame: <c>ack</c> (with <see cref="Seq"/>), <c>pong</c>, or <c>auth</c> (with <see cref="Token"/>).</summary>
public readonly record struct ClientFrame(ClientFrameType Type, long Seq, string? Token)
{
    /// <summary>
    /// Parses one client frame. Unknown extra fields are ignored (clients may be newer than the server);
    /// a frame that is not a JSON object, has an unknown <c>type</c> or lacks a required field is malformed.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out ClientFrame frame, out string? error)
    {
        frame = default;
        string? type = null;
        long? seq = null;
        string? token = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "a frame must be a JSON object";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    seq = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : null;
                }
                else if (reader.ValueTextEquals("token"u8))
                {
                    reader.Read();
                    token = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "a frame must be exactly one JSON object";
                return false;
            }
        }
        catch (JsonException)
        {
            error = "the frame is not valid JSON";
            return false;
        }

        switch (type)
        {
            case "ack" when seq is >= 0:
                frame = new ClientFrame(ClientFrameType.Ack, seq.Value, null);
                break;
            case "ack":
                error = "ack needs a non-negative integer seq";
                return false;
            case "pong":
                frame = new ClientFrame(ClientFrameType.Pong, 0, null);
                break;
            case "auth" when !string.IsNullOrEmpty(token):
                frame = new ClientFrame(ClientFrameType.Auth, 0, token);
                break;
            case "auth":
                error = "auth needs a token";
                return false;
            case null:
                error = "the frame has no string type";
                return false;
            default:
                error = "unknown frame type";
                return false;
        }

        error = null;
        return true;
    }
}
