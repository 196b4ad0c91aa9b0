;; stdout_flood: verdict_predict writes 1 MiB of 'A' to stdout and a short
;; line to stderr through fd_write, then predicts 0.25 everywhere.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "stdout_flood: hello from stderr\n")
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
    (local $n i32)
    ;; 256 'A' bytes at 256..511; iovec {256, 256} at 0; nwritten at 16.
    (memory.fill (i32.const 256) (i32.const 65) (i32.const 256))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const 256))
    (local.set $n (i32.const 4096))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    ;; iovec {512, 32} at 32 -> stderr
    (i32.store (i32.const 32) (i32.const 512))
    (i32.store (i32.const 36) (i32.const 32))
    (drop (call $fd_write (i32.const 2) (i32.const 32) (i32.const 1) (i32.const 16)))
    (call $fill (local.get $y) (local.get $rows) (local.get $outs) (f64.const 0.25))
    (i32.const 0)))
