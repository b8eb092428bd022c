# Runs EXPORTER and fails unless its output equals the file EXPECTED (generated docs are current).
execute_process(COMMAND ${EXPORTER} OUTPUT_VARIABLE actual RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXPORTER} failed: ${rc}")
endif()
file(READ ${EXPECTED} expected)
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "${EXPECTED} is stale: regenerate it with ${EXPORTER} > ${EXPECTED}")
endif()
