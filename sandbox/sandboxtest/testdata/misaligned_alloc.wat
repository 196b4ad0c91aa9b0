;; misaligned_alloc: verdict_alloc returns an address that is not 8-byte aligned.
(module
  (memory (export "memory") 1)
  (func (export "verdict_alloc") (param i32) (result i32)
    (i32.const 1028))
  (func (export "verdict_predict") (param $x i32) (param $rows i32) (param $cols i32) (param $y i32) (param $outs i32) (result i32)
    (i32.const 0)))
