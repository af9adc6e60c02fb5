// libFuzzer target: the profile loader (TOML, includes, groups, conditions, notify tables,
// deny-wins layering) and the filter compiler on what it accepts. Bad input must end in
// vigil::Error (what `vigil check` prints); any other exception, a crash or a sanitizer
// report is a bug.
#include "fuzz_support.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = vigil::fuzz::write_input("profile.toml", data, size);
    try {
        vigil::Profile p = vigil::load_profile(path);
        if (p.has_seccomp) {
            vigil::compile_filter(p);
            (void)vigil::overlapping_rules(p);
            uint64_t args[6] = {0, 0x5412, 0, 0, 0, 0};
            vigil::evaluate(p, 16 /* ioctl */, args);
        }
    } catch (const vigil::Error&) {
    }
    return 0;
}
