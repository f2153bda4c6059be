;; v128 values through the embedding API and the frame layout (test_simd_*):
;; v128 takes two slots, so i32/v128 mixes in params, locals, results, calls,
;; host calls, blocks and branches must all land in the right place.
(module
  (import "env" "swap" (func $swap (param i32 v128 i32) (result v128 i32)))
  (global $g (export "g") (mut v128) (v128.const i32x4 10 20 30 40))
  ;; (a, v, b) -> (v + splat(a+b), a*b): params and results mixed
  (func $mix (export "mix") (param i32 v128 i32) (result v128 i32)
    (i32x4.add (local.get 1) (i32x4.splat (i32.add (local.get 0) (local.get 2))))
    (i32.mul (local.get 0) (local.get 2)))
  ;; calls $mix and the host, a block carrying (v128 i32), br_if out of it
  (func (export "chain") (param i32) (result v128 i32)
    (local v128 i32)
    (block (result v128 i32)
      (call $mix (i32.const 2) (global.get $g) (i32.const 3))
      (local.set 2)
      (local.set 1)
      (call $swap (local.get 2) (local.get 1) (local.get 0))
      (br_if 0 (local.get 0))
      (drop)
      (drop)
      (v128.const i64x2 -1 -1)
      (i32.const 99)))
  ;; select on v128, global.set, extract lanes
  (func (export "pick") (param i32) (result i32)
    (global.set $g (select (v128.const i32x4 1 2 3 4) (global.get $g) (local.get 0)))
    (i32.add (i32x4.extract_lane 0 (global.get $g)) (i32x4.extract_lane 3 (global.get $g)))))
