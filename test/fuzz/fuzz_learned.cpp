// libFuzzer target: the [learned] table reader `vigil learn -p BASE` uses on a previous
// profile (src/learn/read_learned.cpp). Bad input must end in vigil::Error.
#include "fuzz_support.hpp"
#include "vigil/error.hpp"
#include "vigil/learn.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = vigil::fuzz::write_input("learned.toml", data, size);
    try {
        vigil::learn::read_learned(path);
    } catch (const vigil::Error&) {
    }
    return 0;
}
