;; The translator's fused forms (load with an added address, f64 op with a
;; loaded operand, compare-and-branch, local.set retargeting, copies, lazy
;; local operands) must behave exactly like the unfused instructions.
(module
  (memory (export "mem") 1)
  (data (i32.const 0) "\01\02\03\04")
  (data (i32.const 65528) "\00\00\00\00\00\00\f0\3f")
  ;; i32.add feeding a load: the address wraps at 2^32 like the spec says
  (func (export "load_add_imm") (param i32) (result i32) (i32.load (i32.add (local.get 0) (i32.const 4))))
  (func (export "load_add") (param i32 i32) (result i32) (i32.load8_u offset=1 (i32.add (local.get 0) (local.get 1))))
  ;; f64 op with a loaded second operand (1.0 at 65528), and out of bounds
  (func (export "mul_load") (param f64 i32) (result f64) (f64.mul (local.get 0) (f64.load (local.get 1))))
  (func (export "sub_load") (param f64 i32) (result f64) (f64.sub (local.get 0) (f64.load (local.get 1))))
  ;; compare + branch, both directions; local.set retargeting; copies
  (func (export "count_lt") (param i32) (result i32) (local i32 i32)
    (block (loop
      (br_if 1 (i32.ge_s (local.get 1) (local.get 0)))
      (local.set 2 (i32.add (local.get 2) (local.get 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (local.get 2))
  (func (export "if_eqz") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 10)) (else (i32.const 20))))
  (func (export "if_lt_u") (param i32 i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 2))))
  (func (export "swap") (param i32 i32) (result i32 i32) (local i32)
    (local.set 2 (local.get 0)) (local.set 0 (local.get 1)) (local.set 1 (local.get 2))
    (local.get 0) (local.get 1))
  ;; a lazy local operand must keep its old value when the local changes
  (func (export "lazy") (param i32) (result i32)
    (local.get 0) (local.set 0 (i32.const 7)) (local.get 0) (i32.sub)))
