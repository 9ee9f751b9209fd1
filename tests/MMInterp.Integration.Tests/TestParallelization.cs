// Test classes run one at a time: each class's cluster fixture seeds torch's process-wide RNG and builds random
// models (manual_seed, then construction); a class doing the same in parallel changed those weights between runs,
// and with them the figures the experiment tests read.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
