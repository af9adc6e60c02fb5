// Users, groups and capabilities: resolved before fork (files parsed by hand: no NSS, so the
// static binary works in any image), applied in the child with raw syscalls only.
#include "vigil/privileges.hpp"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cap-ng.h>
#include <charconv>
#include <fstream>
#include <sstream>

#include "vigil/error.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

struct IdEntry {
    std::string name;
    unsigned id = 0;
    unsigned primary_gid = 0;  // passwd only
    std::vector<std::string> members;  // group only: the 4th field, comma-separated
};

bool parse_number(const std::string& s, unsigned* out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size();
}

// ROOT/etc/passwd or ROOT/etc/group: "name:x:id:..." lines; malformed lines are skipped as
// libc does. A missing file is an empty database (numeric ids still work).
std::vector<IdEntry> read_id_file(const std::string& path, bool passwd) {
    std::vector<IdEntry> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string field; std::getline(ss, field, ':');) f.push_back(field);
        IdEntry e;
        if (f.size() < 3 || f[0].empty() || !parse_number(f[2], &e.id)) continue;
        if (passwd && (f.size() < 4 || !parse_number(f[3], &e.primary_gid))) continue;
        e.name = f[0];
        if (!passwd && f.size() >= 4) {
            std::stringstream members(f[3]);
            for (std::string m; std::getline(members, m, ',');)
                if (!m.empty()) e.members.push_back(m);
        }
        out.push_back(e);
    }
    return out;
}

std::string suggestion(const std::string& wrong, const std::vector<std::string>& names) {
    std::string best = nearest(wrong, names);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

const IdEntry* resolve(const std::string& value, const std::vector<IdEntry>& db, const std::string& what,
                       const std::string& path, unsigned* id) {
    for (const auto& e : db)
        if (e.name == value) return *id = e.id, &e;
    if (parse_number(value, id)) {
        for (const auto& e : db)
            if (e.id == *id) return &e;
        return nullptr;
    }
    std::vector<std::string> names;
    for (const auto& e : db) names.push_back(e.name);
    throw Error(what + " '" + value + "' not found in " + path + suggestion(value, names));
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

int capability_number(const std::string& written) {
    std::string name = upper(written);
    if (name.rfind("CAP_", 0) == 0) name = name.substr(4);
    int cap = capng_name_to_capability(name.c_str());
    if (cap >= 0) return cap;
    std::vector<std::string> names;
    for (unsigned i = 0; i <= CAP_LAST_CAP; ++i)
        if (const char* n = capng_capability_to_name(i)) names.push_back(upper(n));
    throw Error("unknown capability '" + written + "'" + suggestion(name, names));
}

bool have_effective(int cap) { return capng_have_capability(CAPNG_EFFECTIVE, static_cast<unsigned>(cap)) != 0; }

void check_can_switch(const PreparedPrivileges& p, const ProcessSettings& s) {
    bool same_ids = p.uid == getuid() && p.uid == geteuid() && p.gid == getgid() && p.gid == getegid();
    if (p.uid != geteuid() && !have_effective(CAP_SETUID))
        throw Error("cannot switch to user '" + s.user.value_or(std::to_string(p.uid)) + "' (uid " +
                    std::to_string(p.uid) + "): vigil runs as uid " + std::to_string(geteuid()) +
                    " without CAP_SETUID");
    if (!same_ids && !have_effective(CAP_SETGID))
        throw Error("cannot switch to group '" + s.group.value_or(std::to_string(p.gid)) + "' (gid " +
                    std::to_string(p.gid) + "): vigil runs without CAP_SETGID");
}

// Which capabilities the child drops from the bounding set. Dropping needs CAP_SETPCAP, which
// a container started with `--cap-drop ALL` (plus a few --cap-add) or under
// `capsh --drop=cap_setpcap` does not give even to root. Capabilities already absent from the
// bounding set need no drop. For the rest, without CAP_SETPCAP:
//  - with no_new_privs the bounding set is unreachable: execve never gives more than the
//    permitted set the app already had (which the child clears to the kept capabilities),
//    file capabilities and setuid bits are ignored, and capset cannot raise anything outside
//    the permitted set. The drop is skipped.
//  - without no_new_privs an app running as root gets its whole bounding set back as
//    permitted capabilities at its next execve, so the profile's drop would not hold: refuse.
//    (A non-root app without no_new_privs can gain them through setuid-root or file-capability
//    binaries, which is what no_new_privs = false asks for.)
void plan_bounding_drop(PreparedPrivileges& p, const ProcessSettings& s) {
    std::vector<int> wanted;
    for (int cap = 0; cap < 64; ++cap) {
        int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_set < 0) break;  // EINVAL: past the kernel's last capability
        if (in_set == 1 && std::find(p.keep_caps.begin(), p.keep_caps.end(), cap) == p.keep_caps.end())
            wanted.push_back(cap);
    }
    if (wanted.empty() || capng_have_capability(CAPNG_PERMITTED, CAP_SETPCAP)) {
        p.bounding_drop = std::move(wanted);
        return;
    }
    uid_t final_uid = p.change_ids ? p.uid : getuid();
    if (final_uid == 0 && !s.no_new_privs) {
        std::string names;
        for (int cap : wanted) {
            const char* n = capng_capability_to_name(static_cast<unsigned>(cap));
            names += (names.empty() ? "" : ", ") + (n ? upper(n) : std::to_string(cap));
        }
        throw Error("cannot drop " + names + " from the bounding set: vigil lacks CAP_SETPCAP, and the app runs "
                    "as root without no_new_privs, so it would regain them at its next execve; set "
                    "[process] no_new_privs = true, run the app as another user, or give vigil CAP_SETPCAP");
    }
}

}  // namespace

bool vigil_has_capability(int cap) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (cap < 0 || cap > 63 || syscall(SYS_capget, &header, data) != 0) return false;
    return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

PreparedPrivileges prepare_privileges(const ProcessSettings& settings, const std::string& root) {
    PreparedPrivileges p;
    p.drop_caps = true;
    std::string base = root.empty() || root.back() != '/' ? root + "/" : root;
    const std::string passwd_path = base + "etc/passwd", group_path = base + "etc/group";
    auto users = read_id_file(passwd_path, true);
    auto groups = read_id_file(group_path, false);

    p.uid = getuid();
    p.gid = getgid();
    if (settings.user) {
        unsigned uid = 0;
        const IdEntry* e = resolve(*settings.user, users, "user", passwd_path, &uid);
        p.uid = uid;
        // A number without a passwd entry gets the group of the same number, not root's.
        p.gid = e ? e->primary_gid : uid;
    }
    if (settings.group) {
        unsigned gid = 0;
        resolve(*settings.group, groups, "group", group_path, &gid);
        p.gid = gid;
    }
    for (const auto& g : settings.groups) {
        unsigned gid = 0;
        resolve(g, groups, "group", group_path, &gid);
        p.groups.push_back(gid);
    }
    // -u USER: the groups that list the user by name, as login(1) and `docker run --user` do,
    // plus the primary group (initgroups puts it first).
    if (settings.groups_of_user && settings.user) {
        std::string name = *settings.user;
        for (const auto& u : users)
            if (std::to_string(u.id) == name) name = u.name;  // a uid: its passwd name
        p.groups.push_back(p.gid);
        for (const auto& g : groups)
            if (std::find(g.members.begin(), g.members.end(), name) != g.members.end() &&
                std::find(p.groups.begin(), p.groups.end(), g.id) == p.groups.end())
                p.groups.push_back(g.id);
    }
    p.change_ids = settings.user || settings.group || !settings.groups.empty();

    capng_clear(CAPNG_SELECT_BOTH);
    if (capng_get_caps_process() != 0) throw_errno("reading vigil's capabilities");
    if (p.change_ids) check_can_switch(p, settings);
    // Non-root without CAP_SETGID, asked for its own ids and no supplementary groups: nothing
    // to change (setgroups would fail with EPERM).
    if (p.change_ids && !have_effective(CAP_SETGID) && p.groups.empty()) p.change_ids = false;

    for (const auto& name : settings.capabilities) {
        int cap = capability_number(name);
        if (!capng_have_capability(CAPNG_PERMITTED, static_cast<unsigned>(cap)))
            throw Error("cannot keep capability " + upper(name) + ": vigil does not have it (not in its permitted set)");
        if (std::find(p.keep_caps.begin(), p.keep_caps.end(), cap) == p.keep_caps.end()) p.keep_caps.push_back(cap);
    }
    plan_bounding_drop(p, settings);
    return p;
}

namespace {

int fail(const char** failed_step, const char* step) {
    int e = errno;
    if (failed_step) *failed_step = step;
    return e ? e : EPERM;
}

int capget_now(__user_cap_data_struct data[2]) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    return static_cast<int>(syscall(SYS_capget, &hdr, data));
}

int capset_now(__user_cap_data_struct data[2]) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    return static_cast<int>(syscall(SYS_capset, &hdr, data));
}

}  // namespace

int apply_privileges(const PreparedPrivileges& p, const char** failed_step) noexcept {
    // ids first, keeping the permitted set across setresuid (KEEPCAPS); effective is cleared by
    // the uid change and restored from permitted below.
    if (p.change_ids) {
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail(failed_step, "prctl(PR_SET_KEEPCAPS)");
        if (setgroups(p.groups.size(), p.groups.data()) != 0) return fail(failed_step, "setgroups");
        if (setresgid(p.gid, p.gid, p.gid) != 0) return fail(failed_step, "setresgid");
        if (setresuid(p.uid, p.uid, p.uid) != 0) return fail(failed_step, "setresuid");
    }
    if (!p.drop_caps) return 0;

    __user_cap_data_struct data[2] = {};
    if (capget_now(data) != 0) return fail(failed_step, "capget");
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    if (capset_now(data) != 0) return fail(failed_step, "capset(effective)");

    // Planned by prepare_privileges, which checked that vigil may drop them (CAP_SETPCAP).
    for (int cap : p.bounding_drop)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return fail(failed_step, "prctl(PR_CAPBSET_DROP)");

    __user_cap_data_struct keep[2] = {};
    for (int cap : p.keep_caps) {
        keep[cap / 32].permitted |= 1u << (cap % 32);
        keep[cap / 32].effective |= 1u << (cap % 32);
        keep[cap / 32].inheritable |= 1u << (cap % 32);
    }
    if (capset_now(keep) != 0) return fail(failed_step, "capset");

    // Ambient: what a non-root app keeps across execve (permitted and inheritable alone are
    // lost there without file capabilities).
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && !p.keep_caps.empty())
        return fail(failed_step, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    for (int cap : p.keep_caps)
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            return fail(failed_step, "prctl(PR_CAP_AMBIENT_RAISE)");
    if (p.change_ids && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail(failed_step, "prctl(PR_SET_KEEPCAPS, 0)");
    return 0;
}

}  // namespace vigil
