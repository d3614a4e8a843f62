global using Xunit;
global using Imv.Gateways.Mqtt;
