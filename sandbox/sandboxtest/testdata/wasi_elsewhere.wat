;; wasi_elsewhere: imports fd_write, a WASI function name with WASI's
;; signature, from "env" instead of wasi_snapshot_preview1. It must be
;; refused at validation (forbidden_import), not fail at instantiation.
(module
  (import "env" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "verdict_alloc") (param $size i32) (result i32)
    (i32.const 1024))
  (func (export "verdict_predict") (param $x i32) (param $rows i32) (param $cols i32) (param $y i32) (param $outs i32) (result i32)
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.const 0)))
