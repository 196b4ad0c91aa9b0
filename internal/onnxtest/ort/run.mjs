// run.mjs runs an ONNX model in ONNX Runtime (onnxruntime-node, CPU) for
// verdict's reference tests (internal/onnxtest).
//
// Reads one JSON object from stdin: {"model": PATH, "rows": [[f64...]...],
// "repeat": N (optional)}; null in a row is NaN (a missing value), and
// 1e999/-1e999 are the infinities. The rows become the model's single input, a
// [rows, features] tensor of the input's declared element type (float32,
// float64, int64 or int32). Writes one JSON object to stdout:
// {"input": {name, type}, "outputs": {NAME: {"type", "dims", "data"}}},
// every output of the graph, data flattened in row-major order (int64 as
// numbers, non-finite floats as the strings "NaN", "Infinity",
// "-Infinity"). With repeat > 0 it runs the model that many more times on the
// same tensor and adds "seconds": the wall time of those runs (for
// benchmarks), measured here so that node's start-up is not counted.
import * as ort from 'onnxruntime-node';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const session = await ort.InferenceSession.create(req.model, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
});
if (session.inputNames.length !== 1) {
  throw new Error(`${req.model}: ${session.inputNames.length} inputs, want 1`);
}
const meta = session.inputMetadata[0];
const rows = req.rows;
const width = rows.length ? rows[0].length : 0;
const flat = rows.flat().map((v) => (v === null ? NaN : v));
if (rows.some((r) => r.length !== width)) {
  throw new Error(`rows of unequal length (the first has ${width} values)`);
}
let data;
switch (meta.type) {
  case 'float32': data = Float32Array.from(flat); break;
  case 'float64': data = Float64Array.from(flat); break;
  case 'int64': data = BigInt64Array.from(flat, (v) => BigInt(Math.trunc(v))); break;
  case 'int32': data = Int32Array.from(flat); break;
  default: throw new Error(`${req.model}: input ${meta.name} has type ${meta.type}, not a number tensor`);
}
const feeds = { [meta.name]: new ort.Tensor(meta.type, data, [rows.length, width]) };
const results = await session.run(feeds);

const out = { input: { name: meta.name, type: meta.type }, outputs: {} };
for (const name of session.outputNames) {
  const t = results[name];
  out.outputs[name] = {
    type: t.type,
    dims: t.dims.map(Number),
    data: Array.from(t.data, (v) => (typeof v === 'bigint' ? Number(v) : Number.isFinite(v) ? v : String(v))),
  };
}
const repeat = req.repeat | 0;
if (repeat > 0) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < repeat; i++) await session.run(feeds);
  out.seconds = Number(process.hrtime.bigint() - start) / 1e9;
}
process.stdout.write(JSON.stringify(out));
