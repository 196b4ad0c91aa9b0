;; wrong_outs: verdict_predict ignores outs and writes only output 0 (0.5),
;; as a binary model submitted to a multiclass task would.
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
  ;; $fill sets every y[k][i] to $v.
  (func $fill (param $y i32) (param $rows i32) (param $outs i32) (param $v f64)
    (local $n i32) (local $p i32)
    (local.set $n (i32.mul (local.get $rows) (local.get $outs)))
    (local.set $p (local.get $y))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (f64.store (local.get $p) (local.get $v))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next))))
  (func (export "verdict_predict") (param $x i32) (param $rows i32) (param $cols i32) (param $y i32) (param $outs i32) (result i32)
    (call $fill (local.get $y) (local.get $rows) (i32.const 1) (f64.const 0.5))
    (i32.const 0)))
