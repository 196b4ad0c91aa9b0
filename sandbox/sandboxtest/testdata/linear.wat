;; linear: a good model. y[k][i] = mean_j(x[j][i]) + k, for any cols and outs.
;; The host test computes the same sums in the same order, so results are
;; bit-identical.
(module
  (memory (export "memory") 1)
  ;; verdict_alloc: 8-byte-aligned bump allocator; grows memory on demand,
  ;; returns 0 when the size does not fit or memory.grow fails.
  (global $heap (mut i32) (i32.const 1024))
  (func $alloc (export "verdict_alloc") (param $size i32) (result i32)
    (local $p i32) (local $end i64) (local $pages i64)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i64.add (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $size))))
    (if (i64.gt_u (local.get $end) (i64.const 0xffffffff)) (then (return (i32.const 0))))
    (local.set $pages (i64.shr_u (i64.add (local.get $end) (i64.const 0xffff)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i32.eq (memory.grow (i32.wrap_i64 (i64.sub (local.get $pages) (i64.extend_i32_u (memory.size))))) (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (i32.wrap_i64 (local.get $end)))
    (local.get $p))
  (func (export "verdict_predict") (param $x i32) (param $rows i32) (param $cols i32) (param $y i32) (param $outs i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $sum f64) (local $mean f64)
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $sum (f64.const 0))
      (local.set $j (i32.const 0))
      (block $done_j (loop $next_j
        (br_if $done_j (i32.ge_u (local.get $j) (local.get $cols)))
        ;; x + 8*(j*rows + i)
        (local.set $sum (f64.add (local.get $sum)
          (f64.load (i32.add (local.get $x)
            (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 3))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next_j)))
      (local.set $mean (f64.div (local.get $sum) (f64.convert_i32_u (local.get $cols))))
      (local.set $k (i32.const 0))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.ge_u (local.get $k) (local.get $outs)))
        ;; y + 8*(k*rows + i)
        (f64.store (i32.add (local.get $y)
            (i32.shl (i32.add (i32.mul (local.get $k) (local.get $rows)) (local.get $i)) (i32.const 3)))
          (f64.add (local.get $mean) (f64.convert_i32_u (local.get $k))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_k)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i)))
    (i32.const 0)))
