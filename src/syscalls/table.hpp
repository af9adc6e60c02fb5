// Private to src/syscalls: the x86_64 system call table (table.cpp).
#pragma once

#include <vector>

namespace vigil::syscalls_detail {

struct TableEntry {
    int nr;
    const char* name;
};

// Every native x86_64 system call, in number order.
const std::vector<TableEntry>& x86_64_table();

}  // namespace vigil::syscalls_detail
