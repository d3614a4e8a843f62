using System.Globalization;

namespace Imv.Silo.Api;

/// <summary>Paging parameters <c>?page=&amp;pageSize=</c>: page from 1, page size 1..<see cref="MaxPageSize"/>.</summary>
/// <param name="Page">The page, from 1.</param>
/// <param name="PageSize">Items per page.</param>
public readonly record struct Paging(int Page, int PageSize)
{
    /// <summary>The page size when none is given.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The largest page size.</summary>
    public const int MaxPageSize = 500;

    /// <summary>Reads the paging parameters; an error answer naming the bad parameter otherwise.</summary>
    public static bool TryRead(HttpRequest request, out Paging paging, out IResult? error)
    {
        ArgumentNullException.ThrowIfNull(request);
        paging = default;
        error = null;
        int page = 1, size = DefaultPageSize;
        if (request.Query.TryGetValue("page", out var p) && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1))
        {
            error = ApiResults.BadRequest($"Query parameter 'page' must be an integer from 1 (was '{p}').", new { parameter = "page" });
            return false;
        }
        if (request.Query.TryGetValue("pageSize", out var s) && (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1 || size > MaxPageSize))
        {
            error = ApiResults.BadRequest($"Query parameter 'pageSize' must be an integer from 1 to {MaxPageSize} (was '{s}').", new { parameter = "pageSize" });
            return false;
        }
        paging = new Paging(page, size);
        return true;
    }

    /// <summary>This page of <paramref name="items"/>.</summary>
    public Page<T> Of<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        long skip = (long)(Page - 1) * PageSize;
        var slice = skip >= items.Count ? [] : items.Skip((int)skip).Take(PageSize).ToList();
        return new Page<T>(Page, PageSize, items.Count, slice);
    }
}

/// <summary>One page of a listing.</summary>
/// <param name="Number">The page, from 1.</param>
/// <param name="PageSize">Items per page.</param>
/// <param name="Total">Items over all pages.</param>
/// <param name="Items">This page's items.</param>
public sealed record Page<T>([property: System.Text.Json.Serialization.JsonPropertyName("page")] int Number, int PageSize, int Total, IReadOnlyList<T> Items);
