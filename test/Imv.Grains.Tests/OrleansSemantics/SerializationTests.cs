using System.Collections;
using System.Reflection;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>Orleans finds a type without a serializer only when a call carries it: every [GenerateSerializer] type
/// of Grains.Interfaces and Grains, and every type reachable from a grain interface's arguments and results (and
/// from the grains' persistent states), round-trips through Orleans' Serializer and DeepCopier here.</summary>
/// <summary>One single-silo cluster for all the serialization tests: its Serializer, DeepCopier and codecs.</summary>
public sealed class SerializationFixture : IAsyncLifetime
{
    public Grid Grid { get; private set; } = null!;
    public Serializer Serializer { get; private set; } = null!;
    public DeepCopier Copier { get; private set; } = null!;
    public ICodecProvider Codecs { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Grid = await Grid.StartAsync(silos: 1);
        var sp = Grid.Silos[0].ServiceProvider;
        Serializer = sp.GetRequiredService<Serializer>();
        Copier = sp.GetRequiredService<DeepCopier>();
        Codecs = sp.GetRequiredService<ICodecProvider>();
    }

    public async Task DisposeAsync() => await Grid.DisposeAsync();
}

public sealed class SerializationTests(SerializationFixture fixture) : IClassFixture<SerializationFixture>
{
    private readonly Serializer _serializer = fixture.Serializer;
    private readonly DeepCopier _copier = fixture.Copier;
    private readonly ICodecProvider _codecs = fixture.Codecs;

    private static readonly Assembly[] Ours = [typeof(IMachineGrain).Assembly, typeof(MachineGrain).Assembly];

    private static bool IsOurs(Type t) => Ours.Contains(t.Assembly);

    /// <summary>Every type of ours reachable from the grain interfaces and the grains' persistent states.</summary>
    private static HashSet<Type> ReachableTypes()
    {
        var roots = new List<Type>();
        foreach (var i in Ours.SelectMany(a => a.GetTypes()).Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t)))
            foreach (var m in i.GetMethods())
            {
                roots.AddRange(m.GetParameters().Select(p => p.ParameterType));
                roots.Add(m.ReturnType);
            }
        foreach (var grain in Ours.SelectMany(a => a.GetTypes()).Where(t => typeof(Grain).IsAssignableFrom(t) && !t.IsAbstract))
            foreach (var ctor in grain.GetConstructors())
                foreach (var p in ctor.GetParameters())
                    if (p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(IPersistentState<>))
                        roots.Add(p.ParameterType.GetGenericArguments()[0]);
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>(roots);
        while (queue.TryDequeue(out var t))
        {
            if (t.IsByRef) t = t.GetElementType()!;
            if (t.IsArray) { queue.Enqueue(t.GetElementType()!); continue; }
            if (t.IsGenericType)
            {
                foreach (var a in t.GetGenericArguments()) queue.Enqueue(a);
                if (!IsOurs(t)) continue;
            }
            if (!IsOurs(t) || !seen.Add(t)) continue;
            if (t.IsEnum) continue;
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                if (f.GetCustomAttribute<IdAttribute>() is not null || t.GetProperties().Any(p => p.Name == f.Name.Trim('<', '>').Split('>')[0] && p.GetCustomAttribute<IdAttribute>() is not null))
                    queue.Enqueue(f.FieldType);
            foreach (var p in t.GetProperties(BindingFlags.Instance | BindingFlags.Public)) if (p.GetCustomAttribute<IdAttribute>() is not null) queue.Enqueue(p.PropertyType);
            foreach (var c in t.GetConstructors()) foreach (var p in c.GetParameters()) queue.Enqueue(p.ParameterType);
        }
        return seen;
    }

    [Fact]
    public void Every_type_a_grain_call_or_state_carries_has_a_serializer()
    {
        var reachable = ReachableTypes();
        // The walk reaches arguments, results, their members and the persistent states.
        Assert.Contains(typeof(TwinConfiguration), reachable);
        Assert.Contains(typeof(Imv.Grains.Interfaces.Commands.CommandRecord), reachable);
        Assert.Contains(typeof(Imv.Grains.Interfaces.Assets.LedgerEntry), reachable);
        Assert.Contains(typeof(MachineState), reachable);
        Assert.Contains(typeof(Imv.Grains.Assets.LedgerHeadState), reachable);
        Assert.Contains(typeof(TagMetadata), reachable);
        var missing = new List<string>();
        foreach (var t in reachable.Where(t => !t.IsEnum && !t.IsInterface))
        {
            bool generated = t.GetCustomAttribute<GenerateSerializerAttribute>() is not null;
            bool surrogate = t == typeof(TagValue);   // through TagValueCodec
            if (!generated && !surrogate) missing.Add(t.FullName!);
            else if (_codecs.TryGetCodec(t) is null) missing.Add(t.FullName + " (no codec)");
        }
        Assert.True(missing.Count == 0, "types carried by grain calls or states without [GenerateSerializer]: " + string.Join(", ", missing));
    }

    public static IEnumerable<object[]> GeneratedTypes() =>
        Ours.SelectMany(a => a.GetTypes())
            .Where(t => t.GetCustomAttribute<GenerateSerializerAttribute>() is not null && !t.IsGenericTypeDefinition)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => new object[] { t.FullName! });

    [Theory]
    [MemberData(nameof(GeneratedTypes))]
    public void Every_generated_type_round_trips_through_the_serializer_and_the_copier(string typeName)
    {
        var type = Ours.Select(a => a.GetType(typeName)).First(t => t is not null)!;
        var value = Sample.Of(type, 0);
        Assert.NotNull(value);
        var bytes = _serializer.SerializeToArray<object>(value!);
        var back = _serializer.Deserialize<object>(bytes);
        Assert.IsType(type, back);
        Assert.Equal(bytes, _serializer.SerializeToArray<object>(back));
        var copy = _copier.Copy<object>(value!);
        Assert.IsType(type, copy);
        Assert.Equal(bytes, _serializer.SerializeToArray<object>(copy));
    }

    [Fact]
    public void Every_type_reachable_from_the_grain_interfaces_and_states_round_trips()
    {
        foreach (var type in ReachableTypes().Where(t => !t.IsInterface && !t.IsAbstract))
        {
            var value = Sample.Of(type, 0)!;
            var bytes = _serializer.SerializeToArray<object>(value);
            Assert.Equal(bytes, _serializer.SerializeToArray<object>(_serializer.Deserialize<object>(bytes)));
            Assert.Equal(bytes, _serializer.SerializeToArray<object>(_copier.Copy<object>(value)));
        }
    }

    public static IEnumerable<object[]> TagValues() =>
    [
        [TagValue.None], [TagValue.FromBoolean(true)], [TagValue.FromBoolean(false)], [TagValue.FromInteger(long.MinValue)],
        [TagValue.FromDouble(double.NaN)], [TagValue.FromDouble(-0.0)], [TagValue.FromDouble(1.5)], [TagValue.FromString("")],
        [TagValue.FromString("héllo")], [TagValue.FromArray(new[] { true, false })], [TagValue.FromArray(new long[] { 1, -2 })],
        [TagValue.FromArray(new[] { 1.5, double.PositiveInfinity })], [TagValue.FromArray(new[] { "a", "" })], [TagValue.FromArray(Array.Empty<double>())],
    ];

    [Theory]
    [MemberData(nameof(TagValues))]
    public void A_tag_value_of_every_data_type_round_trips_through_its_codec(TagValue value)
    {
        var back = _serializer.Deserialize<TagValue>(_serializer.SerializeToArray(value));
        Assert.Equal(value.DataType, back.DataType);
        Assert.Equal(value, back);
        Assert.Equal(value.ToString(), back.ToString());
        Assert.Equal(value, _copier.Copy(value));
        // Inside a containing type, and as an object.
        var update = new TagUpdate("t", value, TagQuality.Good, DateTimeOffset.UnixEpoch, 1);
        Assert.Equal(update.Value, _serializer.Deserialize<TagUpdate>(_serializer.SerializeToArray(update)).Value);
        Assert.Equal(value, (TagValue)_serializer.Deserialize<object>(_serializer.SerializeToArray<object>(value))!);
    }

    /// <summary>A valid value's bytes with one byte changed from its end: <c>(value, offset from the end, new byte)</c>.</summary>
    public static IEnumerable<object[]> CorruptRecords() =>
    [
        [TagValue.FromBoolean(true), 1, (byte)2],                          // a boolean holding 2
        [TagValue.FromBoolean(true), 2, (byte)99],                         // an unknown data type
        [TagValue.FromString("abc"), 4, (byte)TagDataType.Double],         // a double of 3 bytes
        [TagValue.FromString("abcdefghi"), 10, (byte)TagDataType.IntegerArray], // an integer array of 9 bytes
        [TagValue.FromString("abc"), 1, (byte)0xFF],                       // a string that is not UTF-8
        [TagValue.FromArray(new[] { "ab" }), 3, (byte)9],                  // a string element longer than its value
    ];

    [Theory]
    [MemberData(nameof(CorruptRecords))]
    public void A_corrupt_tag_value_record_is_refused(TagValue valid, int fromEnd, byte replacement)
    {
        // A record whose payload does not match its data type, as a damaged file or a foreign writer would leave it.
        var bytes = _serializer.SerializeToArray(valid);
        bytes[^fromEnd] = replacement;
        var ex = Record.Exception(() => _serializer.Deserialize<TagValue>(bytes));
        Assert.NotNull(ex);
        Assert.True(ex is InvalidDataException || ex.InnerException is InvalidDataException, $"expected InvalidDataException, got {ex}");
    }

    [Fact]
    public void A_double_tag_value_costs_eleven_bytes_in_a_state()
    {
        // Field header, length, data type, 8 bytes: the 20 tags of a twin's state stay small on the ingest path.
        var one = _serializer.SerializeToArray(new[] { TagValue.FromDouble(1.5) }).Length;
        var two = _serializer.SerializeToArray(new[] { TagValue.FromDouble(1.5), TagValue.FromDouble(2.5) }).Length;
        Assert.Equal(11, two - one);
    }

    [Fact]
    public void A_schema_state_keeps_its_commands_lease_and_alarms_and_serializing_an_empty_one_creates_none_of_them()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(1);
        var state = new MachineSchemaState { LogMerged = true };
        state.Commands.Add((Imv.Grains.Interfaces.Commands.CommandRecord)Sample.Of(typeof(Imv.Grains.Interfaces.Commands.CommandRecord), 0)!);
        state.Lease.Acquire("op.anna", TimeSpan.FromMinutes(5), now);
        state.AlarmHistory.Add(new AlarmEvent("m1", "Temperature", AlarmLevel.High, true, 91.5, now));

        var back = _serializer.Deserialize<MachineSchemaState>(_serializer.SerializeToArray(state))!;
        Assert.Single(back.Commands.Records);
        Assert.Equal(state.Commands.Records[0].Envelope.CommandId, back.Commands.Records[0].Envelope.CommandId);
        Assert.Equal("op.anna", back.Lease.Current(now)?.Holder);
        Assert.Equal(91.5, Assert.Single(back.AlarmHistory).Value);
        Assert.True(back.LogMerged);

        // A twin that was never commanded, leased or alarmed holds none of the three, written or read back: they
        // are created on first use (an idle twin's memory, docs/performance.md).
        var empty = new MachineSchemaState();
        var emptyBack = _serializer.Deserialize<MachineSchemaState>(_serializer.SerializeToArray(empty))!;
        foreach (var name in new[] { "_commands", "_lease", "_alarmHistory" })
        {
            var field = typeof(MachineSchemaState).GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)!;
            Assert.Null(field.GetValue(empty));
            Assert.Null(field.GetValue(emptyBack));
        }
    }

    /// <summary>Sample values: every constructor parameter, settable [Id] property, collection and value filled.</summary>
    private static class Sample
    {
        public static object? Of(Type t, int depth)
        {
            if (Nullable.GetUnderlyingType(t) is { } inner) return Of(inner, depth);
            if (t == typeof(string)) return "s" + depth;
            if (t == typeof(bool)) return true;
            if (t == typeof(int)) return 3;
            if (t == typeof(long)) return 4L;
            if (t == typeof(uint)) return 5u;
            if (t == typeof(double)) return 1.25;
            if (t == typeof(float)) return 1.5f;
            if (t == typeof(byte[])) return new byte[] { 1, 2 };
            if (t == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
            if (t == typeof(DateTime)) return new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            if (t == typeof(TimeSpan)) return TimeSpan.FromSeconds(7);
            if (t == typeof(Guid)) return new Guid("6f1d3c44-52f9-4c9b-9d61-2b1c9a0c0b11");
            if (t == typeof(TagValue)) return TagValue.FromDouble(2.5);
            if (t.IsEnum)
            {
                var values = Enum.GetValues(t);
                return values.Length > 1 ? values.GetValue(1) : values.GetValue(0);
            }
            if (t.IsArray)
            {
                var element = t.GetElementType()!;
                var array = Array.CreateInstance(element, depth > 3 ? 0 : 1);
                if (array.Length > 0) array.SetValue(Of(element, depth + 1), 0);
                return array;
            }
            if (t.IsGenericType)
            {
                var def = t.GetGenericTypeDefinition();
                var args = t.GetGenericArguments();
                if (def == typeof(List<>) || def == typeof(IReadOnlyList<>) || def == typeof(IList<>) || def == typeof(IEnumerable<>) || def == typeof(ICollection<>) || def == typeof(IReadOnlyCollection<>))
                {
                    var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(args))!;
                    if (depth <= 3) list.Add(Of(args[0], depth + 1));
                    return list;
                }
                if (def == typeof(HashSet<>) || def == typeof(ISet<>) || def == typeof(IReadOnlySet<>))
                {
                    var set = Activator.CreateInstance(typeof(HashSet<>).MakeGenericType(args))!;
                    if (depth <= 3) set.GetType().GetMethod("Add")!.Invoke(set, [Of(args[0], depth + 1)]);
                    return set;
                }
                if (def == typeof(Dictionary<,>) || def == typeof(IReadOnlyDictionary<,>) || def == typeof(IDictionary<,>))
                {
                    var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(args))!;
                    if (depth <= 3) dict.Add(Of(args[0], depth + 1)!, Of(args[1], depth + 1));
                    return dict;
                }
                if (def == typeof(ValueTuple<,>)) return Activator.CreateInstance(t, Of(args[0], depth + 1), Of(args[1], depth + 1));
            }
            if (t.IsInterface || t.IsAbstract) return null;
            // The constructor with the most parameters, filled; then settable [Id] properties.
            var ctor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
            object instance;
            if (ctor is null) instance = Activator.CreateInstance(t)!;
            else
            {
                try { instance = ctor.Invoke(ctor.GetParameters().Select(p => Of(p.ParameterType, depth + 1)).ToArray()); }
                catch (TargetInvocationException) { instance = Activator.CreateInstance(t)!; }
            }
            foreach (var p in t.GetProperties(BindingFlags.Instance | BindingFlags.Public))
                if (p.GetCustomAttribute<IdAttribute>() is not null && p.SetMethod is { IsPublic: true } && !IsInitOnly(p) && depth <= 4)
                {
                    try { p.SetValue(instance, Of(p.PropertyType, depth + 1)); }
                    catch (TargetInvocationException) { }
                }
            return instance;
        }

        private static bool IsInitOnly(PropertyInfo p) =>
            p.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");
    }
}
