;; v2_probe: a Guest ABI v2 module (verdict_predict_v2 only) that reports
;; the layout the host gave it: y[k][i] = stride + (x mod 4096) / 4096, so
;; a Run whose calls start on page-aligned columns predicts the stride, a
;; multiple of 512 rows no smaller than the rows of the call. It returns
;; code 7 when rows > stride.
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
  (func (export "verdict_predict_v2") (param $x i32) (param $rows i32) (param $cols i32) (param $stride i32)
      (param $y i32) (param $outs i32) (result i32)
    (local $k i32) (local $i i32) (local $v f64)
    (if (i32.gt_s (local.get $rows) (local.get $stride)) (then (return (i32.const 7))))
    (local.set $v (f64.add (f64.convert_i32_u (local.get $stride))
      (f64.div (f64.convert_i32_u (i32.and (local.get $x) (i32.const 4095))) (f64.const 4096))))
    (block $kdone (loop $knext
      (br_if $kdone (i32.ge_s (local.get $k) (local.get $outs)))
      (local.set $i (i32.const 0))
      (block $idone (loop $inext
        (br_if $idone (i32.ge_s (local.get $i) (local.get $rows)))
        (f64.store (i32.add (local.get $y)
            (i32.shl (i32.add (i32.mul (local.get $k) (local.get $stride)) (local.get $i)) (i32.const 3)))
          (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $inext)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $knext)))
    (i32.const 0)))
