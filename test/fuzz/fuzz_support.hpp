// Shared by the libFuzzer targets: the input as a file (the loaders read paths, includes are
// relative to them), and the rule that bad input may only ever end in vigil::Error.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace vigil::fuzz {

// One file per process, rewritten for every input: a private directory under /dev/shm (tmpfs,
// so the writes cost no disk) or TMPDIR.
inline const std::string& input_path(const char* name) {
    static const std::string path = [&] {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : base ? base : "/tmp") +
                           "/vigil-fuzz-XXXXXX";
        if (!mkdtemp(tmpl.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        return tmpl + "/" + name;
    }();
    return path;
}

inline const std::string& write_input(const char* name, const uint8_t* data, size_t size) {
    const std::string& path = input_path(name);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size) || close(fd) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
    return path;
}

}  // namespace vigil::fuzz
