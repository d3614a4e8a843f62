using System.Collections.Concurrent;
using Imv.Grains.Assets;
using Imv.Grains.Interfaces.Assets;
using Xunit;

namespace Imv.Grains.Tests.Assets;

/// <summary>Runs the transfer state machine against plain wallets and a plain ledger, each guarded by its own
/// lock as a grain's turns would be, with coordinators that crash (losing their memory, keeping only what they
/// persisted) and replies that get lost, under heavy concurrency and repeated transfer ids.</summary>
public sealed class TransferProcessTests
{
    private sealed class Harness(int seed, double faultRate) : ITransferSteps
    {
        public readonly Dictionary<string, (WalletBook Book, SemaphoreSlim Lock)> Wallets = new(StringComparer.Ordinal);
        public readonly LedgerBook Ledger = new(new LedgerState(), new LedgerHeadState());
        private readonly SemaphoreSlim _ledgerLock = new(1, 1);
        public readonly Dictionary<string, AssetKind> Assets = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<string, long> OwnerVersion = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, TransferState> _persisted = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, SemaphoreSlim> _coordinatorLocks = new(StringComparer.Ordinal);
        private readonly Random _rng = new(seed);
        private readonly Lock _rngLock = new();
        public int Faults;

        public WalletBook Wallet(string id)
        {
            if (!Wallets.TryGetValue(id, out var w)) Wallets[id] = w = (new WalletBook(new WalletState()), new SemaphoreSlim(1, 1));
            return w.Book;
        }

        private void MaybeFail(string where)
        {
            bool fail;
            lock (_rngLock) fail = _rng.NextDouble() < faultRate;
            if (fail)
            {
                Interlocked.Increment(ref Faults);
                throw new IOException("injected fault " + where);
            }
        }

        private async Task<T> InWallet<T>(string id, Func<WalletBook, T> step)
        {
            var (book, gate) = Wallets[id];
            MaybeFail("before wallet step");
            await gate.WaitAsync();
            T result;
            try
            {
                await Task.Yield();
                result = step(book);
            }
            finally { gate.Release(); }
            MaybeFail("after wallet step (reply lost)");
            return result;
        }

        public Task<AssetKind?> GetAssetKindAsync(string assetId) =>
            Task.FromResult(Assets.TryGetValue(assetId, out var k) ? k : (AssetKind?)null);

        public Task<WalletStepOutcome> DebitAsync(string walletId, string transferId, string assetId, bool unique, long amount) =>
            InWallet(walletId, b => b.Debit(transferId, assetId, unique, amount).Outcome);

        public Task<WalletStepOutcome> CreditAsync(string walletId, string transferId, string assetId, bool unique, long amount) =>
            InWallet(walletId, b => b.Credit(transferId, assetId, unique, amount).Outcome);

        public Task SetOwnerAsync(string assetId, long ledgerIndex, string newOwner)
        {
            OwnerVersion.AddOrUpdate(assetId, ledgerIndex, (_, old) => Math.Max(old, ledgerIndex));
            return Task.CompletedTask;
        }

        public async Task<long> AppendLedgerAsync(LedgerRecord record)
        {
            MaybeFail("before ledger append");
            await _ledgerLock.WaitAsync();
            long index;
            try { index = Ledger.Append(record).Entry.Index; }
            finally { _ledgerLock.Release(); }
            MaybeFail("after ledger append (reply lost)");
            return index;
        }

        private static TransferState Clone(TransferState s) => new()
        {
            Request = s.Request, Status = s.Status, Reason = s.Reason, LedgerIndex = s.LedgerIndex, Unique = s.Unique, StartedAt = s.StartedAt,
        };

        /// <summary>One call to a coordinator "grain": turn-based per transfer id; on a fault its memory is lost
        /// and only the persisted state survives.</summary>
        public async Task<TransferReceipt> ExecuteOnceAsync(TransferRequest request)
        {
            var gate = _coordinatorLocks.GetOrAdd(request.TransferId, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync();
            try
            {
                var working = _persisted.TryGetValue(request.TransferId, out var saved) ? Clone(saved) : new TransferState();
                return await TransferProcess.RunAsync(working, request, this, () =>
                {
                    MaybeFail("before persist");
                    _persisted[request.TransferId] = Clone(working);
                    return Task.CompletedTask;
                }, DateTimeOffset.UnixEpoch);
            }
            finally { gate.Release(); }
        }

        /// <summary>A client that retries until the transfer reaches an end.</summary>
        public async Task<TransferReceipt> ExecuteAsync(TransferRequest request)
        {
            for (var attempt = 0; ; attempt++)
            {
                try { return await ExecuteOnceAsync(request); }
                catch (IOException) when (attempt < 1000) { }
            }
        }
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.05)]
    [InlineData(3, 0.2)]
    public async Task Concurrent_transfers_lose_and_duplicate_nothing(int seed, double faultRate)
    {
        var h = new Harness(seed, faultRate);
        const int walletCount = 8;
        const long initial = 1_000;
        var wallets = Enumerable.Range(0, walletCount).Select(i => $"w{i}").ToArray();
        h.Assets["EUR"] = AssetKind.DigitalCurrency;
        foreach (var w in wallets) h.Wallet(w).Credit("mint:" + w, "EUR", false, initial);
        var items = Enumerable.Range(0, 6).Select(i => $"recipe-{i}").ToArray();
        for (var i = 0; i < items.Length; i++)
        {
            h.Assets[items[i]] = i % 2 == 0 ? AssetKind.IntellectualProperty : AssetKind.VirtualProperty;
            h.Wallet(wallets[i % walletCount]).Credit("register:" + items[i], items[i], true, 1);
        }

        var rng = new Random(seed * 7919);
        var requests = new List<TransferRequest>();
        for (var i = 0; i < 1500; i++)
        {
            var from = wallets[rng.Next(walletCount)];
            var to = wallets[rng.Next(walletCount)];
            requests.Add(rng.Next(4) == 0
                ? new TransferRequest($"x{i}", from, to, items[rng.Next(items.Length)], 1)
                : new TransferRequest($"x{i}", from, to, "EUR", rng.Next(1, 400)));
        }
        // Every transfer is sent three times, concurrently, by clients that retry on faults; in waves of 100
        // transfers so that credits land between debits (all at once, early debits would drain every wallet).
        var receipts = new List<TransferReceipt>();
        foreach (var wave in requests.Chunk(100))
        {
            var calls = wave.SelectMany(r => new[] { r, r, r }).OrderBy(_ => rng.Next()).ToList();
            receipts.AddRange(await Task.WhenAll(calls.Select(r => Task.Run(() => h.ExecuteAsync(r)))));
        }

        var byId = receipts.GroupBy(r => r.Request.TransferId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(requests.Count, byId.Count);
        foreach (var (id, copies) in byId)
        {
            Assert.All(copies, c => Assert.True(c.Status is TransferStatus.Completed or TransferStatus.Rejected));
            Assert.All(copies, c => Assert.Equal(copies[0], c)); // a repeated id gets the first outcome
        }

        // Conservation: no currency created or destroyed, every unique asset in exactly one wallet.
        Assert.Equal(walletCount * initial, wallets.Sum(w => h.Wallet(w).Balance("EUR")));
        Assert.All(wallets, w => Assert.True(h.Wallet(w).Balance("EUR") >= 0));
        foreach (var item in items) Assert.Single(wallets, w => h.Wallet(w).Holds(item));

        // Each wallet's balance is what the completed transfers say.
        var completed = byId.Values.Select(c => c[0]).Where(r => r.Status == TransferStatus.Completed).Select(r => r.Request).ToList();
        foreach (var w in wallets)
        {
            var expected = initial - completed.Where(r => r.AssetId == "EUR" && r.FromWallet == w).Sum(r => r.Amount)
                                   + completed.Where(r => r.AssetId == "EUR" && r.ToWallet == w).Sum(r => r.Amount);
            Assert.Equal(expected, h.Wallet(w).Balance("EUR"));
        }

        // The ledger holds every completed transfer exactly once, no rejected one, and verifies.
        Assert.True(h.Ledger.Verify().IsValid);
        Assert.Equal(completed.Count, h.Ledger.Entries.Count);
        Assert.Equal(completed.Count, h.Ledger.Entries.Select(e => e.Record.EntryId).Distinct().Count());
        Assert.True(completed.Count > 400, $"only {completed.Count} transfers completed: " + string.Join("; ", byId.Values.Select(c => c[0].Reason ?? "ok").GroupBy(r => r.Split(':')[0]).Select(g => g.Key + " x" + g.Count())));

        // Replaying the ledger's unique-asset transfers in order gives the current holder of each asset.
        var holder = items.Select((it, i) => (it, w: wallets[i % walletCount])).ToDictionary(x => x.it, x => x.w);
        foreach (var e in h.Ledger.Entries.Where(e => e.Record.AssetId != "EUR"))
        {
            Assert.Equal(holder[e.Record.AssetId], e.Record.From);
            holder[e.Record.AssetId] = e.Record.To!;
        }
        foreach (var item in items) Assert.True(h.Wallet(holder[item]).Holds(item));
        if (faultRate > 0) Assert.True(h.Faults > 0);
    }

    [Fact]
    public async Task Rejections_move_nothing()
    {
        var h = new Harness(9, 0);
        h.Assets["EUR"] = AssetKind.DigitalCurrency;
        h.Assets["ip-1"] = AssetKind.IntellectualProperty;
        h.Wallet("a").Credit("m", "EUR", false, 100);
        h.Wallet("b");
        h.Wallet("a").Credit("r", "ip-1", true, 1);

        Assert.Equal(TransferStatus.Rejected, (await h.ExecuteAsync(new("t1", "a", "b", "EUR", 101))).Status);
        Assert.Equal(TransferStatus.Rejected, (await h.ExecuteAsync(new("t2", "b", "a", "ip-1", 1))).Status);
        Assert.Equal(TransferStatus.Rejected, (await h.ExecuteAsync(new("t3", "a", "b", "GBP", 1))).Status);
        Assert.Equal(TransferStatus.Rejected, (await h.ExecuteAsync(new("t4", "a", "a", "EUR", 1))).Status);
        Assert.Equal(TransferStatus.Rejected, (await h.ExecuteAsync(new("t5", "a", "b", "EUR", 0))).Status);
        Assert.Equal(TransferStatus.Rejected, (await h.ExecuteAsync(new("t6", "a", "b", "ip-1", 2))).Status);
        Assert.Equal(100, h.Wallet("a").Balance("EUR"));
        Assert.True(h.Wallet("a").Holds("ip-1"));
        Assert.Empty(h.Ledger.Entries);

        var ok = await h.ExecuteAsync(new("t7", "a", "b", "EUR", 100));
        Assert.Equal(TransferStatus.Completed, ok.Status);
        Assert.Equal(0, ok.LedgerIndex);
        // Same id, different content: nothing happens, first outcome returned.
        var again = await h.ExecuteAsync(new("t7", "b", "a", "EUR", 50));
        Assert.Equal(ok, again);
        Assert.Equal(100, h.Wallet("b").Balance("EUR"));
        Assert.Single(h.Ledger.Entries);
    }
}
