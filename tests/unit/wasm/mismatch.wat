;; Invalid on purpose (built with wat2wasm --no-check): the function's `end`,
;; at offset 0x1a of the binary, finds an i64 where the result is an i32.
(module (func (result i32) (i64.const 1)))
