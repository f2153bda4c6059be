;; test_guestcrypto: an import of a module nobody offers, for the wasi hook's error.
(module
  (import "env" "secret_key" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
