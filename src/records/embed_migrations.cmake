# Turns the versioned SQL files MIGRATION_FILES (names in MIGRATIONS_DIR,
# comma-separated: the build passes them so that a changed set changes the
# command and regenerates the header) into a C++ header OUT that holds them
# as string literals, so the binary carries its own schema.
# Run as: cmake -DMIGRATIONS_DIR=... -DMIGRATION_FILES=a.sql,b.sql -DOUT=...
#         -P embed_migrations.cmake
string(REPLACE "," ";" files "${MIGRATION_FILES}")
list(SORT files)
set(body "// Generated from src/records/migrations/*.sql by embed_migrations.cmake. Do not edit.\n")
string(APPEND body "#pragma once\n\n#include \"records/sqlite_migrations.h\"\n\n")
string(APPEND body "namespace custos::records {\n\ninline constexpr Migration kEmbeddedMigrations[] = {\n")
foreach(f ${files})
  if(NOT f MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file name must be NNNN_name.sql: ${f}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_1}_${CMAKE_MATCH_2}")
  file(READ ${MIGRATIONS_DIR}/${f} sql)
  if(sql MATCHES "\\)custos_sql\"")
    message(FATAL_ERROR "migration ${f} contains the raw-string delimiter")
  endif()
  string(APPEND body "    {${version}, \"${name}\", R\"custos_sql(${sql})custos_sql\"},\n")
endforeach()
string(APPEND body "};\n\n}  // namespace custos::records\n")
file(WRITE ${OUT} "${body}")
