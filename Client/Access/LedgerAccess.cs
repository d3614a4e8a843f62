using Imv.Grains.Interfaces.Assets;

namespace Imv.Client.Access;

/// <summary>The hash-chained ledger (<see cref="ILedgerGrain"/>).</summary>
public sealed class LedgerAccess
{
    private readonly IGrainFactory _grains;

    internal LedgerAccess(IGrainFactory grains) => _grains = grains;

    /// <summary>The ledger's grain (<see cref="LedgerNames.Main"/> by default).</summary>
    public ILedgerGrain Grain(string ledger = LedgerNames.Main) => _grains.GetGrain<ILedgerGrain>(ledger);

    /// <summary>Recomputes the chain and names the first bad entry.</summary>
    public Task<LedgerVerification> VerifyAsync(string ledger = LedgerNames.Main, CancellationToken cancellationToken = default) =>
        Grain(ledger).VerifyAsync().WaitAsync(cancellationToken);

    /// <summary>The head: count and last hash.</summary>
    public Task<LedgerHead> GetHeadAsync(string ledger = LedgerNames.Main, CancellationToken cancellationToken = default) =>
        Grain(ledger).GetHeadAsync().WaitAsync(cancellationToken);

    /// <summary>Up to <paramref name="count"/> entries from <paramref name="fromIndex"/>.</summary>
    public Task<IReadOnlyList<LedgerEntry>> GetEntriesAsync(long fromIndex, int count, string ledger = LedgerNames.Main, CancellationToken cancellationToken = default) =>
        Grain(ledger).GetEntriesAsync(fromIndex, count).WaitAsync(cancellationToken);
}
