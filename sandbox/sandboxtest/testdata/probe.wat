;; probe: a model that picks rows by their features, as a participant probing
;; the held-out data would. For each row i and output k:
;;   y[k][i] = x[1][i]   if x[0][i] == 1 (the marked rows)
;;   y[k][i] = 1/outs    otherwise
;; so a test writes the marker in feature 0 and the value to output (1.5,
;; 1e300, ...) in feature 1. With fewer than 2 feature columns it predicts
;; 1/outs everywhere.
(module
  (memory (export "memory") 1)
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
    (local $i i32) (local $k i32) (local $v f64)
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $v (f64.div (f64.const 1) (f64.convert_i32_u (local.get $outs))))
      (if (i32.ge_u (local.get $cols) (i32.const 2))
        (then
          ;; marker x[0][i] at x + 8*i; payload x[1][i] at x + 8*(rows + i)
          (if (f64.eq (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))) (f64.const 1))
            (then
              (local.set $v (f64.load (i32.add (local.get $x)
                (i32.shl (i32.add (local.get $rows) (local.get $i)) (i32.const 3)))))))))
      (local.set $k (i32.const 0))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.ge_u (local.get $k) (local.get $outs)))
        (f64.store (i32.add (local.get $y)
            (i32.shl (i32.add (i32.mul (local.get $k) (local.get $rows)) (local.get $i)) (i32.const 3)))
          (local.get $v))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_k)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i)))
    (i32.const 0)))
