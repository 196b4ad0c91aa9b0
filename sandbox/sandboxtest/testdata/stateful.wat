;; stateful: a model that is not a pure function of each row. It predicts
;; x[0][i] + calls, where calls counts verdict_predict calls so far, so its
;; outputs depend on the batch size and on the order rows arrive in.
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
  (global $calls (mut f64) (f64.const 0))
  (func (export "verdict_predict") (param $x i32) (param $rows i32) (param $cols i32) (param $y i32) (param $outs i32) (result i32)
    (local $i i32) (local $k i32)
    (global.set $calls (f64.add (global.get $calls) (f64.const 1)))
    (block $done_k (loop $next_k
      (br_if $done_k (i32.ge_u (local.get $k) (local.get $outs)))
      (local.set $i (i32.const 0))
      (block $done_i (loop $next_i
        (br_if $done_i (i32.ge_u (local.get $i) (local.get $rows)))
        (f64.store (i32.add (local.get $y)
            (i32.shl (i32.add (i32.mul (local.get $k) (local.get $rows)) (local.get $i)) (i32.const 3)))
          (f64.add (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))) (global.get $calls)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next_i)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next_k)))
    (i32.const 0)))
