//! A participant model written with the Rust SDK: the probability of
//! class 1 is a logistic function of the mean of the row's present
//! features (NaN is skipped); a row whose first feature is -1 returns
//! error code 42, one whose first feature is -2 panics, and a task with
//! more than one output gets code 2. ../build.sh builds it.
#![no_std]

fn predict(b: &mut verdict::Batch) -> Result<(), i32> {
    if b.outs() != 1 {
        return Err(2);
    }
    for i in 0..b.rows() {
        let (mut s, mut n) = (0.0, 0.0);
        for j in 0..b.cols() {
            let v = b.feature(j)[i];
            if j == 0 && v == -1.0 {
                return Err(42);
            }
            if j == 0 && v == -2.0 {
                panic!("feature 0 is -2");
            }
            if !v.is_nan() {
                s += v;
                n += 1.0;
            }
        }
        let m = if n > 0.0 { s / n } else { 0.0 };
        b.output(0)[i] = 1.0 / (1.0 + verdict::math::exp(-m));
    }
    Ok(())
}

verdict::register!(predict);
