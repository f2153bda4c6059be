# Building C programs for wasm32-wasi with clang + wasi-libc (Debian: clang, lld, wasi-libc,
# libclang-rt-14-dev-wasm32). Used by tests/guest and examples/.
#
#   ccf_wasi_detect()  sets CCF_WASI_OK (TRUE/FALSE) and CCF_WASI_WHY (why not), once
#   ccf_wasi_executable(NAME SOURCES... [DEPENDS files...] [DEFINES MACRO[=VALUE]...])
#       builds ${CMAKE_CURRENT_BINARY_DIR}/NAME.wasm at build time (target wasi-guest-NAME, in ALL)
#
# CCF_WASI_CLANG (default: clang found on PATH) and CCF_WASI_SYSROOT (default /usr, where
# Debian's wasi-libc lives; a wasi-sdk sysroot works too) may be set on the cmake command line.
include_guard(GLOBAL)

function(ccf_wasi_detect)
  # once per configure run; a failed probe is retried on the next run (packages installed since)
  get_property(done GLOBAL PROPERTY CCF_WASI_DETECTED)
  if(done OR CCF_WASI_OK)
    return()
  endif()
  set_property(GLOBAL PROPERTY CCF_WASI_DETECTED TRUE)
  find_program(CCF_WASI_CLANG NAMES clang clang-16 clang-15 clang-14
               DOC "clang used to build wasm32-wasi guest programs")
  set(CCF_WASI_SYSROOT "/usr" CACHE PATH "wasi-libc sysroot for wasm32-wasi guests")
  set(ok FALSE)
  set(why "")
  if(NOT CCF_WASI_CLANG)
    set(why "clang not found (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)")
  else()
    set(dir ${CMAKE_BINARY_DIR}/CMakeFiles/ccf-wasi-probe)
    file(MAKE_DIRECTORY ${dir})
    file(WRITE ${dir}/probe.c "#include <stdio.h>\nint main(void){puts(\"probe\");return 0;}\n")
    execute_process(
      COMMAND ${CCF_WASI_CLANG} --target=wasm32-wasi --sysroot=${CCF_WASI_SYSROOT} -O2
              -o ${dir}/probe.wasm ${dir}/probe.c
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(rc EQUAL 0 AND EXISTS ${dir}/probe.wasm)
      set(ok TRUE)
    else()
      string(REGEX REPLACE "\n.*" "" err1 "${err}")
      set(why "${CCF_WASI_CLANG} --target=wasm32-wasi --sysroot=${CCF_WASI_SYSROOT} cannot build a program (${err1}); Debian: apt-get install lld wasi-libc libclang-rt-14-dev-wasm32")
    endif()
  endif()
  set(CCF_WASI_OK ${ok} CACHE INTERNAL "wasm32-wasi guest programs can be built")
  set(CCF_WASI_WHY "${why}" CACHE INTERNAL "why wasm32-wasi guests cannot be built")
  if(ok)
    message(STATUS "wasm32-wasi guests: ${CCF_WASI_CLANG}, sysroot ${CCF_WASI_SYSROOT}")
  else()
    message(STATUS "wasm32-wasi guests: disabled, their tests will skip: ${why}")
  endif()
endfunction()

function(ccf_wasi_executable name)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "" "DEPENDS;DEFINES")
  set(srcs)
  foreach(s ${A_UNPARSED_ARGUMENTS})
    get_filename_component(abs ${s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND srcs ${abs})
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  list(TRANSFORM A_DEFINES PREPEND -D)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CCF_WASI_CLANG} --target=wasm32-wasi --sysroot=${CCF_WASI_SYSROOT}
            -O2 -std=c11 -D_DEFAULT_SOURCE ${A_DEFINES} -I${CMAKE_SOURCE_DIR}/src/guestcrypto
            -Wall -Wextra -Werror -o ${out} ${srcs}
    DEPENDS ${srcs} ${A_DEPENDS}
    COMMENT "Building wasm32-wasi guest ${name}.wasm"
    VERBATIM)
  add_custom_target(wasi-guest-${name} ALL DEPENDS ${out})
endfunction()

# Rust guests (Debian: rustc, libstd-rust-dev-wasm32). Used by tests/guest.
#
#   ccf_rust_detect()  sets CCF_RUST_OK (TRUE/FALSE), CCF_RUST_WHY (why not), CCF_RUSTC and
#                      CCF_RUST_TARGET (wasm32-wasi, or wasm32-wasip1 for rustc >= 1.78), once
#   ccf_rust_guest(NAME SOURCE)
#       builds ${CMAKE_CURRENT_BINARY_DIR}/NAME.wasm and the native NATIVEDIR/NAME from the same
#       source at build time (target rust-guest-NAME, in ALL)
#
# Debian's /usr/bin/rustc is tried first (a rustup rustc earlier on PATH often lacks the
# wasm target); CCF_RUSTC may be set on the cmake command line.
function(ccf_rust_detect)
  get_property(done GLOBAL PROPERTY CCF_RUST_DETECTED)
  if(done OR CCF_RUST_OK)
    return()
  endif()
  set_property(GLOBAL PROPERTY CCF_RUST_DETECTED TRUE)
  set(candidates)
  if(CCF_RUSTC)
    list(APPEND candidates ${CCF_RUSTC})
  endif()
  if(EXISTS /usr/bin/rustc)
    list(APPEND candidates /usr/bin/rustc)
  endif()
  find_program(rustc_on_path NAMES rustc)
  if(rustc_on_path)
    list(APPEND candidates ${rustc_on_path})
  endif()
  set(ok FALSE)
  set(why "no rustc (Debian: apt-get install rustc libstd-rust-dev-wasm32)")
  set(dir ${CMAKE_BINARY_DIR}/CMakeFiles/ccf-rust-probe)
  file(MAKE_DIRECTORY ${dir})
  file(WRITE ${dir}/probe.rs "fn main() { println!(\"probe\"); }\n")
  foreach(rc ${candidates})
    foreach(target wasm32-wasi wasm32-wasip1)
      if(NOT ok)
        execute_process(
          COMMAND ${rc} --edition 2021 --target ${target} -o ${dir}/probe.wasm ${dir}/probe.rs
          RESULT_VARIABLE res OUTPUT_QUIET ERROR_VARIABLE err)
        if(res EQUAL 0 AND EXISTS ${dir}/probe.wasm)
          set(ok TRUE)
          set(CCF_RUSTC ${rc} CACHE FILEPATH "rustc used to build the Rust guest programs" FORCE)
          set(CCF_RUST_TARGET ${target} CACHE INTERNAL "the Rust WASI target")
          set(why "")
        else()
          string(REGEX REPLACE "\n.*" "" err1 "${err}")
          set(why "${rc} --target ${target} cannot build a program (${err1}); Debian: apt-get install rustc libstd-rust-dev-wasm32")
        endif()
      endif()
    endforeach()
  endforeach()
  set(CCF_RUST_OK ${ok} CACHE INTERNAL "Rust guest programs can be built")
  set(CCF_RUST_WHY "${why}" CACHE INTERNAL "why Rust guests cannot be built")
  if(ok)
    message(STATUS "Rust guests: ${CCF_RUSTC}, target ${CCF_RUST_TARGET}")
  else()
    message(STATUS "Rust guests: disabled, their tests will skip: ${why}")
  endif()
endfunction()

function(ccf_rust_guest name src nativedir)
  get_filename_component(abs ${src} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  add_custom_command(OUTPUT ${out} ${nativedir}/${name}
    COMMAND ${CCF_RUSTC} --edition 2021 -O --target ${CCF_RUST_TARGET} -C strip=debuginfo
            -o ${out} ${abs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${nativedir}
    COMMAND ${CCF_RUSTC} --edition 2021 -O -o ${nativedir}/${name} ${abs}
    DEPENDS ${abs}
    COMMENT "Building Rust guest ${name} (${CCF_RUST_TARGET} and native)"
    VERBATIM)
  add_custom_target(rust-guest-${name} ALL DEPENDS ${out} ${nativedir}/${name})
endfunction()
