//! A verdict model: a logistic regression over the three features of
//! sample/rows.csv. Replace the weights (or the whole of predict) with your
//! own model; the SDK in verdict/ implements the rest of the guest ABI v1.
//!
//! Build it (see the Makefile): the SDK once, then the model against it,
//! both with `rustc --target wasm32-unknown-unknown`.
#![no_std]

/// WEIGHTS[j] multiplies feature j, in the task's column order.
const WEIGHTS: [f64; 3] = [0.8, -0.5, 0.3];
const BIAS: f64 = 0.1;

/// Error codes: the host reports any non-zero code as a guest error.
const ERR_COLUMNS: i32 = 2;
const ERR_OUTPUTS: i32 = 3;

/// Writes P(class 1) for every row of the batch; a missing feature is NaN
/// and contributes nothing.
fn predict(b: &mut verdict::Batch) -> Result<(), i32> {
    if b.cols() != WEIGHTS.len() {
        return Err(ERR_COLUMNS);
    }
    if b.outs() != 1 {
        return Err(ERR_OUTPUTS);
    }
    for i in 0..b.rows() {
        let mut z = BIAS;
        for (j, w) in WEIGHTS.iter().enumerate() {
            let v = b.feature(j)[i];
            if !v.is_nan() {
                z += w * v;
            }
        }
        b.output(0)[i] = 1.0 / (1.0 + verdict::math::exp(-z));
    }
    Ok(())
}

verdict::register!(predict);
