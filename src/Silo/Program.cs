using MMInterp.Silo.Hosting;

// mminterp-silo: one standalone silo. Several on one machine form a cluster when they share --db and
// --cluster-id and differ in --silo-port/--gateway-port. Settings: SiloCommandLine.Usage.
return await SiloProgram.RunAsync(args);
