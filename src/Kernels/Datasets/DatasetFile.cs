namespace MMInterp.Kernels.Datasets;

/// <summary>A file a dataset is made of: its path relative to the dataset's root ('/' separators) and where it is now.</summary>
public sealed record DatasetFile(string RelativePath, string FullPath);
