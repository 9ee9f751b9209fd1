// Test classes run one at a time. Fixtures seed torch's process-wide RNG (manual_seed in the zoo trainers) and then
// build and train models; another class drawing random numbers in between changes those weights, so a fixed-seed
// quality bar (diffusion steering, the feature study) failed now and then on an unchanged tree. One libtorch thread
// per test already leaves the second core mostly idle, so little time is lost.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
