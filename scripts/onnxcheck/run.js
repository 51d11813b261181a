// Runs an ONNX model in ONNX Runtime (CPU) and prints every output as JSON:
//
//   node run.js MODEL.onnx N,C,H,W NAME=FILE [NAME=FILE ...]
//
// Each FILE holds the input NAME as raw little-endian float32 values of the
// given shape (what cmd/siamese/export_test.go writes from Go). Prints
// {"outputs": {NAME: {"dims": [...], "data": [...]}}} on one line.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, shapeArg, ...pairs] = process.argv.slice(2);
  if (!model || !shapeArg || pairs.length === 0) {
    throw new Error('usage: node run.js MODEL.onnx N,C,H,W NAME=FILE [NAME=FILE ...]');
  }
  const dims = shapeArg.split(',').map(Number);
  const want = dims.reduce((a, b) => a * b, 1);
  const feeds = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const name = p.slice(0, eq);
    const file = p.slice(eq + 1);
    const buf = fs.readFileSync(file);
    if (buf.length !== want * 4) {
      throw new Error(`${file}: ${buf.length} bytes, want ${want * 4} for shape ${shapeArg}`);
    }
    // Copy into an aligned buffer: a Buffer from readFileSync may sit at an
    // odd offset of a shared pool.
    const data = new Float32Array(want);
    new Uint8Array(data.buffer).set(buf);
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const results = await session.run(feeds);
  const outputs = {};
  for (const name of session.outputNames) {
    outputs[name] = { dims: Array.from(results[name].dims), data: Array.from(results[name].data) };
  }
  process.stdout.write(JSON.stringify({ outputs }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`onnxcheck: ${err.message}\n`);
  process.exit(1);
});
