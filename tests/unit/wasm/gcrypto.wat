;; test_guestcrypto: each ccfaas_crypto import behind an exported wrapper (a host
;; function sees the guest's memory only when guest code calls it).
(module
  (import "ccfaas_crypto" "keypair_create" (func $kc (param i32 i32) (result i32)))
  (import "ccfaas_crypto" "public_key_pem" (func $pk (param i32 i32 i32 i32 i32) (result i32)))
  (import "ccfaas_crypto" "key_unwrap" (func $ku (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "ccfaas_crypto" "stream_open" (func $so (param i32 i32 i32 i32 i32) (result i32)))
  (import "ccfaas_crypto" "stream_record"
    (func $sr (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "ccfaas_crypto" "stream_close" (func $sc (param i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "keypair_create") (param i32 i32) (result i32)
    local.get 0 local.get 1 call $kc)
  (func (export "public_key_pem") (param i32 i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 call $pk)
  (func (export "key_unwrap") (param i32 i32 i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5 call $ku)
  (func (export "stream_open") (param i32 i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 call $so)
  (func (export "stream_record") (param i32 i32 i32 i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5 local.get 6 call $sr)
  (func (export "stream_close") (param i32) (result i32)
    local.get 0 call $sc))
