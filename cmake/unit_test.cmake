# ipsecsh_unit_test(NAME SOURCES... LIBS ...): one cmocka executable per
# module under tests/unit, registered with ctest under the label "unit".
function(ipsecsh_unit_test name)
	cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
	add_executable(${name} ${T_SOURCES})
	target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
	target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
	add_test(NAME ${name} COMMAND ${name})
	set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()
