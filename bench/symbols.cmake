# ---- symbolizer (owner: symbols helper) ----
# symbols_bench: timing probe for kdx; bench/symbols_vs_peers.sh runs it against drgn and gdb.
add_executable(symbols_bench ${CMAKE_CURRENT_SOURCE_DIR}/symbols_bench.cpp)
target_link_libraries(symbols_bench PRIVATE kdxcore)
# ---- end symbolizer ----
