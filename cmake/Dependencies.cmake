# Third-party libraries other than LibTorch. All come from Debian packages that scripts/setup
# installs; a missing one stops the configure with the package to install.

macro(mdetr_require_package pkg debian)
  find_package(${pkg} ${ARGN} QUIET)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR "${pkg} not found. Install the Debian package '${debian}' (scripts/setup does this).")
  endif()
endmacro()

find_package(Threads REQUIRED)
mdetr_require_package(cppzmq cppzmq-dev)
mdetr_require_package(CapnProto "libcapnp-dev capnproto")
mdetr_require_package(RocksDB librocksdb-dev)
mdetr_require_package(yaml-cpp libyaml-cpp-dev)
mdetr_require_package(Boost libboost-dev 1.74 COMPONENTS system filesystem program_options)
mdetr_require_package(simdjson libsimdjson-dev)
mdetr_require_package(nlohmann_json nlohmann-json3-dev)
mdetr_require_package(fmt libfmt-dev)
mdetr_require_package(spdlog libspdlog-dev)
mdetr_require_package(CLI11 libcli11-dev)
mdetr_require_package(libjpeg-turbo libturbojpeg0-dev)
mdetr_require_package(PNG libpng-dev)
if(MDETR_BUILD_TESTS)
  mdetr_require_package(GTest "libgtest-dev libgmock-dev")
endif()
if(MDETR_BUILD_BENCH)
  mdetr_require_package(benchmark libbenchmark-dev)
endif()

# libsodium backs ZeroMQ's CURVE; keys are generated through zmq itself, so only check it is there.
find_library(SODIUM_LIBRARY sodium)
