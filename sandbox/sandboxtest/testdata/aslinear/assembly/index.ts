// aslinear: the AssemblyScript twin of clinear.c, a linear model with 20
// weights: y[k][i] = B + sum_j W[j%20] * x[j][i] + k, summed column by
// column in feature order (bit-identical to sandboxtest.WeightedPredict).
// It imports nothing (the stub runtime, abort replaced), exports memory,
// verdict_alloc and verdict_predict; ../../build.sh builds it:
//
//	npm ci && npx asc assembly/index.ts --runtime stub -O3 --noAssert \
//	    --use abort=assembly/index/abort -o ../aslinear.wasm

const W: StaticArray<f64> = [
  0.5, -0.25, 0.125, 1.5, -2.0, 0.75, 0.0625, -0.5, 3.0, -1.25,
  0.375, -0.875, 2.5, -0.0625, 0.25, 1.125, -1.5, 0.625, -0.375, 1.0,
];
const B: f64 = 0.1;

// verdict_alloc returns size bytes from the bump allocator (the stub
// runtime never frees), or 0.
export function verdict_alloc(size: i32): i32 {
  if (size <= 0) return 0;
  return <i32>heap.alloc(<usize>((size + 7) & ~7));
}

export function verdict_predict(x: i32, rows: i32, cols: i32, y: i32, outs: i32): i32 {
  for (let i = 0; i < rows; i++) {
    store<f64>(y + (i << 3), B);
  }
  for (let j = 0; j < cols; j++) {
    const w = unchecked(W[j % 20]);
    const c = x + ((j * rows) << 3);
    for (let i = 0; i < rows; i++) {
      const p = y + (i << 3);
      store<f64>(p, load<f64>(p) + w * load<f64>(c + (i << 3)));
    }
  }
  for (let k = 1; k < outs; k++) {
    const yk = y + ((k * rows) << 3);
    for (let i = 0; i < rows; i++) {
      store<f64>(yk + (i << 3), load<f64>(y + (i << 3)) + <f64>k);
    }
  }
  return 0;
}

// abort replaces the default import env.abort, which the sandbox refuses.
function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  unreachable();
}
