// libFuzzer target: `vigil import-oci` (JSON parse with its nesting guard, then the OCI ->
// TOML translation) and, when that succeeds, loading the TOML it wrote: import-oci's output
// must be a profile vigil reads (a vigil::Error there is reported as a bug too).
#include <cstdio>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "vigil/error.hpp"
#include "vigil/oci.hpp"
#include "vigil/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    std::string toml;
    try {
        toml = vigil::oci_to_toml(vigil::parse_oci_json(text, "fuzz.json"), "fuzz.json");
    } catch (const vigil::Error&) {
        return 0;
    }
    const std::string& path = vigil::fuzz::write_input(
        "imported.toml", reinterpret_cast<const uint8_t*>(toml.data()), toml.size());
    try {
        vigil::load_profile(path);
    } catch (const vigil::Error& e) {
        // A profile with nothing in it is refused on purpose; anything else is import-oci
        // writing TOML that vigil itself rejects.
        if (std::string(e.what()).find("empty profile") == std::string::npos) {
            std::fprintf(stderr, "import-oci wrote a profile vigil refuses:\n%s\n--- TOML:\n%s\n",
                         e.what(), toml.c_str());
            std::abort();
        }
    }
    return 0;
}
