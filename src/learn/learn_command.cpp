// `vigil learn`: run CMD with every non-baseline syscall sent to vigil, record, and write a
// profile that enforces what was seen (plus BASE) when CMD exits or vigil is stopped.
#include "vigil/log.hpp"
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "../profile/reader.hpp"  // toml11 3.x/4.x compatibility and the nesting-depth guard
#include "learn_session.hpp"
#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/launch.hpp"
#include "vigil/learn.hpp"
#include "vigil/profile.hpp"
#include "vigil/run_options.hpp"
#include "vigil/supervise.hpp"

namespace vigil::learn {

namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: vigil learn -o OUT.toml [OPTIONS] -- CMD [ARGS...]\n"
    "Runs CMD while recording the syscalls it makes, and writes a profile that enforces what was\n"
    "seen when CMD exits or vigil gets SIGINT/SIGTERM (CMD is then stopped gracefully).\n\n"
    "  -o, --output FILE        the profile to write (required)\n"
    "  -p, --profile BASE       merge with BASE: a learned profile's [learned] statistics are added\n"
    "                           (counts summed, values unioned); any other profile is included.\n"
    "                           BASE's [process], [supervise], [phases.ready] (and an included\n"
    "                           BASE's [landlock]) apply while learning; without BASE the app\n"
    "                           learns with the privileges every profile gives it (no capabilities)\n"
    "      --exact              record every syscall (one round trip per call) instead of allowing\n"
    "                           the runtime's baseline unwatched (fast mode, the default)\n"
    "      --baseline RUNTIME   fast mode's baseline: jvm, node or python (default: chosen from\n"
    "                           CMD: node/nodejs -> node, python* -> python, anything else -> jvm)\n"
    "      --report DIR         also write DIR/report.html, DIR/syscalls.svg and DIR/learned.json\n"
    "      --default-action A   action for syscalls never seen (default errno:EPERM)\n"
    "      --ready-tcp PORT     the app is ready when it listens on TCP PORT\n"
    "      --ready-http URL     ... when a loopback GET of URL answers 2xx\n"
    "      --ready-output RE    ... when a line of its output matches RE\n"
    "      --ready-after T      ... after T (e.g. 30s, 500ms)\n"
    "      --ready-timeout T    give up waiting for readiness after T\n"
    "                           With a ready condition, syscalls seen only before it held are\n"
    "                           allowed during startup and denied (EPERM) once the app is ready.\n"
    "  -t, --stop-timeout T     after SIGTERM/SIGINT, SIGKILL CMD after T (default 10s)\n"
    "  -g, --signal-group       forward signals to CMD's whole process group\n"
    "  -h, --help               this text\n\n"
    "exit codes: CMD's status (128+N if it died of signal N); 125 vigil error; 126/127 CMD cannot\n"
    "be executed / not found.\n";

struct LearnOptions {
    std::string output;
    std::string base;
    bool exact = false;
    std::optional<Runtime> baseline;  // --baseline; nothing: from the command
    std::string report_dir;
    std::string unseen = "errno:EPERM";
    ReadyCondition ready;
    bool has_ready = false;
    RunOptions run;  // stop timeout and signal group, applied like `vigil run`'s
    bool help = false;
};

int port_or_throw(const std::string& text) {
    int port = 0;
    try {
        size_t used = 0;
        port = std::stoi(text, &used);
        if (used != text.size()) port = 0;
    } catch (const std::exception&) {
        port = 0;
    }
    if (port < 1 || port > 65535) throw Error("--ready-tcp: '" + text + "' is not a TCP port");
    return port;
}

int duration_or_throw(const std::string& text, const std::string& opt) {
    auto ms = parse_duration_ms(text);
    if (!ms) throw Error(opt + ": '" + text + "' is not a duration; use e.g. 30s or 500ms");
    return *ms;
}

// The same action syntax the profile accepts; the written profile is loaded again at the end,
// this early check only spares a learning run that could never produce a valid profile.
// (A plain check, not std::regex: ~50 KB of the static binary besides the locale machinery
// it pulls in; bench/README.md, binary size.)
bool action_syntax(const std::string& a) {
    if (a == "allow" || a == "log" || a == "trap" || a == "kill-process" || a == "kill-thread")
        return true;
    if (a.rfind("errno:E", 0) != 0 || a.size() == 7) return false;
    return std::all_of(a.begin() + 7, a.end(),
                       [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

void check_action(const std::string& a) {
    if (!action_syntax(a))
        throw Error("--default-action: '" + a + "' is not an action (e.g. errno:EPERM, kill-process)");
}

LearnOptions parse_options(const std::vector<std::string>& args) {
    LearnOptions o;
    size_t i = 0;
    auto value = [&](const std::string& opt) -> std::string {
        if (i + 1 >= args.size()) throw Error("option " + opt + " needs a value (see vigil learn --help)");
        return args[++i];
    };
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            o.run.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
            break;
        }
        if (a == "-h" || a == "--help") o.help = true;
        else if (a == "-o" || a == "--output") o.output = value(a);
        else if (a == "-p" || a == "--profile") o.base = value(a);
        else if (a == "--exact") o.exact = true;
        else if (a == "--baseline") {
            std::string v = value(a);
            o.baseline = runtime_from_name(v);
            if (!o.baseline) throw Error("--baseline: '" + v + "' is not a runtime; use jvm, node or python");
        }
        else if (a == "--report") o.report_dir = value(a);
        else if (a == "--default-action") o.unseen = value(a);
        else if (a == "--ready-tcp") o.ready.tcp_listen = port_or_throw(value(a)), o.has_ready = true;
        else if (a == "--ready-http") o.ready.http_get = value(a), o.has_ready = true;
        else if (a == "--ready-output") o.ready.output_match = value(a), o.has_ready = true;
        else if (a == "--ready-after") o.ready.after_ms = duration_or_throw(value(a), a), o.has_ready = true;
        else if (a == "--ready-timeout") o.ready.timeout_ms = duration_or_throw(value(a), a);
        else if (a == "-t" || a == "--stop-timeout") o.run.stop_timeout_ms = duration_or_throw(value(a), a);
        else if (a == "-g" || a == "--signal-group") o.run.signal_group = true;
        else if (!a.empty() && a[0] == '-') throw Error("unknown option " + a + " (see vigil learn --help)");
        else {
            o.run.command.assign(args.begin() + static_cast<long>(i), args.end());
            break;
        }
    }
    if (o.help) return o;
    if (o.output.empty()) throw Error("vigil learn needs -o OUT.toml (see vigil learn --help)");
    if (o.run.command.empty()) throw Error("vigil learn needs a command after -- (see vigil learn --help)");
    check_action(o.unseen);
    return o;
}

// The filter used while learning: every syscall goes to vigil except, in fast mode, the
// baseline, which the kernel allows without a round trip.
Profile learning_profile(bool exact, Runtime runtime) {
    Profile p;
    p.has_seccomp = true;
    p.default_action = Action{ActionKind::Notify};
    if (!exact)
        for (const auto& name : hot_baseline(runtime)) p.rules.push_back({name, Action{ActionKind::Allow}, {}, {}});
    return p;
}

Runtime baseline_of(const LearnOptions& o) {
    return o.baseline ? *o.baseline : runtime_of_executable(o.run.command.front());
}

// BASE's own settings, as TOML text for the written profile (a learned BASE is replaced by
// the merged output, so what it said about the process, supervision and audit must carry over).
std::string copied_tables(const std::string& base) {
    using ordered = profile_detail::TomlValue;
    const ordered root = profile_detail::read_toml(base);
    std::string out;
    for (const char* key : {"process", "supervise", "audit"}) {
        if (!root.contains(key)) continue;
        ordered one(typename ordered::table_type{{key, root.at(key)}});
        out += toml::format(one) + "\n";
    }
    return out;
}

// A path as written in the output: relative to the output's directory when possible.
std::string relative_to_output(const std::string& path, const std::string& output) {
    fs::path abs = fs::weakly_canonical(fs::absolute(path));
    fs::path dir = fs::weakly_canonical(fs::absolute(output)).parent_path();
    fs::path rel = abs.lexically_relative(dir);
    return rel.empty() ? abs.string() : rel.string();
}

std::vector<std::string> rebased_includes(const std::string& base, const std::string& output) {
    const auto root = profile_detail::read_toml(base);
    std::vector<std::string> out;
    if (!root.contains("include")) return out;
    fs::path dir = fs::absolute(base).parent_path();
    for (const auto& inc : toml::find<std::vector<std::string>>(root, "include"))
        out.push_back(relative_to_output(fs::path(inc).is_absolute() ? inc : (dir / inc).string(), output));
    return out;
}

std::string command_line(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
    return out;
}

struct Plan {
    LearnOptions opts;
    std::optional<Profile> base;          // BASE loaded as a profile
    std::optional<LearnedStats> base_stats;  // BASE's [learned] table
    WriteOptions write;
    // Opened before the app starts (see OutputDir): the output's directory, and the report's.
    std::optional<OutputDir> out_dir;
    std::optional<OutputDir> report_dir;
    std::string out_name;  // the output's file name inside out_dir
};

Plan make_plan(const std::vector<std::string>& args) {
    Plan plan;
    plan.opts = parse_options(args);
    if (plan.opts.help) return plan;
    const auto& o = plan.opts;
    fs::path out = fs::absolute(o.output);
    plan.out_name = out.filename().string();
    if (plan.out_name.empty() || plan.out_name == "." || plan.out_name == "..")
        throw Error("-o " + o.output + ": not a file name");
    plan.out_dir = OutputDir::open(out.parent_path().string(), false);
    if (!o.report_dir.empty()) plan.report_dir = OutputDir::open(o.report_dir, true);
    WriteOptions& w = plan.write;
    w.unseen = o.unseen;
    w.command = command_line(o.run.command);
    if (!o.base.empty()) {
        plan.base = load_profile(o.base);
        plan.base_stats = read_learned(o.base);
        if (plan.base_stats) {
            w.copied_tables = copied_tables(o.base);
            w.include = rebased_includes(o.base, o.output);
        } else {
            w.include = {relative_to_output(o.base, o.output)};
        }
        if (plan.base->ready) w.ready = plan.base->ready;
    }
    if (o.has_ready) w.ready = o.ready;
    else if (w.ready && o.ready.timeout_ms) w.ready->timeout_ms = o.ready.timeout_ms;
    return plan;
}

void finish(const Plan& plan, LearnedStats& run) {
    run.runs = 1;
    run.mode = plan.opts.exact ? "exact" : "fast";
    if (!plan.opts.exact) run.assumed = hot_baseline(baseline_of(plan.opts));
    LearnedStats all;
    if (plan.base_stats) all = *plan.base_stats;
    merge(all, run);
    plan.out_dir->write_file(plan.out_name, write_profile(all, plan.write));
    size_t calls = 0;
    for (const auto& [name, s] : run.syscalls) calls += s.count;
    log::info("learn: wrote {} ({} syscalls seen in {} recorded calls{})", plan.opts.output,
                 run.syscalls.size(), calls, plan.opts.exact ? "" : "; baseline assumed");
    if (plan.report_dir) {
        write_report(*plan.report_dir, all, plan.write);
        log::info("learn: report in {}/report.html", plan.opts.report_dir);
    }
    // The promise is "valid input for vigil run without editing": check it now, not at deploy.
    try {
        load_profile(plan.opts.output);
    } catch (const Error& e) {
        log::error("learn: the written profile does not load: {}", e.what());
    }
}

int learn_main(const std::vector<std::string>& args) {
    Plan plan = make_plan(args);
    if (plan.opts.help) {
        std::printf("%s", kUsage);
        return 0;
    }
    LaunchPlan launch_plan;
    launch_plan.argv = plan.opts.run.command;
    // The app learns with exactly the privileges `vigil run` will give it under the written
    // profile: BASE's [process] (copied into the output or included by it), else the default
    // every profile gets (no capabilities, no_new_privs, the caller's ids). Learning with the
    // caller's capabilities would record a run that its own profile then refuses (an app
    // learned as root writing into a directory it does not own).
    launch_plan.process = plan.base ? plan.base->process : ProcessSettings{};
    if (plan.base) {
        launch_plan.supervise.settings = plan.base->supervise;
        // An included BASE's [landlock] is in force while learning, as it will be under the
        // output that includes it. A learned BASE's is not: its [landlock] is rewritten from the
        // merged statistics, and this run is there to see more than the last one did.
        if (plan.base->landlock.present && !plan.base_stats) launch_plan.landlock = plan.base->landlock;
    }
    apply_supervise_overrides(plan.opts.run, launch_plan.supervise);
    // One run is learned: a base profile's restart policy and health check do not apply here.
    launch_plan.supervise.settings.restart.mode = RestartMode::No;
    launch_plan.supervise.settings.health.reset();
    if (!plan.opts.exact)
        log::debug("learn: fast mode with the {} baseline (--baseline overrides)", runtime_name(baseline_of(plan.opts)));
    launch_plan.filter = compile_filter(learning_profile(plan.opts.exact, baseline_of(plan.opts)), {.complain = false, .listener = true});
    launch_plan.capture_output = plan.write.ready && plan.write.ready->output_match;

    LearnSession session(plan.write.ready, [&plan](LearnedStats& run) { finish(plan, run); });
    // vigil keeps its own uid: it reads the app's memory with process_vm_readv or, without
    // CAP_SYS_PTRACE, /proc/TID/mem under a per-thread fsuid (read_memory).
    return launch(launch_plan, &session);
}

const RegisterCommand reg{{"learn", "run CMD and write a profile from the syscalls it makes", kUsage, &learn_main}};

}  // namespace

}  // namespace vigil::learn
