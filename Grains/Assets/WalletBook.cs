using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>A journaled step of a wallet.</summary>
[GenerateSerializer]
public sealed class WalletJournalEntry
{
    /// <summary>True for a debit, false for a credit.</summary>
    [Id(0)] public bool Debit { get; set; }

    /// <summary>The asset.</summary>
    [Id(1)] public string AssetId { get; set; } = "";

    /// <summary>The amount (1 for a unique asset).</summary>
    [Id(2)] public long Amount { get; set; }

    /// <summary>Whether it took effect.</summary>
    [Id(3)] public bool Succeeded { get; set; }

    /// <summary>Why not.</summary>
    [Id(4)] public string? Reason { get; set; }
}

/// <summary>The persistent state of a wallet.</summary>
[GenerateSerializer]
public sealed class WalletState
{
    /// <summary>Currency balances in minor units.</summary>
    [Id(0)] public Dictionary<string, long> Balances { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Unique assets held (asset id to a count of times received, for diagnostics).</summary>
    [Id(1)] public Dictionary<string, long> Items { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Steps applied, by step id ("d:" or "c:" + transfer id), so that a repeated step does nothing.</summary>
    [Id(2)] public Dictionary<string, WalletJournalEntry> Journal { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The wallet logic over its state: idempotent debits and credits.</summary>
public sealed class WalletBook
{
    private readonly WalletState _state;

    /// <summary>Wraps the state.</summary>
    public WalletBook(WalletState state) => _state = state ?? throw new ArgumentNullException(nameof(state));

    /// <summary>A currency balance.</summary>
    public long Balance(string currency) => _state.Balances.GetValueOrDefault(currency);

    /// <summary>Whether a unique asset is held.</summary>
    public bool Holds(string assetId) => _state.Items.ContainsKey(assetId);

    /// <summary>A snapshot.</summary>
    public WalletSnapshot Snapshot(string owner) => new(
        owner,
        _state.Balances.Where(kv => kv.Value != 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        _state.Items.Keys.Order(StringComparer.Ordinal).ToList());

    /// <summary>Takes out, once per step id. The second result is true when the state changed (must be written).</summary>
    public (WalletStepOutcome Outcome, bool Changed) Debit(string stepId, string assetId, bool unique, long amount)
    {
        var key = "d:" + stepId;
        if (_state.Journal.TryGetValue(key, out var done)) return (new WalletStepOutcome(done.Succeeded, done.Reason), false);
        string? reason = null;
        if (unique)
        {
            if (amount != 1) reason = "A unique asset moves whole (amount 1).";
            else if (!_state.Items.ContainsKey(assetId)) reason = $"The wallet does not hold '{assetId}'.";
        }
        else if (amount <= 0) reason = "The amount must be positive.";
        else if (Balance(assetId) < amount) reason = $"Insufficient funds: {Balance(assetId)} {assetId} < {amount}.";

        if (reason is null)
        {
            if (unique) _state.Items.Remove(assetId);
            else _state.Balances[assetId] = Balance(assetId) - amount;
        }
        _state.Journal[key] = new WalletJournalEntry { Debit = true, AssetId = assetId, Amount = amount, Succeeded = reason is null, Reason = reason };
        return (new WalletStepOutcome(reason is null, reason), true);
    }

    /// <summary>Puts in, once per step id.</summary>
    public (WalletStepOutcome Outcome, bool Changed) Credit(string stepId, string assetId, bool unique, long amount)
    {
        var key = "c:" + stepId;
        if (_state.Journal.TryGetValue(key, out var done)) return (new WalletStepOutcome(done.Succeeded, done.Reason), false);
        string? reason = null;
        if (unique)
        {
            if (amount != 1) reason = "A unique asset moves whole (amount 1).";
            else if (!_state.Items.TryAdd(assetId, 1)) reason = $"The wallet already holds '{assetId}'.";
        }
        else if (amount <= 0) reason = "The amount must be positive.";
        else _state.Balances[assetId] = checked(Balance(assetId) + amount);
        _state.Journal[key] = new WalletJournalEntry { Debit = false, AssetId = assetId, Amount = amount, Succeeded = reason is null, Reason = reason };
        return (new WalletStepOutcome(reason is null, reason), true);
    }
}
