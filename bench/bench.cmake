# Benchmark programs, built with everything so they cannot rot; the bench/*.sh
# scripts run them (they are not tests).
add_executable(bench_fs ${CMAKE_SOURCE_DIR}/bench/bench_fs.c)
target_link_libraries(bench_fs PRIVATE mpi_ops)
