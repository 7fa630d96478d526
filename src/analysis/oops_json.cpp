// JSON form of an OopsReport; the key names are the stable interface scripts rely on.
#include "kdx/analysis/oops_json.hpp"

#include <fmt/format.h>

namespace kdx::analysis {
namespace {

nlohmann::json frame_json(const OopsFrame& f) {
  nlohmann::json j;
  j["function"] = f.function;
  j["offset"] = f.offset;
  j["size"] = f.size;
  j["address"] = f.address ? nlohmann::json(fmt::format("{:#x}", *f.address)) : nlohmann::json(nullptr);
  j["module"] = f.module.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.module);
  j["reliable"] = f.reliable;
  j["source"] = f.source;
  j["line"] = f.line + 1;
  if (!f.location.empty()) j["location"] = f.location;
  if (!f.inlined.empty()) j["inlined"] = f.inlined;
  return j;
}

nlohmann::json frames_json(const std::vector<OopsFrame>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& f : v) a.push_back(frame_json(f));
  return a;
}

}  // namespace

nlohmann::json oops_to_json(const OopsReport& r) {
  nlohmann::json j;
  j["title"] = r.title ? nlohmann::json(*r.title) : nlohmann::json(nullptr);
  j["type"] = r.title ? nlohmann::json(r.type) : nlohmann::json(nullptr);
  j["corrupted"] = r.corrupted;
  if (r.corrupted) j["corrupted_reason"] = r.corrupted_reason;
  j["guilty_frame"] = r.guilty_frame.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.guilty_frame);
  j["header"] = r.title ? nlohmann::json(r.header) : nlohmann::json(nullptr);
  j["start_line"] = r.title ? nlohmann::json(r.start_line + 1) : nlohmann::json(nullptr);
  if (r.fault) {
    const FaultInfo& f = *r.fault;
    nlohmann::json fj;
    fj["arch"] = f.arch;
    fj["address"] = f.address ? nlohmann::json(fmt::format("{:#x}", *f.address)) : nlohmann::json(nullptr);
    fj["address_class"] = f.address_class;
    fj["access"] = f.access;
    fj["error_code"] = f.error_code ? nlohmann::json(fmt::format("{:#06x}", *f.error_code)) : nlohmann::json(nullptr);
    fj["esr"] = f.esr ? nlohmann::json(fmt::format("{:#010x}", *f.esr)) : nlohmann::json(nullptr);
    fj["trap"] = f.trap ? nlohmann::json(*f.trap) : nlohmann::json(nullptr);
    fj["trap_name"] = f.trap_name;
    nlohmann::json fields = nlohmann::json::object();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& fld : f.fields) {
      list.push_back({{"name", fld.name}, {"value", fld.value}, {"meaning", fld.meaning}});
    }
    fj["fields"] = list;
    j["fault"] = fj;
  } else {
    j["fault"] = nullptr;
  }
  j["frames"] = frames_json(r.frames);
  if (r.code) {
    nlohmann::json cj;
    cj["arch"] = r.code->arch;
    cj["raw"] = r.code->raw;
    cj["error"] = r.code->error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.code->error);
    nlohmann::json insns = nlohmann::json::array();
    for (const auto& i : r.code->insns) {
      insns.push_back({{"offset", i.offset}, {"bytes", i.bytes}, {"text", i.text}, {"faulting", i.faulting}});
    }
    cj["instructions"] = insns;
    j["code"] = cj;
  } else {
    j["code"] = nullptr;
  }
  if (r.sanitizer) {
    const auto& s = *r.sanitizer;
    nlohmann::json sj;
    sj["kind"] = s.kind;
    sj["access"] = s.access.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.access);
    sj["size"] = s.size ? nlohmann::json(*s.size) : nlohmann::json(nullptr);
    sj["address"] = s.address ? nlohmann::json(fmt::format("{:#x}", *s.address)) : nlohmann::json(nullptr);
    sj["alloc_stack"] = frames_json(s.alloc_stack);
    sj["free_stack"] = frames_json(s.free_stack);
    j["sanitizer"] = sj;
  }
  nlohmann::json rel = nlohmann::json::array();
  for (const auto& r2 : r.related) {
    nlohmann::json a = nlohmann::json::array();
    for (auto x : r2.shared_addresses) a.push_back(fmt::format("{:#x}", x));
    rel.push_back({{"header", r2.header}, {"line", r2.line + 1}, {"shared_addresses", a}});
  }
  j["related"] = rel;
  return j;
}

}  // namespace kdx::analysis
