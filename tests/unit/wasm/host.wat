;; Host functions called from wasm, and a host function writing the caller's
;; memory (test_host_*).
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "fill" (func $fill (param i32 i32)))
  (memory (export "mem") 1)
  (func (export "call_add") (param i32 i32) (result i32)
    (call $add (local.get 0) (local.get 1)))
  (func (export "fill_and_sum") (param i32 i32) (result i32) (local i32 i32)
    (call $fill (local.get 0) (local.get 1))
    (block (loop
      (br_if 1 (i32.ge_u (local.get 2) (local.get 1)))
      (local.set 3 (i32.add (local.get 3) (i32.load8_u (i32.add (local.get 0) (local.get 2)))))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br 0)))
    (local.get 3)))
