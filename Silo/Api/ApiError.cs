namespace Imv.Silo.Api;

/// <summary>The body of every error answer: a clear message and, where useful, details (the command record of
/// a rejected command, the lease held by another avatar, the parameter that was wrong).</summary>
/// <param name="Error">What went wrong, in words.</param>
/// <param name="Detail">More about it; null when there is nothing more.</param>
public sealed record ApiError(string Error, object? Detail = null);
