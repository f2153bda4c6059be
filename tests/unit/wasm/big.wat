;; Eight pages: more than a store capped below that may instantiate.
(module (memory (export "mem") 8))
