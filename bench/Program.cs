switch (args.FirstOrDefault())
{
    case "mqtt": return await Imv.Bench.Mqtt.MqttScenario.RunAsync(args[1..], CancellationToken.None);
}
Console.WriteLine("{}");
return 0;
