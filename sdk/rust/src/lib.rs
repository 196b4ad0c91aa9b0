//! verdict is the Rust SDK for verdict participants: it implements the
//! guest ABI v1 (see the sandbox package's doc.go) so that a model is one
//! Rust function.
//!
//! It lives on the participant's side of the pipeline:
//!
//! ```text
//! your model.rs + verdict -> rustc --target wasm32-unknown-unknown -> model.wasm
//! -> verdict submit -> sandbox -> predictions -> score
//! ```
//!
//! The crate is `no_std` and needs no allocator: it targets
//! wasm32-unknown-unknown, so a model imports nothing and is a pure
//! function of its input. Write a function that fills a [`Batch`]'s
//! outputs and hand it to [`register!`], which defines the two exports:
//!
//! ```ignore
//! #![no_std]
//!
//! fn predict(b: &mut verdict::Batch) -> Result<(), i32> {
//!     for i in 0..b.rows() {
//!         let z = b.feature(0)[i];
//!         b.output(0)[i] = 1.0 / (1.0 + verdict::math::exp(-z));
//!     }
//!     Ok(())
//! }
//!
//! verdict::register!(predict);
//! ```
//!
//! Build the SDK once, then the model against it (Debian: `apt-get install
//! rustc libstd-rust-dev-wasm32 lld`; rustup: `rustup target add
//! wasm32-unknown-unknown`):
//!
//! ```text
//! rustc --edition 2021 --target wasm32-unknown-unknown --crate-type rlib --crate-name verdict \
//!     -C opt-level=2 -C panic=abort -o libverdict.rlib verdict/src/lib.rs
//! rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib \
//!     -C opt-level=2 -C panic=abort -C strip=symbols --extern verdict=libverdict.rlib \
//!     -o model.wasm model.rs
//! ```
//!
//! `verdict_alloc` grows memory by whole pages for each region the host
//! asks for (it asks twice per instance) and never frees them; regions
//! are 64 KiB-aligned. A predict function that returns `Err(code)` makes
//! `verdict_predict` return that code (a zero code becomes
//! [`CODE_ERROR`]), which the host reports as a guest error. A panic
//! traps (`unreachable`): the host reports a trap in `verdict_predict`.
//!
//! The crate never reads files, the clock or entropy (it imports nothing
//! at all): a model must be a pure function of each row.
#![no_std]

use core::cell::UnsafeCell;

/// `verdict_predict` returns this when the host's pointers or sizes do
/// not describe regions handed out by `verdict_alloc`.
pub const CODE_BAD_ARGUMENTS: i32 = 2;
/// `verdict_predict` returns this when the model returns `Err(0)`.
pub const CODE_ERROR: i32 = 3;

const PAGE: usize = 65536;

/// Regions holds the regions `verdict_alloc` handed out, as (start, end)
/// byte addresses: the host asks for two per instance (features and
/// outputs); more than eight are handed out but not recorded, so
/// `verdict_predict` refuses them.
struct Regions {
    list: UnsafeCell<[(usize, usize); 8]>,
    len: UnsafeCell<usize>,
}

// SAFETY: a wasm guest is single-threaded.
unsafe impl Sync for Regions {}

static REGIONS: Regions = Regions { list: UnsafeCell::new([(0, 0); 8]), len: UnsafeCell::new(0) };

/// Batch is one call of `verdict_predict`: `rows` rows of `cols` features
/// in, `outs` outputs per row out, both column-major `f64` as the ABI
/// lays them out. Missing feature values are NaN.
pub struct Batch<'a> {
    x: &'a [f64],
    y: &'a mut [f64],
    rows: usize,
    cols: usize,
    outs: usize,
}

impl<'a> Batch<'a> {
    /// Builds a batch over caller-owned buffers (for native tests of a
    /// model): `x.len()` must be `rows*cols` and `y.len()` `rows*outs`.
    pub fn new(x: &'a [f64], rows: usize, cols: usize, y: &'a mut [f64], outs: usize) -> Batch<'a> {
        assert!(x.len() == rows * cols && y.len() == rows * outs, "verdict: batch buffers of the wrong size");
        Batch { x, y, rows, cols, outs }
    }

    /// The number of rows in this batch (any number from 1 up).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of features per row, in the task's column order.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of outputs per row: 1 for binary (P(class 1)),
    /// regression and ranking; the number of classes for multiclass.
    pub fn outs(&self) -> usize {
        self.outs
    }

    /// Feature column `j`: feature `j` of row `i` is `feature(j)[i]`.
    pub fn feature(&self, j: usize) -> &[f64] {
        &self.x[j * self.rows..(j + 1) * self.rows]
    }

    /// Output column `k` for the model to fill: output `k` of row `i` is
    /// `output(k)[i]`. Every output must be finite.
    pub fn output(&mut self, k: usize) -> &mut [f64] {
        &mut self.y[k * self.rows..(k + 1) * self.rows]
    }
}

/// The signature of a model: fill every output of the batch, or return
/// an error code for the host to report.
pub type PredictFn = fn(&mut Batch) -> Result<(), i32>;

/// Defines the ABI's exports, `verdict_alloc` and `verdict_predict`,
/// around a [`PredictFn`]. Use it once, at the top level of the model
/// crate.
#[macro_export]
macro_rules! register {
    ($f:path) => {
        #[no_mangle]
        pub extern "C" fn verdict_alloc(size: i32) -> i32 {
            $crate::alloc(size)
        }

        #[no_mangle]
        pub extern "C" fn verdict_predict(x: i32, rows: i32, cols: i32, y: i32, outs: i32) -> i32 {
            $crate::predict($f, x, rows, cols, y, outs)
        }
    };
}

/// Implements `verdict_alloc`: grows memory by enough whole pages for
/// `size` bytes and returns the first page's address, or 0.
#[doc(hidden)]
pub fn alloc(size: i32) -> i32 {
    if size <= 0 {
        return 0;
    }
    let pages = (size as usize + PAGE - 1) / PAGE;
    let old = grow(pages);
    if old == usize::MAX {
        return 0;
    }
    let start = old * PAGE;
    // SAFETY: a wasm guest is single-threaded and no reference into
    // REGIONS outlives this block.
    unsafe {
        let (list, len) = (&mut *REGIONS.list.get(), &mut *REGIONS.len.get());
        if *len < list.len() {
            list[*len] = (start, start + pages * PAGE);
            *len += 1;
        }
    }
    start as i32
}

#[cfg(target_arch = "wasm32")]
fn grow(pages: usize) -> usize {
    core::arch::wasm32::memory_grow(0, pages)
}

#[cfg(not(target_arch = "wasm32"))]
fn grow(_pages: usize) -> usize {
    usize::MAX // natively, build a Batch with Batch::new instead
}

/// owned reports whether the `n` f64s from `p` lie in one region from
/// `alloc`.
fn owned(p: usize, n: usize) -> bool {
    let end = match n.checked_mul(8).and_then(|b| b.checked_add(p)) {
        Some(e) => e,
        None => return false,
    };
    // SAFETY: a wasm guest is single-threaded and alloc is not running.
    let (list, len) = unsafe { (&*REGIONS.list.get(), *REGIONS.len.get()) };
    list[..len].iter().any(|&(s, e)| p >= s && end <= e)
}

/// Implements `verdict_predict`: checks the host's arguments against the
/// regions handed out, then runs `f`.
#[doc(hidden)]
pub fn predict(f: PredictFn, x: i32, rows: i32, cols: i32, y: i32, outs: i32) -> i32 {
    if rows < 0 || cols < 0 || outs < 1 {
        return CODE_BAD_ARGUMENTS;
    }
    let (x, y) = (x as u32 as usize, y as u32 as usize);
    let (rows, cols, outs) = (rows as usize, cols as usize, outs as usize);
    let (nx, ny) = (rows * cols, rows * outs);
    if !owned(x, nx) || !owned(y, ny) {
        return CODE_BAD_ARGUMENTS;
    }
    // SAFETY: both ranges lie in regions this module handed out, which
    // nothing else uses; they do not overlap (distinct pages).
    let mut b = unsafe {
        Batch {
            x: core::slice::from_raw_parts(x as *const f64, nx),
            y: core::slice::from_raw_parts_mut(y as *mut f64, ny),
            rows,
            cols,
            outs,
        }
    };
    match f(&mut b) {
        Ok(()) => 0,
        Err(0) => CODE_ERROR,
        Err(code) => code,
    }
}

/// The math functions of a `no_std` crate's reach: `core` has no `exp`
/// or `ln` for `f64`, so these call the compiler's own libm (a port of
/// musl's, linked into every wasm32-unknown-unknown module), which gives
/// the same bits on every machine.
pub mod math {
    extern "C" {
        #[link_name = "exp"]
        fn c_exp(x: f64) -> f64;
        #[link_name = "expm1"]
        fn c_expm1(x: f64) -> f64;
        #[link_name = "log"]
        fn c_log(x: f64) -> f64;
        #[link_name = "sqrt"]
        fn c_sqrt(x: f64) -> f64;
    }

    /// e raised to `x`.
    pub fn exp(x: f64) -> f64 {
        // SAFETY: a pure function of its argument.
        unsafe { c_exp(x) }
    }

    /// e raised to `x`, minus 1, accurate near 0.
    pub fn expm1(x: f64) -> f64 {
        // SAFETY: a pure function of its argument.
        unsafe { c_expm1(x) }
    }

    /// The natural logarithm of `x`.
    pub fn ln(x: f64) -> f64 {
        // SAFETY: a pure function of its argument.
        unsafe { c_log(x) }
    }

    /// The square root of `x`.
    pub fn sqrt(x: f64) -> f64 {
        // SAFETY: a pure function of its argument.
        unsafe { c_sqrt(x) }
    }

    /// The logistic function 1/(1+e^-z), computed as 1/(2+expm1(-z)) like
    /// the Go examples, so both give the same bits.
    pub fn sigmoid(z: f64) -> f64 {
        1.0 / (2.0 + expm1(-z))
    }
}

/// A panic traps: the host reports it as a trap in `verdict_predict`.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
