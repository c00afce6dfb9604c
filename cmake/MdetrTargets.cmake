# Target helpers in the style of Abseil's absl_cc_library: one library per module with an alias
# mdetr::<name>, one test executable per suite, labels for CTest.
include(GoogleTest)

# Uses LibTorch from a target, sharing the one precompiled header.
function(mdetr_use_torch target)
  target_link_libraries(${target} PUBLIC mdetr::torch)
  target_precompile_headers(${target} REUSE_FROM mdetr_torch_pch)
endfunction()

# mdetr_library(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...] [TORCH])
function(mdetr_library name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(mdetr_${name} STATIC ${ARG_SOURCES})
  add_library(mdetr::${name} ALIAS mdetr_${name})
  target_include_directories(mdetr_${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(mdetr_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  if(ARG_TORCH)
    mdetr_use_torch(mdetr_${name})
  endif()
  mdetr_apply_flags(mdetr_${name})
endfunction()

# mdetr_executable(NAME SOURCES ... [DEPS ...] [TORCH])
function(mdetr_executable name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(ARG_TORCH)
    mdetr_use_torch(${name})
  endif()
  mdetr_apply_flags(${name})
endfunction()

# mdetr_test(NAME SOURCES ... [DEPS ...] [LABELS unit|integration|slow|gpu ...] [TORCH] [TIMEOUT s])
# Tests run from the source root so that relative paths such as ../shared/data work as documented.
function(mdetr_test name)
  cmake_parse_arguments(ARG "TORCH" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} mdetr_test_support GTest::gmock_main GTest::gmock GTest::gtest)
  if(ARG_TORCH)
    mdetr_use_torch(${name})
  endif()
  mdetr_apply_flags(${name})
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
               ENVIRONMENT "MDETR_BUILD_DIR=${PROJECT_BINARY_DIR};MDETR_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
