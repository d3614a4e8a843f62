using Microsoft.Extensions.Options;

namespace Imv.Silo.Plant;

/// <summary>Validates <see cref="PlantOptions"/> at start; each failure names its key and value.</summary>
public sealed class PlantOptionsValidator : IValidateOptions<PlantOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PlantOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
