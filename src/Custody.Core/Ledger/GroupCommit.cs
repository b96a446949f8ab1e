namespace EvidenceVault.Custody.Ledger;

/// <summary>
/// Appends that arrive together are committed together: while one append runs, the facts of every
/// caller that comes meanwhile wait, and the next append takes all of them in one transaction (one
/// lock, one commit, one replica catch-up), each caller's facts contiguous and in its order. Eight
/// cameras docked at once made 32 single-entry appends queue on the ledger's lock until commands timed
/// out; a few appends of many entries do the same work (docs/benchmarks.md). If a combined append
/// fails, each caller's facts are tried alone, so one caller's failure is not another's.
/// </summary>
internal sealed class GroupCommit(Func<IReadOnlyList<NewEntry>, IReadOnlyList<LedgerEntry>> append)
{
    private readonly Lock _gate = new();
    private List<Waiting> _queue = [];
    private bool _appending;

    public Task<IReadOnlyList<LedgerEntry>> AppendAsync(IReadOnlyList<NewEntry> facts)
    {
        var mine = new Waiting(facts);
        bool lead;
        lock (_gate)
        {
            _queue.Add(mine);
            lead = !_appending;
            _appending = true;
        }

        if (lead)
        {
            // The first caller appends for everyone until nobody waits, on its own thread.
            Drain();
        }

        return mine.Done.Task;
    }

    private void Drain()
    {
        while (true)
        {
            List<Waiting> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _appending = false;
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            try
            {
                var entries = append([.. batch.SelectMany(w => w.Facts)]);
                var offset = 0;
                foreach (var waiting in batch)
                {
                    waiting.Done.SetResult([.. entries.Skip(offset).Take(waiting.Facts.Count)]);
                    offset += waiting.Facts.Count;
                }
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var waiting in batch)
                {
                    AppendAlone(waiting);
                }
            }
            catch (Exception e)
            {
                batch[0].Done.SetException(e);
            }
        }
    }

    private void AppendAlone(Waiting waiting)
    {
        try
        {
            waiting.Done.SetResult(append(waiting.Facts));
        }
        catch (Exception e)
        {
            waiting.Done.SetException(e);
        }
    }

    private sealed record Waiting(IReadOnlyList<NewEntry> Facts)
    {
        // Continuations run elsewhere: the appending thread goes on with the next batch.
        public TaskCompletionSource<IReadOnlyList<LedgerEntry>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
