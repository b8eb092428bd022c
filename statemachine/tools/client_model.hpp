// The client table's Promela model (client_model.cpp), for export_table client-promela.
// Kept apart from export_table.cpp, the server's exports, to keep each file to one table.
// Depends on: nothing but the standard library.
#pragma once

#include <string_view>

/// Prints the client table's model (of a run-time copy changed by `mutation`, if any).
int client_promela(std::string_view mutation);
