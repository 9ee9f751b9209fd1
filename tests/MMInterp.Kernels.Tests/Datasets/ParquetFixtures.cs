using Parquet;
using Parquet.Schema;

namespace MMInterp.Kernels.Tests.Datasets;

/// <summary>Writes parquet files as Hugging Face `datasets` does: image as a struct {bytes, path}, a text column, a
/// ClassLabel int64 column, and the features in the "huggingface" key-value metadata.</summary>
public static class ParquetFixtures
{
    public sealed record Row(byte[]? Image, string Path, string Text, long Label);

    public static async Task WriteAsync(string file, IReadOnlyList<Row> rows, IReadOnlyList<string> classNames, int rowGroupSize = 2)
    {
        var schema = new ParquetSchema(
            new StructField("image", new DataField("bytes", typeof(byte[]), true), new DataField("path", typeof(string), true)),
            new DataField("text", typeof(string), true),
            new DataField("label", typeof(long), true)); // HF (arrow) columns are nullable
        var leaves = schema.GetDataFields();
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using var stream = File.Create(file);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        var names = string.Join(", ", classNames.Select(n => $"\"{n}\""));
        writer.CustomMetadata = new Dictionary<string, string>
        {
            ["huggingface"] = "{\"info\": {\"features\": {\"image\": {\"_type\": \"Image\"}, \"text\": {\"dtype\": \"string\", \"_type\": \"Value\"}, "
                + "\"label\": {\"names\": [" + names + "], \"_type\": \"ClassLabel\"}}}}",
        };
        foreach (var chunk in rows.Chunk(rowGroupSize))
        {
            using var rg = writer.CreateRowGroup();
            await rg.WriteAsync(leaves[0], chunk.Select(r => r.Image!).ToList());
            await rg.WriteAsync(leaves[1], chunk.Select(r => r.Path).ToList());
            await rg.WriteAsync(leaves[2], chunk.Select(r => r.Text).ToList());
            await rg.WriteAsync<long>(leaves[3], chunk.Select(r => (long?)r.Label).ToArray().AsMemory());
        }
    }
}
