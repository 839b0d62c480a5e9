# Bounded libFuzzer run for ctest: copies the seed corpus into a scratch
# directory (the fuzzer adds inputs there, never to the tree) and runs.
# -D FUZZER=<binary> -D SEEDS=<checked-in corpus> -D WORK=<scratch dir>
# Optional: -D RUNS=<n> (default 200000) -D SECONDS=<n> (default 30).
if(NOT RUNS)
	set(RUNS 200000)
endif()
if(NOT SECONDS)
	set(SECONDS 30)
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK})
execute_process(
	COMMAND ${FUZZER} -runs=${RUNS} -max_total_time=${SECONDS}
		-max_len=4096 -print_final_stats=1 ${WORK}
	RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "fuzzer failed (${rc})")
endif()
