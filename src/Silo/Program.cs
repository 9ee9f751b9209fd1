Console.WriteLine("mminterp-silo");
