# Building C programs for wasm32-wasi with clang + wasi-libc (Debian: clang, lld, wasi-libc,
# libclang-rt-14-dev-wasm32). Used by tests/guest and examples/.
#
#   ccf_wasi_detect()  sets CCF_WASI_OK (TRUE/FALSE) and CCF_WASI_WHY (why not), once
#   ccf_wasi_executable(NAME SOURCES... [DEPENDS files...])
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
  cmake_parse_arguments(PARSE_ARGV 1 A "" "" "DEPENDS")
  set(srcs)
  foreach(s ${A_UNPARSED_ARGUMENTS})
    get_filename_component(abs ${s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND srcs ${abs})
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CCF_WASI_CLANG} --target=wasm32-wasi --sysroot=${CCF_WASI_SYSROOT}
            -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -o ${out} ${srcs}
    DEPENDS ${srcs} ${A_DEPENDS}
    COMMENT "Building wasm32-wasi guest ${name}.wasm"
    VERBATIM)
  add_custom_target(wasi-guest-${name} ALL DEPENDS ${out})
endfunction()
