using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Worker.Probe;

/// <summary>
/// ffprobe's JSON report of one clip (<c>-show_format -show_streams -show_entries packet=…</c>) read
/// as it is written: the packet list, which grows with the clip's length (54,000 packets in 30
/// minutes), is consumed packet by packet and never held; the rest (streams and format, a few
/// kilobytes, written after the packets) is kept for FFMpegCore's analysis. The SHA-256 is of every
/// byte ffprobe wrote.
/// </summary>
internal sealed class ProbeOutput
{
    private readonly Dictionary<int, PacketTrack> _tracks = [];
    private readonly MemoryStream _report = new();
    private JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
    private Section _section;
    private string? _property;
    private int? _streamIndex;
    private double? _dts;
    private double _duration;

    private enum Section
    {
        BeforePackets,
        Packets,
        AfterPackets,
    }

    public IReadOnlyDictionary<int, PacketTrack> Tracks => _tracks;

    public byte[] Digest { get; private set; } = [];

    /// <summary>The report without its packets, as FFMpegCore's <c>FFProbe.FromJson</c> reads it.</summary>
    public string Report => _section == Section.AfterPackets
        ? "{" + System.Text.Encoding.UTF8.GetString(_report.ToArray()).TrimStart().TrimStart(',')
        : System.Text.Encoding.UTF8.GetString(_report.ToArray());

    public static async Task<ProbeOutput> ReadAsync(Stream stdout, CancellationToken cancellationToken)
    {
        var output = new ProbeOutput();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var final = false;
        while (!final)
        {
            var read = await stdout.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            final = read == 0;
            hash.AppendData(buffer, filled, read);
            filled += read;
            var consumed = output.Consume(buffer.AsSpan(0, filled), final);
            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2); // one token longer than the buffer
            }
        }

        output.Digest = hash.GetHashAndReset();
        return output;
    }

    /// <summary>Reads the tokens complete in <paramref name="bytes"/>; returns how many bytes are done with.</summary>
    private int Consume(ReadOnlySpan<byte> bytes, bool final)
    {
        if (_section == Section.AfterPackets)
        {
            _report.Write(bytes);
            return bytes.Length;
        }

        var reader = new Utf8JsonReader(bytes, final, _state);
        while (reader.Read())
        {
            if (_section == Section.BeforePackets)
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("packets"u8))
                {
                    _section = Section.Packets;
                    _report.SetLength(0); // what came before the packets was only their opening
                }

                continue;
            }

            // Inside the packet list: depth 1 is the list itself, 2 a packet, 3 a packet's fields.
            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray when reader.CurrentDepth == 1:
                    _section = Section.AfterPackets;
                    _report.Write(bytes[(int)reader.BytesConsumed..]);
                    return bytes.Length;
                case JsonTokenType.StartObject when reader.CurrentDepth == 2:
                    (_streamIndex, _dts, _duration) = (null, null, 0);
                    break;
                case JsonTokenType.EndObject when reader.CurrentDepth == 2:
                    if (_streamIndex is { } stream && _dts is { } dts)
                    {
                        if (!_tracks.TryGetValue(stream, out var track))
                        {
                            _tracks[stream] = track = new PacketTrack();
                        }

                        track.Add(dts, _duration);
                    }

                    break;
                case JsonTokenType.PropertyName when reader.CurrentDepth == 3:
                    _property = reader.GetString();
                    break;
                case JsonTokenType.Number when reader.CurrentDepth == 3 && _property == "stream_index":
                    _streamIndex = reader.GetInt32();
                    break;
                case JsonTokenType.String when reader.CurrentDepth == 3 && _property is "dts_time" or "duration_time":
                    if (double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                    {
                        if (_property == "dts_time")
                        {
                            _dts = seconds;
                        }
                        else
                        {
                            _duration = seconds;
                        }
                    }

                    break;
            }
        }

        _state = reader.CurrentState;
        var done = (int)reader.BytesConsumed;
        if (_section == Section.BeforePackets)
        {
            _report.Write(bytes[..done]); // no packet list (yet): what came is the report
        }

        return done;
    }
}

/// <summary>Consecutive decode timestamps of one stream, keeping only the jumps (memory stays bounded).</summary>
internal sealed class PacketTrack
{
    private double? _previous;

    public List<Custody.Ledger.TimestampJump> Jumps { get; } = [];

    /// <summary>Where the last packet read ends (decode time plus its duration): the media actually in the file.</summary>
    public double? End { get; private set; }

    public void Add(double dts, double duration)
    {
        End = Math.Max(End ?? double.MinValue, dts + duration);
        if (_previous is { } before && (dts - before > ClipProbe.ForwardJumpSeconds || dts < before))
        {
            Jumps.Add(new Custody.Ledger.TimestampJump(Math.Round(before, 6), Math.Round(dts - before, 6)));
        }

        _previous = dts;
    }
}
