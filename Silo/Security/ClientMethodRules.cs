using System.Collections.Concurrent;
using System.Reflection;

namespace Imv.Silo.Security;

/// <summary>The access rule of each grain interface method for Orleans clients, read once from its declaration
/// (<see cref="ClientRightAttribute"/>, <see cref="SiloOnlyAttribute"/> on the method or its interface). A method
/// with neither has no rule and is refused to clients, like a <c>[SiloOnly]</c> one: forgetting a declaration closes
/// a method rather than opening it.</summary>
public static class ClientMethodRules
{
    private static readonly ConcurrentDictionary<MethodInfo, ClientRightAttribute?> Rules = new();

    /// <summary>The rule of <paramref name="method"/> (an interface method); null when clients may not call it.</summary>
    public static ClientRightAttribute? Of(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return Rules.GetOrAdd(method, static m =>
            m.GetCustomAttribute<SiloOnlyAttribute>() is null && m.DeclaringType?.GetCustomAttribute<SiloOnlyAttribute>() is null
                ? m.GetCustomAttribute<ClientRightAttribute>() : null);
    }

    /// <summary>Whether <paramref name="method"/> says anything about clients (a right, or silo only).</summary>
    public static bool IsDeclared(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.GetCustomAttribute<ClientRightAttribute>() is not null || method.GetCustomAttribute<SiloOnlyAttribute>() is not null
            || method.DeclaringType?.GetCustomAttribute<SiloOnlyAttribute>() is not null;
    }

    /// <summary>Whether a call with <paramref name="right"/> changes the grid (and is written to the audit log).</summary>
    public static bool Changes(Right right) => right is not (Right.Read or Right.Identify or Right.Ledger or Right.Audit);
}
