# Shared build settings for every cellfit target.

set(CELLFIT_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wno-unused-parameter -Wno-missing-field-initializers
    # Vector types cross no ABI boundary we do not build ourselves.
    -Wno-psabi)

# cellfit_target_defaults(<target>): warnings (errors under CELLFIT_WERROR).
function(cellfit_target_defaults target)
  target_compile_options(${target} PRIVATE ${CELLFIT_WARNINGS})
  if(CELLFIT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# cellfit_library(<name> SOURCES ... DEPS ...): one library target per folder.
function(cellfit_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  cellfit_target_defaults(${name})
endfunction()

# cellfit_test(<name> SOURCES ... DEPS ... [LABELS ...]): a GoogleTest executable
# registered with CTest, run from the build directory.
function(cellfit_test name)
  if(NOT CELLFIT_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  cellfit_target_defaults(${name})
  add_test(NAME ${name} COMMAND ${name})
  set(timeout 300)
  if(ARG_TIMEOUT)
    set(timeout ${ARG_TIMEOUT})
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${timeout}
    ENVIRONMENT "CELLFIT_SOURCE_DIR=${PROJECT_SOURCE_DIR};CELLFIT_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()
