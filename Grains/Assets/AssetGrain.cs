using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>The persistent state of an asset.</summary>
[GenerateSerializer]
public sealed class AssetState
{
    /// <summary>The asset, once registered.</summary>
    [Id(0)] public AssetInfo? Info { get; set; }

    /// <summary>The registration as received (to check idempotent repeats).</summary>
    [Id(1)] public AssetRegistration? Registration { get; set; }

    /// <summary>Whether the registration's wallet credit and ledger entry are done.</summary>
    [Id(2)] public bool RegistrationDone { get; set; }

    /// <summary>Mints by id: wallet and amount, and whether credit and ledger entry are done.</summary>
    [Id(3)] public Dictionary<string, MintRecord> Mints { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The ledger index of the last ownership change applied.</summary>
    [Id(4)] public long OwnerVersion { get; set; } = -1;
}

/// <summary>One mint.</summary>
[GenerateSerializer]
public sealed class MintRecord
{
    /// <summary>The wallet credited.</summary>
    [Id(0)] public string WalletId { get; set; } = "";

    /// <summary>The amount.</summary>
    [Id(1)] public long Amount { get; set; }

    /// <summary>Whether the credit and the ledger entry are done.</summary>
    [Id(2)] public bool Done { get; set; }

    /// <summary>When it was requested (ledger timestamp).</summary>
    [Id(3)] public DateTimeOffset At { get; set; }
}

/// <summary>An asset. Registration and each mint are persisted as pending first, then the wallet credit and
/// the ledger entry (both idempotent) are done and the record is marked done; pending work resumes on
/// activation, so a crash neither loses nor repeats a registration or a mint.</summary>
public sealed class AssetGrain : Grain, IAssetGrain
{
    private readonly IPersistentState<AssetState> _state;

    /// <summary>Created by the runtime.</summary>
    public AssetGrain([PersistentState("asset")] IPersistentState<AssetState> state)
    {
        _state = state;
    }

    private string AssetId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var s = _state.State;
        if (s.Info is not null && !s.RegistrationDone) await CompleteRegistrationAsync();
        foreach (var (id, mint) in s.Mints.Where(m => !m.Value.Done).ToList()) await CompleteMintAsync(id, mint);
    }

    /// <inheritdoc />
    public async Task<AssetInfo> RegisterAsync(AssetRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentException.ThrowIfNullOrWhiteSpace(registration.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(registration.BoundTo);
        ArgumentException.ThrowIfNullOrWhiteSpace(registration.Owner);
        if (!Enum.IsDefined(registration.Kind)) throw new ArgumentOutOfRangeException(nameof(registration), registration.Kind, "Unknown asset kind.");
        var s = _state.State;
        if (s.Info is not null)
        {
            if (s.Registration != registration) throw new InvalidOperationException($"Asset '{AssetId}' is already registered differently.");
            if (!s.RegistrationDone) await CompleteRegistrationAsync();
            return s.Info;
        }
        s.Registration = registration;
        s.Info = new AssetInfo(AssetId, registration.Kind, registration.Name, registration.BoundTo, registration.Owner,
            registration.Kind == AssetKind.DigitalCurrency ? 0 : 1, DateTimeOffset.UtcNow);
        await _state.WriteStateAsync();
        await CompleteRegistrationAsync();
        return s.Info;
    }

    private async Task CompleteRegistrationAsync()
    {
        var s = _state.State;
        var info = s.Info!;
        var stepId = "register:" + AssetId;
        if (info.Kind != AssetKind.DigitalCurrency)
            await GrainFactory.GetGrain<IWalletGrain>(info.Owner).CreditAsync(stepId, AssetId, true, 1);
        await GrainFactory.GetGrain<ILedgerGrain>(LedgerNames.Main).AppendAsync(new LedgerRecord(
            stepId, LedgerEntryKind.AssetRegistered, AssetId, null, info.Owner, info.Issued, $"{info.Kind} '{info.Name}' bound to {info.BoundTo}", info.RegisteredAt));
        s.RegistrationDone = true;
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<AssetInfo?> GetInfoAsync()
    {
        // A lookup of an unknown asset leaves no activation behind.
        if (_state.State.Info is null) DeactivateOnIdle();
        return Task.FromResult(_state.State.Info);
    }

    /// <inheritdoc />
    public async Task<AssetInfo> MintAsync(string mintId, string issuer, string walletId, long amount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mintId);
        ArgumentException.ThrowIfNullOrWhiteSpace(walletId);
        var s = _state.State;
        var info = s.Info ?? throw new InvalidOperationException($"Asset '{AssetId}' is not registered.");
        if (info.Kind != AssetKind.DigitalCurrency) throw new InvalidOperationException($"Asset '{AssetId}' is a {info.Kind}; only a currency can be minted.");
        if (!string.Equals(issuer, info.Owner, StringComparison.Ordinal)) throw new UnauthorizedAccessException($"Only '{info.Owner}' may mint '{AssetId}'.");
        if (s.Mints.TryGetValue(mintId, out var existing))
        {
            if (!existing.Done) await CompleteMintAsync(mintId, existing);
            return s.Info!;
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        var mint = new MintRecord { WalletId = walletId, Amount = amount, At = DateTimeOffset.UtcNow };
        s.Mints.Add(mintId, mint);
        s.Info = info with { Issued = checked(info.Issued + amount) };
        await _state.WriteStateAsync();
        await CompleteMintAsync(mintId, mint);
        return s.Info;
    }

    private async Task CompleteMintAsync(string mintId, MintRecord mint)
    {
        var stepId = "mint:" + AssetId + ":" + mintId;
        await GrainFactory.GetGrain<IWalletGrain>(mint.WalletId).CreditAsync(stepId, AssetId, false, mint.Amount);
        await GrainFactory.GetGrain<ILedgerGrain>(LedgerNames.Main).AppendAsync(new LedgerRecord(
            stepId, LedgerEntryKind.CurrencyMinted, AssetId, null, mint.WalletId, mint.Amount, null, mint.At));
        mint.Done = true;
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task SetOwnerAsync(long ledgerIndex, string newOwner)
    {
        var s = _state.State;
        if (s.Info is null || s.Info.Kind == AssetKind.DigitalCurrency || ledgerIndex <= s.OwnerVersion) return;
        s.OwnerVersion = ledgerIndex;
        s.Info = s.Info with { Owner = newOwner };
        await _state.WriteStateAsync();
    }
}
