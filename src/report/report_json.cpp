// JSON formatter of the crash report (schema kdx.report/1), built with nlohmann::json.
#include <nlohmann/json.hpp>

#include "kdx/report/report.hpp"

namespace kdx::report {
namespace {

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_json(const Report& r) {
  using nlohmann::json;
  json j;
  j["schema"] = kReportSchema;
  const auto& s = r.system;
  j["system"] = {{"dump_file", s.dump_file}, {"vmlinux", s.vmlinux_file}, {"dump_format", s.dump_format},
                 {"arch", s.arch}, {"release", s.release}, {"version", s.version}, {"machine", s.machine},
                 {"nodename", s.nodename}, {"crash_time", opt(s.crash_time)}, {"uptime_ns", opt(s.uptime_ns)},
                 {"cpus", s.cpus}, {"kaslr_offset", opt(s.kaslr_offset)}, {"kaslr_source", s.kaslr_source},
                 {"page_size", s.page_size}, {"dump_gaps", s.dump_gaps}};
  j["title"] = opt(r.title);
  j["type"] = r.type;
  j["panic_message"] = r.panic_message;
  j["corrupted"] = r.corrupted;
  j["crashed_cpu"] = opt(r.crashed_cpu);
  j["pid"] = opt(r.pid);
  j["comm"] = r.comm;
  j["task"] = opt(r.task);
  j["fault"] = {{"kind", r.fault.kind}, {"address", opt(r.fault.address)}, {"address_class", r.fault.address_class},
                {"decoded", r.fault.decoded}};
  j["guilty_frame"] = r.guilty_frame;
  json frames = json::array();
  for (const auto& f : r.backtrace)
    frames.push_back({{"level", f.level}, {"pc", f.pc}, {"sp", f.sp}, {"function", f.function}, {"offset", f.offset},
                      {"size", f.size}, {"module", f.module.empty() ? json(nullptr) : json(f.module)},
                      {"file", f.file}, {"line", f.line}, {"inlined", f.inlined}, {"trust", f.trust},
                      {"exception", f.exception}});
  j["backtrace"] = frames;
  json code = json::array();
  for (const auto& in : r.faulting_code)
    code.push_back({{"address", in.address}, {"text", in.text}, {"location", in.location}, {"faulting", in.faulting}});
  j["faulting_code"] = code;
  if (r.provenance) {
    const auto& p = *r.provenance;
    json chain = json::array();
    for (const auto& st : p.chain)
      chain.push_back({{"address", st.address}, {"insn", st.insn}, {"reg", st.reg}, {"source", st.source},
                       {"value", opt(st.value)}});
    json caller = json::array();
    for (const auto& st : p.caller_chain)
      caller.push_back({{"address", st.address}, {"insn", st.insn}, {"reg", st.reg}, {"source", st.source},
                        {"value", opt(st.value)}});
    j["provenance"] = {{"caller_function", p.caller_function}, {"call_site", p.call_site}, {"caller_chain", caller},
                       {"fault_pc", p.fault_pc}, {"fault_insn", p.fault_insn}, {"access", p.access},
                       {"register", p.bad_register}, {"value", opt(p.bad_value)},
                       {"effective_address", opt(p.effective_address)}, {"chain", chain}, {"caveats", p.caveats}};
  } else {
    j["provenance"] = nullptr;
  }
  json regs = json::object();
  for (const auto& [k, v] : r.registers) regs[k] = v;
  j["registers"] = regs;
  j["suspicious"] = r.suspicious;
  j["related_log"] = r.related_log;
  j["log_tail"] = r.log_tail;
  json notes = json::array();
  for (const auto& n : r.notes) notes.push_back({{"stage", n.stage}, {"message", n.message}});
  j["notes"] = notes;
  j["partial"] = r.partial;
  return j.dump(2) + "\n";
}

}  // namespace kdx::report
