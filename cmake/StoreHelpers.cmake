# store_embed_sql(<target> <dir>): compiles every <dir>/NNNN_*.sql into
# <target> as a sorted list of store::pg::Migration (see libs/pg/migrate.h),
# exposed by the generated function named <fn>. The binary is then
# self-contained: migrations run from the image, no files to ship.
function(store_embed_migrations target dir fn)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  # The files are read here, at configure time: an edited one re-runs it.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sql_files})
  set(body "")
  foreach(f ${sql_files})
    get_filename_component(name ${f} NAME)
    file(READ ${f} text)
    set(body "${body}      {\"${name}\", R\"__sql__(${text})__sql__\"},\n")
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${fn}_migrations.cc)
  file(WRITE ${out}.tmp "// Generated from ${dir} by store_embed_migrations.\n#include \"libs/pg/migrate.h\"\n\nnamespace store {\n\nconst std::vector<pg::Migration>& ${fn}() {\n  static const auto* const kMigrations = new std::vector<pg::Migration>{\n${body}  };\n  return *kMigrations;\n}\n\n}  // namespace store\n")
  configure_file(${out}.tmp ${out} COPYONLY)
  target_sources(${target} PRIVATE ${out})
endfunction()

# store_gtest(<name> SOURCES ... LIBS ... [LABELS ...]): a GoogleTest binary
# whose tests are discovered into ctest one by one.
function(store_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
endfunction()

# store_fuzzer(<name> SOURCES ... LIBS ... [CORPUS dir]): a libFuzzer binary
# (<name> must end in _fuzz), built by the target `fuzzers` and run by
# `tools/dev fuzz`. Only with STORE_FUZZ=ON (cmake --preset fuzz, clang);
# otherwise it does nothing, so the g++ build is unaffected. CORPUS is a seed
# directory (relative to the current source dir); its absolute path is recorded
# in <bin>/<name>.corpus for the runner, which fuzzes a temporary copy of it.
function(store_fuzzer name)
  if(NOT STORE_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(NOT name MATCHES "_fuzz$")
    message(FATAL_ERROR "store_fuzzer(${name}): the name must end in _fuzz")
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  add_dependencies(fuzzers ${name})
  set(corpus_file ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/${name}.corpus)
  if(ARG_CORPUS)
    get_filename_component(corpus ${ARG_CORPUS} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT IS_DIRECTORY ${corpus})
      message(FATAL_ERROR "store_fuzzer(${name}): CORPUS ${corpus} is not a directory")
    endif()
    file(WRITE ${corpus_file} "${corpus}\n")
  else()
    file(REMOVE ${corpus_file})
  endif()
endfunction()
