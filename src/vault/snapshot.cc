#include "vault/snapshot.h"

#include <nlohmann/json.hpp>

#include "vault/util.h"

namespace custos {

using json = nlohmann::json;

Bytes SerializeSnapshot(const Snapshot& s) {
  const auto& m = s.summary;
  json j = {
      {"version", 1},
      {"time", FormatRfc3339(s.time_ns)},
      {"tree", ToHex(s.tree)},
      {"paths", s.paths},
      {"tags", s.tags},
      {"hostname", s.hostname},
      {"username", s.username},
      {"trigger", s.trigger},
      {"custos_version", s.custos_version},
      {"partial", s.partial},
      {"summary",
       {{"files_new", m.files_new},
        {"files_changed", m.files_changed},
        {"files_unmodified", m.files_unmodified},
        {"dirs", m.dirs},
        {"data_blobs_added", m.data_blobs_added},
        {"tree_blobs_added", m.tree_blobs_added},
        {"bytes_processed", m.bytes_processed},
        {"bytes_added", m.bytes_added},
        {"bytes_stored", m.bytes_stored},
        {"errors", m.errors},
        {"duration_s", m.duration_s}}},
  };
  if (s.parent) j["parent"] = *s.parent;
  j["journal_position"] = s.journal_position ? json(*s.journal_position) : json(nullptr);
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return Bytes(out.begin(), out.end());
}

Result<Snapshot> ParseSnapshot(ByteView body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("snapshot is not valid JSON");
  try {
    Snapshot s;
    auto t = ParseRfc3339(j.at("time").get<std::string>());
    if (!t.ok()) return Status::Corruption("snapshot has a bad time");
    s.time_ns = *t;
    auto tree = Hash256FromHex(j.at("tree").get<std::string>());
    if (!tree.ok()) return Status::Corruption("snapshot has a bad tree id");
    s.tree = *tree;
    s.paths = j.at("paths").get<std::vector<std::string>>();
    s.tags = j.value("tags", std::vector<std::string>{});
    s.hostname = j.value("hostname", "");
    s.username = j.value("username", "");
    s.trigger = j.value("trigger", "manual");
    s.custos_version = j.value("custos_version", "");
    s.partial = j.value("partial", false);
    if (j.contains("parent") && j["parent"].is_string()) s.parent = j["parent"].get<std::string>();
    if (j.contains("journal_position") && j["journal_position"].is_number_unsigned()) {
      s.journal_position = j["journal_position"].get<uint64_t>();
    }
    if (j.contains("summary")) {
      const json& m = j["summary"];
      auto& o = s.summary;
      o.files_new = m.value("files_new", 0ull);
      o.files_changed = m.value("files_changed", 0ull);
      o.files_unmodified = m.value("files_unmodified", 0ull);
      o.dirs = m.value("dirs", 0ull);
      o.data_blobs_added = m.value("data_blobs_added", 0ull);
      o.tree_blobs_added = m.value("tree_blobs_added", 0ull);
      o.bytes_processed = m.value("bytes_processed", 0ull);
      o.bytes_added = m.value("bytes_added", 0ull);
      o.bytes_stored = m.value("bytes_stored", 0ull);
      o.errors = m.value("errors", 0ull);
      o.duration_s = m.value("duration_s", 0.0);
    }
    return s;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("snapshot is malformed: ") + e.what());
  }
}

}  // namespace custos
