Console.WriteLine("Imv silo: not yet wired.");
