;; command_only: a WASI command (_start) without the reactor exports.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
