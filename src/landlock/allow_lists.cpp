// Landlock rules for the path allow-lists of [notify.execve/execveat/open/openat/openat2].
//
// Such a list is matched against path text in the app's memory, which another app thread can
// rewrite between vigil's check and the kernel's use of it. A "continue" on a match is only
// safe when the kernel itself refuses every file the list does not name: these rules make the
// kernel enforce the same list. The globs are expanded here, once, at start-up, with glob(3)
// on vigil's own configuration (never on a path the app supplied): a file created later that
// the glob would have matched gets no rule, so the kernel refuses it (closed, not open).
#include <fnmatch.h>
#include <glob.h>
#include <cstdlib>
#include <sys/stat.h>

#include <algorithm>

#include "vigil/landlock.hpp"

namespace vigil {

namespace {

bool is_exec(const std::string& s) { return s == "execve" || s == "execveat"; }
bool is_open(const std::string& s) { return s == "open" || s == "openat" || s == "openat2"; }

bool matches_any(const std::vector<AllowEntry>& globs, const std::string& path) {
    return std::any_of(globs.begin(), globs.end(), [&](const AllowEntry& g) {
        // The notify engine's own matching: '*' stops at '/', a leading '.' must be explicit.
        return fnmatch(g.name.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
    });
}

}  // namespace

AllowListCoverage landlock_rules_for_allow_lists(const Profile& profile, int abi,
                                                 const std::vector<std::string>& syscalls) {
    AllowListCoverage out;
    bool any = false;
    for (const auto& [syscall, policy] : profile.notify) {
        if (policy.allow.empty() || !(is_exec(syscall) || is_open(syscall))) continue;
        if (!syscalls.empty() && std::find(syscalls.begin(), syscalls.end(), syscall) == syscalls.end())
            continue;
        any = true;
        // exec*: only the right to execute (reading stays as the rest of the profile says);
        // open*: the list does not restrict the open mode, so reading and writing the file.
        unsigned access = is_exec(syscall) ? LandlockSettings::Execute
                                           : LandlockSettings::Read | LandlockSettings::Write;
        std::string what = "notify." + syscall + ".allow";
        for (const auto& entry : policy.allow) {
            const std::string& pattern = entry.name;
            glob_t g{};
            int rc = glob(pattern.c_str(), GLOB_NOESCAPE, nullptr, &g);
            if (rc == GLOB_NOMATCH) {
                out.notes.push_back(policy.where.str() + ": " + what + " '" + pattern +
                                    "' matches nothing now; the kernel refuses it");
            } else if (rc != 0) {
                out.problems.push_back(policy.where.str() + ": " + what + " '" + pattern +
                                       "' could not be expanded (glob error " + std::to_string(rc) + ")");
            } else {
                for (size_t i = 0; i < g.gl_pathc; ++i) {
                    std::string path = g.gl_pathv[i];
                    // Only a file reached without any symlink gets a rule: a link (perhaps left
                    // by an earlier run of the app in its own data) would make vigil grant
                    // whatever it points at, e.g. /proc/self/... resolved as vigil.
                    char* real = realpath(path.c_str(), nullptr);
                    bool canonical = real && path == real;
                    free(real);
                    if (!canonical || path.starts_with("/proc/") || path.starts_with("/dev/fd/")) {
                        out.notes.push_back(policy.where.str() + ": " + what + " '" + pattern +
                                            "' matches " + path + ", reached through a symlink or "
                                            "in /proc: no rule, the kernel refuses it");
                        continue;
                    }
                    struct stat st {};
                    if (lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile: nothing to grant
                    if (S_ISDIR(st.st_mode)) {
                        // A rule on a directory would grant everything beneath it.
                        out.notes.push_back(policy.where.str() + ": " + what + " '" + pattern +
                                            "' matches the directory " + path + ": no rule, the kernel refuses it");
                        continue;
                    }
                    out.rules.push_back({path, access, policy.where.str() + ": " + what + " '" + pattern + "'"});
                    if (!is_exec(syscall)) continue;
                    // The kernel executes the loader (or a script's interpreter) too, and a
                    // program run through the loader needs only read access: say so.
                    if (auto interp = exec_interpreter(path)) {
                        out.rules.push_back({*interp, access, "interpreter of " + path});
                        out.broader.push_back(policy.where.str() + ": " + what + ": " + *interp +
                                              " (interpreter of " + path + ") is executable too; "
                                              "through it the app can run any file it can read");
                    }
                }
            }
            globfree(&g);
        }
        // What [landlock] grants besides: a racing app can reach it despite the list.
        const auto& ll = profile.landlock;
        if (ll.filesystem) {
            unsigned right = is_exec(syscall) ? LandlockSettings::Execute : LandlockSettings::Read;
            for (const auto& [path, grant] : ll.paths)
                if ((grant.access & right) && !matches_any(policy.allow, path))
                    out.broader.push_back(grant.where.str() + ": [landlock] also lets the kernel " +
                                          (is_exec(syscall) ? "execute" : "open") + " under " + path +
                                          ", beyond " + what);
        }
    }
    if (!any) return out;
    if (abi < 1) out.problems.push_back("Landlock is unavailable: path allow-lists cannot be kernel-enforced");
    out.covered = out.problems.empty();
    return out;
}

}  // namespace vigil
