;; v2_signature: exports verdict_predict_v2 with ABI v1's signature
;; (no stride) and no verdict_predict: refused at Compile.
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
  (func (export "verdict_predict_v2") (param i32 i32 i32 i32 i32) (result i32)
    (i32.const 0)))
