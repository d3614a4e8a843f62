using Imv.Grains.Interfaces.Commands;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Commands;

/// <summary>The operator lease of one twin: one avatar holds write control at a time, until it releases it
/// or the lease lapses.</summary>
[GenerateSerializer]
public sealed class OperatorLeaseBook
{
    /// <summary>The longest lease granted at once.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(12);

    /// <summary>The lease last granted (possibly lapsed).</summary>
    [Id(0)] public OperatorLease? Lease { get; set; }

    /// <summary>The lease in force at <paramref name="now"/>; null when none or lapsed.</summary>
    public OperatorLease? Current(DateTimeOffset now) => Lease is { } l && l.ExpiresAt > now ? l : null;

    /// <summary>Grants or renews the lease to <paramref name="holder"/>, or refuses while another holds it.</summary>
    public LeaseResult Acquire(string holder, TimeSpan duration, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        if (duration <= TimeSpan.Zero) return new LeaseResult(false, Current(now), "lease: the duration must be positive");
        if (duration > MaxDuration) duration = MaxDuration;
        var current = Current(now);
        if (current is not null && !string.Equals(current.Holder, holder, StringComparison.Ordinal))
            return new LeaseResult(false, current, $"lease: held by '{current.Holder}' until {current.ExpiresAt:O}");
        Lease = new OperatorLease(holder, current?.AcquiredAt ?? now, now + duration);
        return new LeaseResult(true, Lease, null);
    }

    /// <summary>Ends the lease if <paramref name="holder"/> holds it.</summary>
    public bool Release(string holder, DateTimeOffset now)
    {
        var current = Current(now);
        if (current is null || !string.Equals(current.Holder, holder, StringComparison.Ordinal)) return false;
        Lease = null;
        return true;
    }

    /// <summary>Why a command of this issuer is blocked by the lease; null when it is not.</summary>
    public string? Blocks(IssuerKind kind, string issuer, DateTimeOffset now)
    {
        var current = Current(now);
        if (current is null) return null;
        if (kind == IssuerKind.Avatar && string.Equals(current.Holder, issuer, StringComparison.Ordinal)) return null;
        return $"lease: twin is under the operator lease of '{current.Holder}' until {current.ExpiresAt:O}";
    }
}
