# Symbolizer test fixtures: small C programs with known types and lines, built with DWARF 4 and 5
# (included from tests/CMakeLists.txt after kdx_tests is defined).
set(KDX_SYM_DATA ${CMAKE_CURRENT_SOURCE_DIR}/data/symbols)
foreach(ver 4 5)
  add_executable(symbols_fixture_dwarf${ver} ${KDX_SYM_DATA}/fixture.c)
  # Fixed flags, independent of the build type and sanitizers: the tests compare exact layouts.
  set_target_properties(symbols_fixture_dwarf${ver} PROPERTIES
    COMPILE_OPTIONS "-gdwarf-${ver};-O2;-fno-omit-frame-pointer" LINK_OPTIONS "")
  add_library(symbols_fixture_module_dwarf${ver} OBJECT ${KDX_SYM_DATA}/fixture_module.c)
  set_target_properties(symbols_fixture_module_dwarf${ver} PROPERTIES
    COMPILE_OPTIONS "-gdwarf-${ver};-O2;-fno-pic" POSITION_INDEPENDENT_CODE OFF)
  add_dependencies(kdx_tests symbols_fixture_dwarf${ver} symbols_fixture_module_dwarf${ver})
endforeach()
target_compile_definitions(kdx_tests PRIVATE
  KDX_SYM_FIXTURE_DW4="$<TARGET_FILE:symbols_fixture_dwarf4>"
  KDX_SYM_FIXTURE_DW5="$<TARGET_FILE:symbols_fixture_dwarf5>"
  KDX_SYM_MODULE_DW4="$<TARGET_OBJECTS:symbols_fixture_module_dwarf4>"
  KDX_SYM_MODULE_DW5="$<TARGET_OBJECTS:symbols_fixture_module_dwarf5>"
  KDX_SYM_DATA_DIR="${KDX_SYM_DATA}")
