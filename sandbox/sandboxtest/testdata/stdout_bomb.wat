;; stdout_bomb: verdict_predict writes 100 MiB of 'B' to stdout through
;; fd_write (64 KiB at a time), then predicts 0.75 everywhere.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 3)
  ;; verdict_alloc: 8-byte-aligned bump allocator; grows memory on demand,
  ;; returns 0 when the size does not fit or memory.grow fails.
  (global $heap (mut i32) (i32.const 131072))
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
    (local $n i32)
    ;; 64 KiB of 'B' at 65536; iovec {65536, 65536} at 0; nwritten at 16.
    (memory.fill (i32.const 65536) (i32.const 66) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 65536))
    (local.set $n (i32.const 1600))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (call $fill (local.get $y) (local.get $rows) (local.get $outs) (f64.const 0.75))
    (i32.const 0)))
