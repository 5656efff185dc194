# Common flags for every gppsim target: strict warnings as errors, optional sanitizers.
function(gppsim_target_options target)
  # -Wrestrict stays a warning: GCC 12 reports false positives inside std::string at -O3.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
                         -Wshadow -Wnon-virtual-dtor -Wconversion -Wno-sign-conversion -Wno-error=restrict)
  if(GPPSIM_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                           -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# One library per folder of sim/: gppsim_library(NAME DEPS...) compiles every .cc in the folder
# (recursively) into gppsim_NAME, exposes the repository root as include root, and links only
# the listed dependencies, so an include outside the allowed graph fails to build.
function(gppsim_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set(root ${CMAKE_BINARY_DIR}/include_roots/${name})
  get_filename_component(parent ${root}/${rel} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  if(NOT EXISTS ${root}/${rel})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${root}/${rel} SYMBOLIC)
  endif()
  # Each library publishes an include root that holds only a link to its own folder
  # (root/sim/<name> -> source folder), so `#include "sim/<other>/x.h"` resolves only when
  # <other> is among the DEPS (directly or transitively). A folder without .cc files yet is a
  # header-only (INTERFACE) library.
  if(sources)
    add_library(gppsim_${name} STATIC ${sources})
    target_include_directories(gppsim_${name} PUBLIC $<BUILD_INTERFACE:${root}>)
    target_link_libraries(gppsim_${name} PUBLIC ${ARG_DEPS})
    gppsim_target_options(gppsim_${name})
  else()
    add_library(gppsim_${name} INTERFACE)
    target_include_directories(gppsim_${name} INTERFACE $<BUILD_INTERFACE:${root}>)
    target_link_libraries(gppsim_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(gppsim::${name} ALIAS gppsim_${name})
endfunction()
