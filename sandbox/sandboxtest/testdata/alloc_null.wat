;; alloc_null: verdict_alloc always fails (returns 0).
(module
  (memory (export "memory") 1)
  (func (export "verdict_alloc") (param i32) (result i32)
    (i32.const 0))
  (func (export "verdict_predict") (param $x i32) (param $rows i32) (param $cols i32) (param $y i32) (param $outs i32) (result i32)
    (i32.const 0)))
