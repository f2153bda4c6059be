;; ccf_wasm_store_interrupt from a host function stops a running loop.
(module
  (import "env" "tick" (func $tick))
  (func (export "spin_after_tick") (call $tick) (loop (br 0)))
  (func (export "answer") (result i32) (i32.const 42)))
