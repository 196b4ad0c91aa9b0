;; v2_scan: a Guest ABI v2 module that looks for what v2_marker leaves: it
;; grows memory to 80 pages (5 MiB), counts the 8-byte words of all of it
;; that hold v2_marker's marker 0x7e57ab1e5ec2e700 and writes the count to
;; every output. It predicts 0 unless memory of an earlier instance (of
;; v2_marker, another module) reached it.
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
  (func (export "verdict_predict_v2") (param $x i32) (param $rows i32) (param $cols i32) (param $stride i32)
      (param $y i32) (param $outs i32) (result i32)
    (local $p i32) (local $end i32) (local $found f64) (local $k i32) (local $i i32)
    ;; grow to 80 pages, count markers
    (if (i32.lt_u (memory.size) (i32.const 80))
      (then (drop (memory.grow (i32.sub (i32.const 80) (memory.size))))))
    (local.set $end (i32.shl (memory.size) (i32.const 16)))
    (local.set $p (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (if (i64.eq (i64.load (local.get $p)) (i64.const 0x7e57ab1e5ec2e700))
        (then (local.set $found (f64.add (local.get $found) (f64.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $next)))
    ;; the count to every output
    (block $kdone (loop $knext
      (br_if $kdone (i32.ge_s (local.get $k) (local.get $outs)))
      (local.set $i (i32.const 0))
      (block $idone (loop $inext
        (br_if $idone (i32.ge_s (local.get $i) (local.get $rows)))
        (f64.store (i32.add (local.get $y)
            (i32.shl (i32.add (i32.mul (local.get $k) (local.get $stride)) (local.get $i)) (i32.const 3)))
          (local.get $found))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $inext)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $knext)))
    (i32.const 0)))
