global using Imv.Gateways.Mqtt;
