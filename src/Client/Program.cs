Console.WriteLine("mminterp");
