// A verdict model: a logistic regression over the three features of
// sample/rows.csv. Replace the weights (or the whole of verdict_predict)
// with your own model; keep the two exports and abort.
//
// The guest ABI v1 is two exports over the module's memory: the host asks
// verdict_alloc for a features buffer and an outputs buffer, writes
// rows×cols features column-major (feature j of row i at x + 8*(j*rows+i),
// missing values NaN), calls verdict_predict and reads rows×outs outputs
// the same way from y. Build it (see the Makefile):
//
//	npx asc assembly/index.ts --runtime stub -O3 --noAssert --use abort=assembly/index/abort -o model.wasm

// WEIGHTS[j] multiplies feature j, in the task's column order.
const WEIGHTS: StaticArray<f64> = [0.8, -0.5, 0.3];
const BIAS: f64 = 0.1;

// Error codes: the host reports any non-zero return as a guest error.
const ERR_COLUMNS: i32 = 2;
const ERR_OUTPUTS: i32 = 3;

// verdict_alloc returns size bytes, 8-byte aligned, from the stub
// runtime's bump allocator (which never frees), or 0.
export function verdict_alloc(size: i32): i32 {
  if (size <= 0) return 0;
  return <i32>heap.alloc(<usize>((size + 7) & ~7));
}

// verdict_predict writes P(class 1) for every row; a missing feature is
// NaN and contributes nothing.
export function verdict_predict(x: i32, rows: i32, cols: i32, y: i32, outs: i32): i32 {
  if (cols != WEIGHTS.length) return ERR_COLUMNS;
  if (outs != 1) return ERR_OUTPUTS;
  for (let i = 0; i < rows; i++) {
    let z = BIAS;
    for (let j = 0; j < cols; j++) {
      const v = load<f64>(x + ((j * rows + i) << 3));
      if (!isNaN(v)) z += unchecked(WEIGHTS[j]) * v;
    }
    store<f64>(y + (i << 3), 1 / (1 + Math.exp(-z)));
  }
  return 0;
}

// abort replaces the default import env.abort, which verdict refuses.
function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  unreachable();
}
