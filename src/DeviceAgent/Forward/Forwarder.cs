using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ledger;
using Polly;
using Polly.Retry;
using Serilog;

namespace EvidenceVault.DeviceAgent.Forward;

/// <summary>What one forwarding pass did. Pending clips stay in the spool for the next pass.</summary>
internal sealed record ForwardResult(int Forwarded, int AlreadyThere, int Pending, int Failed, string? Problem);

/// <summary>
/// Networked mode: the dock's own embedded vault is the spool. Cameras are taken into custody there
/// first (so a dock keeps working while the network, the API or the object store is down); this
/// hands each spooled clip to the central Ingest.Api (upload, then registration, which the API
/// accepts only once the object is stored with that digest and size) and records the hand-over as
/// a local ClipForwarded entry. Retried with backoff and jitter; a retry after a lost answer finds
/// the clip already in central custody, so nothing is lost and nothing is ledgered twice.
/// </summary>
internal sealed class Forwarder(Vault spool, HttpClient api, TimeSpan firstRetryDelay, int retries = 4)
{
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
    {
        ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TaskCanceledException>().Handle<TransientApiException>(),
        MaxRetryAttempts = retries,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = firstRetryDelay,
        OnRetry = args =>
        {
            Log.Warning("Central API unreachable ({Error}); retry {Attempt} in {Delay}", args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
            return ValueTask.CompletedTask;
        },
    }).Build();

    public static HttpClient Client(Uri baseAddress, string key) => new()
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromMinutes(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
    };

    public async Task<ForwardResult> ForwardPendingAsync(CancellationToken cancellationToken)
    {
        var done = spool.Ledger.EntriesOfType(EntryTypes.ClipForwarded).Select(e => PayloadJson.Deserialize<ClipForwardedPayload>(e.Payload).IngestIndex).ToHashSet();
        var pending = spool.Ledger.EntriesOfType(EntryTypes.ClipIngested).Where(e => !done.Contains(e.Index)).ToList();
        var sessions = new HashSet<string>(StringComparer.Ordinal);
        int forwarded = 0, already = 0, failed = 0;
        foreach (var entry in pending)
        {
            var clip = PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload);
            try
            {
                var central = await _retry.ExecuteAsync(async token => await HandOverAsync(clip, sessions, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                await spool.RecordAsync([new NewEntry(EntryTypes.ClipForwarded, "station:" + spool.Station, [Subjects.Clip(Sha256Digest.ParseHex(clip.Sha256))],
                    "handed to central custody", PayloadJson.Serialize(new ClipForwardedPayload(entry.Index, clip.Sha256, api.BaseAddress!.ToString(), central.LedgerEntry)))], cancellationToken).ConfigureAwait(false);
                if (central.AlreadyInCustody)
                {
                    already++;
                }
                else
                {
                    forwarded++;
                }

                Log.Information("Forwarded {File} ({Sha256}) to {Api}: central entry {Index}", clip.Clip.FileName, clip.Sha256, api.BaseAddress, central.LedgerEntry);
            }
            catch (RejectedException e) when (e.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                await spool.CheckpointAsync(cancellationToken).ConfigureAwait(false);
                return new ForwardResult(forwarded, already, pending.Count - forwarded - already, failed, $"the central API refused this station's key ({(int)e.Status}): {e.Message}");
            }
            catch (RejectedException e)
            {
                failed++;
                Log.Error("Central custody refused {File} ({Sha256}): {Reason}; it stays in this dock's custody", clip.Clip.FileName, clip.Sha256, e.Message);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TransientApiException)
            {
                await spool.CheckpointAsync(cancellationToken).ConfigureAwait(false);
                return new ForwardResult(forwarded, already, pending.Count - forwarded - already, failed, $"central API unreachable: {e.Message}");
            }
        }

        await spool.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        return new ForwardResult(forwarded, already, pending.Count - forwarded - already - failed, failed, null);
    }

    private async Task<Registered> HandOverAsync(ClipIngestedPayload clip, HashSet<string> sessions, CancellationToken cancellationToken)
    {
        if (clip.Clip.DeviceSerial is { } device && !sessions.Contains(device))
        {
            using var session = await api.PostAsJsonAsync("/dock/sessions", new { deviceSerial = device, officerId = clip.Clip.OfficerId, clockOffsetSeconds = clip.Clip.ClockOffsetSeconds }, cancellationToken).ConfigureAwait(false);
            await EnsureAsync(session, cancellationToken).ConfigureAwait(false);
            sessions.Add(device);
        }

        await using (var original = await spool.Objects.OpenReadAsync(Sha256Digest.ParseHex(clip.Sha256), null, cancellationToken).ConfigureAwait(false))
        {
            using var content = new StreamContent(original, 1 << 20);
            content.Headers.ContentLength = clip.Size;
            using var upload = await api.PutAsync($"/objects/{clip.Sha256}", content, cancellationToken).ConfigureAwait(false);
            await EnsureAsync(upload, cancellationToken).ConfigureAwait(false);
        }

        using var register = await api.PostAsJsonAsync("/clips", new { sha256 = clip.Sha256, size = clip.Size, facts = clip.Clip }, PayloadJson.Options, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(register, cancellationToken).ConfigureAwait(false);
        return await register.Content.ReadFromJsonAsync<Registered>(JsonSerializerOptions.Web, cancellationToken).ConfigureAwait(false)
            ?? throw new RejectedException(register.StatusCode, "empty answer");
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var detail = body.Length > 0 && body.TrimStart().StartsWith('{') && JsonDocument.Parse(body).RootElement.TryGetProperty("detail", out var d) ? d.GetString() : body;
        var status = (int)response.StatusCode;
        throw status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            ? new TransientApiException($"{status} {response.ReasonPhrase}: {detail}")
            : new RejectedException(response.StatusCode, $"{status} {response.ReasonPhrase}: {detail}");
    }

    private sealed record Registered(long LedgerEntry, bool AlreadyInCustody);

    private sealed class TransientApiException(string message) : Exception(message);

    private sealed class RejectedException(HttpStatusCode status, string message) : Exception(message)
    {
        public HttpStatusCode Status { get; } = status;
    }
}
