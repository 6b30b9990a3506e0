#include "vault/catalogue.h"

#include <algorithm>
#include <chrono>

namespace custos {

Result<std::string> AddCatalogueEntry(Vault& v, const std::string& kind,
                                      const nlohmann::json& data) {
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::string body = nlohmann::json{{"kind", kind}, {"time", now}, {"data", data}}.dump();
  return v.SaveObject(ObjectType::kCatalogue, "catalogue", AsBytes(body));
}

Result<std::vector<CatalogueEntry>> ListCatalogue(Vault& v, const std::string& kind,
                                                  std::vector<std::string>* damaged) {
  ASSIGN_OR_RETURN(auto names, v.ListNames("catalogue/"));
  std::vector<CatalogueEntry> out;
  for (const auto& name : names) {
    auto body = v.LoadObject(ObjectType::kCatalogue, name);
    Status st = body.status();
    CatalogueEntry e;
    if (st.ok()) {
      auto j = nlohmann::json::parse(AsString(*body), nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("kind") || !j["kind"].is_string() ||
          !j.contains("time") || !j["time"].is_number_integer() || !j.contains("data")) {
        st = Status::Corruption(name + ": not a catalogue entry");
      } else {
        e.name = name;
        e.kind = j["kind"].get<std::string>();
        e.time_ns = j["time"].get<int64_t>();
        e.data = j["data"];
      }
    }
    if (!st.ok()) {
      if (!damaged) return st;
      damaged->push_back(name);
      continue;
    }
    if (kind.empty() || e.kind == kind) out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.time_ns < b.time_ns; });
  return out;
}

}  // namespace custos
