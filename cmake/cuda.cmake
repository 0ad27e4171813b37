# The CUDA backend (src/backend/cuda): IMPETUS_CUDA=AUTO builds it when nvcc is
# found (also at /usr/local/cuda/bin/nvcc when it is not on the PATH), ON
# requires it, OFF skips it. Sets IMPETUS_HAVE_CUDA for src/CMakeLists.txt,
# which then adds src/backend/cuda (the library impetus_backend_cuda, linked
# into the impetus binary). GPU code is built for CMAKE_CUDA_ARCHITECTURES,
# by default Ampere (sm_80) and Hopper (sm_90, plus its PTX for later GPUs).
set(IMPETUS_CUDA "AUTO" CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON, OFF")
set_property(CACHE IMPETUS_CUDA PROPERTY STRINGS AUTO ON OFF)

set(IMPETUS_HAVE_CUDA OFF)
if(NOT IMPETUS_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "CUDA compiler")
  endif()
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "80-real;90" CACHE STRING "GPU architectures of the CUDA backend")
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    # CMake before 3.26 does not know nvcc's C++20 flag; the CUDA sources use C++20.
    if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    find_package(CUDAToolkit)
    if(CUDAToolkit_FOUND AND TARGET CUDA::cublas)
      set(IMPETUS_HAVE_CUDA ON)
    endif()
  endif()
  if(IMPETUS_CUDA STREQUAL "ON" AND NOT IMPETUS_HAVE_CUDA)
    message(FATAL_ERROR "IMPETUS_CUDA=ON but no usable CUDA toolkit (nvcc, cudart, cuBLAS) was found")
  endif()
endif()
message(STATUS "Impetus CUDA backend: ${IMPETUS_HAVE_CUDA}")
