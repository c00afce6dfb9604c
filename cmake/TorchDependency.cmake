# LibTorch from the PyPI torch wheel in the project's virtual environment.
#
# With MDETR_CUDA=ON the wheel's own CMake package is used (it needs the CUDA toolkit, found here
# even without a GPU). With MDETR_CUDA=OFF an imported target over libtorch_cpu/libc10 is built by
# hand, so a machine without the toolkit can still build and run everything on CPU.
# Either way every consumer links the single interface target mdetr::torch.

set(MDETR_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python of the virtual environment that holds the torch wheel")

find_path(MDETR_TORCH_CMAKE_DIR Torch/TorchConfig.cmake)
if(NOT MDETR_TORCH_CMAKE_DIR AND EXISTS "${MDETR_PYTHON}")
  execute_process(
    COMMAND "${MDETR_PYTHON}" -c "import torch; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _torch_rc)
  if(_torch_rc EQUAL 0)
    set(MDETR_TORCH_CMAKE_DIR "${_torch_prefix}" CACHE PATH "torch.utils.cmake_prefix_path" FORCE)
  endif()
endif()
if(NOT MDETR_TORCH_CMAKE_DIR)
  message(FATAL_ERROR
    "LibTorch not found. Run scripts/setup (it installs the pinned torch wheel into .venv), or pass "
    "-DCMAKE_PREFIX_PATH=$(python -c 'import torch; print(torch.utils.cmake_prefix_path)').")
endif()
get_filename_component(MDETR_TORCH_ROOT "${MDETR_TORCH_CMAKE_DIR}/../.." ABSOLUTE)

add_library(mdetr_torch INTERFACE)
add_library(mdetr::torch ALIAS mdetr_torch)

if(MDETR_CUDA)
  list(APPEND CMAKE_PREFIX_PATH "${MDETR_TORCH_CMAKE_DIR}")
  find_package(CUDAToolkit REQUIRED)
  # Torch's CMake reads its own arch list (and warns about CMAKE_CUDA_ARCHITECTURES); H100/H200.
  if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
    set(ENV{TORCH_CUDA_ARCH_LIST} "9.0")
  endif()
  set(_mdetr_cuda_archs ${CMAKE_CUDA_ARCHITECTURES})
  unset(CMAKE_CUDA_ARCHITECTURES)
  find_package(Torch REQUIRED)
  set(CMAKE_CUDA_ARCHITECTURES ${_mdetr_cuda_archs})
  # NCCL and cuDNN ship with the toolkit on our machines. Torch loads its own NCCL (same 2.28 line)
  # from the nvidia-nccl wheel; we talk to NCCL only through c10d, so we check for the toolkit copy
  # but never link it (two NCCLs in one process break communicator setup).
  find_path(MDETR_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(MDETR_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
  find_library(MDETR_CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR})
  if(NOT MDETR_NCCL_INCLUDE_DIR OR NOT MDETR_NCCL_LIBRARY)
    message(FATAL_ERROR "NCCL not found next to the CUDA toolkit (${CUDAToolkit_LIBRARY_DIR}). "
                        "Install NCCL for CUDA ${CUDAToolkit_VERSION}, or configure with -DMDETR_CUDA=OFF.")
  endif()
  if(NOT MDETR_CUDNN_LIBRARY)
    message(FATAL_ERROR "cuDNN not found next to the CUDA toolkit (${CUDAToolkit_LIBRARY_DIR}). "
                        "Install cuDNN 9 for CUDA ${CUDAToolkit_VERSION}, or configure with -DMDETR_CUDA=OFF.")
  endif()
  message(STATUS "CUDA ${CUDAToolkit_VERSION}; NCCL ${MDETR_NCCL_LIBRARY}; cuDNN ${MDETR_CUDNN_LIBRARY}")
  target_link_libraries(mdetr_torch INTERFACE ${TORCH_LIBRARIES} CUDA::cudart)
  target_compile_definitions(mdetr_torch INTERFACE MDETR_HAS_CUDA=1)
else()
  add_library(mdetr_torch_cpu SHARED IMPORTED)
  set_target_properties(mdetr_torch_cpu PROPERTIES IMPORTED_LOCATION "${MDETR_TORCH_ROOT}/lib/libtorch_cpu.so")
  add_library(mdetr_c10 SHARED IMPORTED)
  set_target_properties(mdetr_c10 PROPERTIES IMPORTED_LOCATION "${MDETR_TORCH_ROOT}/lib/libc10.so")
  target_include_directories(mdetr_torch SYSTEM INTERFACE
    "${MDETR_TORCH_ROOT}/include" "${MDETR_TORCH_ROOT}/include/torch/csrc/api/include")
  target_compile_definitions(mdetr_torch INTERFACE USE_DISTRIBUTED USE_C10D_GLOO)
  target_link_libraries(mdetr_torch INTERFACE mdetr_torch_cpu mdetr_c10)
  target_compile_definitions(mdetr_torch INTERFACE MDETR_HAS_CUDA=0)
  message(STATUS "LibTorch (CPU only): ${MDETR_TORCH_ROOT}")
endif()

# One precompiled header for every torch-using target of ours: the torch headers are most of the
# compile time of each such file.
add_library(mdetr_torch_pch STATIC "${PROJECT_SOURCE_DIR}/cmake/torch_pch.cc")
target_link_libraries(mdetr_torch_pch PUBLIC mdetr::torch)
target_precompile_headers(mdetr_torch_pch PUBLIC <torch/torch.h>)
mdetr_apply_flags(mdetr_torch_pch)
