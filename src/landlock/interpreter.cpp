// Which other file the kernel executes to run a program: Landlock checks its execute right on
// the ELF interpreter (the dynamic loader) and on a script's interpreter as well.
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>

#include "vigil/landlock.hpp"

namespace vigil {

namespace {

std::optional<std::string> resolved(const std::string& path) {
    char* real = realpath(path.c_str(), nullptr);
    if (!real) return std::nullopt;
    std::string out = real;
    free(real);
    return out;
}

std::optional<std::string> elf_interp(int fd) {
    Elf64_Ehdr eh{};
    if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
        return std::nullopt;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        off_t at = static_cast<off_t>(eh.e_phoff + i * sizeof ph);
        if (pread(fd, &ph, sizeof ph, at) != sizeof ph) return std::nullopt;
        if (ph.p_type != PT_INTERP) continue;
        if (ph.p_filesz == 0 || ph.p_filesz > 4096) return std::nullopt;
        std::string interp(ph.p_filesz, '\0');
        if (pread(fd, interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) != static_cast<ssize_t>(interp.size()))
            return std::nullopt;
        interp.resize(std::strlen(interp.c_str()));
        return interp;
    }
    return std::nullopt;  // static
}

std::optional<std::string> shebang(int fd) {
    char buf[256] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n < 3 || buf[0] != '#' || buf[1] != '!') return std::nullopt;
    std::string line(buf + 2, static_cast<size_t>(n) - 2);
    line = line.substr(0, line.find('\n'));
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) return std::nullopt;
    line = line.substr(start, line.find_first_of(" \t", start) - start);
    return line.starts_with('/') ? std::optional<std::string>(line) : std::nullopt;
}

}  // namespace

std::optional<std::string> exec_interpreter(const std::string& path) {
    // O_NONBLOCK: a FIFO on the path must not hang vigil; vigil's own configuration names it.
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    auto interp = elf_interp(fd);
    if (!interp) interp = shebang(fd);
    close(fd);
    if (!interp) return std::nullopt;
    return resolved(*interp);
}

}  // namespace vigil
