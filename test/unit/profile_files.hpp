// Test helper for profile tests: a fresh temporary directory to write profiles into.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace vigil::test {

class ProfileDir {
public:
    ProfileDir() {
        char tmpl[] = "/tmp/vigil-profile-test-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
    }
    ~ProfileDir() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    ProfileDir(const ProfileDir&) = delete;
    ProfileDir& operator=(const ProfileDir&) = delete;

    // Writes TEXT to NAME in the directory and returns its path.
    std::string write(const std::string& name, const std::string& text) const {
        std::string path = dir_ + "/" + name;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + path);
        return path;
    }
    const std::string& path() const { return dir_; }

private:
    std::string dir_;
};

}  // namespace vigil::test
