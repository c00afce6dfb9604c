# Compiler flags shared by every project target. Third-party headers are included as system
# headers, so the strict warnings apply to our code only.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  message(STATUS "ccache: ${CCACHE_PROGRAM}")
endif()

set(MDETR_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough)
if(MDETR_WERROR)
  list(APPEND MDETR_WARNING_FLAGS -Werror)
endif()

set(MDETR_SANITIZER_FLAGS "")
if(MDETR_SANITIZE)
  set(MDETR_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Applies the project's warning and sanitizer flags to one of our own targets.
function(mdetr_apply_flags target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${MDETR_WARNING_FLAGS}>
    $<$<COMPILE_LANGUAGE:CXX>:${MDETR_SANITIZER_FLAGS}>)
endfunction()
