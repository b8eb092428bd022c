# The ABNF -> X3 generator (included by grammar/CMakeLists.txt): builds smtpd_abnfgen, runs it
# on each grammar spec, and adds the generated translation units to smtpd_grammar. The output
# stays in the build tree (build/.../grammar/gen/<variant>/).
file(GLOB SMTPD_ABNFGEN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/gen/*.cpp)
list(REMOVE_ITEM SMTPD_ABNFGEN_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/gen/main.cpp)
add_library(smtpd_abnfgen_lib STATIC ${SMTPD_ABNFGEN_SOURCES})
target_include_directories(smtpd_abnfgen_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(smtpd_abnfgen_lib PUBLIC smtpd_abnf)
add_executable(smtpd_abnfgen ${CMAKE_CURRENT_SOURCE_DIR}/gen/main.cpp)
target_link_libraries(smtpd_abnfgen PRIVATE smtpd_abnfgen_lib)

file(GLOB SMTPD_ABNF_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/abnf/*.abnf)
file(GLOB SMTPD_OVERRIDE_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/overrides/*)
set(SMTPD_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/gen)
foreach(variant ascii utf8)
  set(out ${SMTPD_GEN_DIR}/${variant})
  add_custom_command(
    OUTPUT ${out}/rules.hpp ${out}/rules_def.hpp ${out}/rules.cpp
    COMMAND smtpd_abnfgen --spec ${CMAKE_CURRENT_SOURCE_DIR}/gen/${variant}.spec
            --abnf-dir ${CMAKE_CURRENT_SOURCE_DIR}/abnf
            --overrides ${CMAKE_CURRENT_SOURCE_DIR}/overrides --out ${SMTPD_GEN_DIR}
    # The outputs are rewritten only when their text changes; touch them so the rule is done.
    COMMAND ${CMAKE_COMMAND} -E touch ${out}/rules.hpp ${out}/rules_def.hpp ${out}/rules.cpp
    DEPENDS smtpd_abnfgen ${CMAKE_CURRENT_SOURCE_DIR}/gen/${variant}.spec ${SMTPD_ABNF_FILES}
            ${SMTPD_OVERRIDE_FILES}
    COMMENT "smtpd_abnfgen: generating the ${variant} grammar"
    VERBATIM)
  target_sources(smtpd_grammar PRIVATE ${out}/rules.cpp)
endforeach()
target_include_directories(smtpd_grammar PUBLIC ${SMTPD_GEN_DIR})
