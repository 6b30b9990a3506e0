#include "vault/checker.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>

#include "crypto/hash.h"
#include "vault/pack.h"

namespace custos {

namespace {

class Checker {
 public:
  Checker(Vault& vault, const CheckOptions& opts) : vault_(vault), opts_(opts) {}
  Result<CheckResult> Run();

 private:
  void Error(const std::string& msg) {
    std::lock_guard lock(mu_);
    result_.errors++;
    if (opts_.on_error) opts_.on_error(msg);
  }
  void Info(const std::string& msg) {
    std::lock_guard lock(mu_);
    if (opts_.on_info) opts_.on_info(msg);
  }
  Status CheckKeys();
  void CheckTrees(const std::vector<Snapshot>& snaps);
  void ReadPack(const PackEntries& expected);

  Vault& vault_;
  const CheckOptions& opts_;
  std::mutex mu_;
  CheckResult result_;
};

Status Checker::CheckKeys() {
  ASSIGN_OR_RETURN(auto names, vault_.ListNames("keys/"));
  for (const auto& name : names) {
    auto bytes = LoadBytes(vault_.backend(), name);
    if (!bytes.ok()) {
      Error(name + ": " + bytes.status().message());
    } else if (ToHex(Sha256(*bytes)) != BaseName(name)) {
      Error(name + ": content does not match its name (SHA-256)");
    } else if (auto info = ParseKeyInfo(*bytes); !info.ok()) {
      Error(name + ": " + info.status().message());
    }
  }
  return Status::OK();
}

void Checker::CheckTrees(const std::vector<Snapshot>& snaps) {
  std::unordered_set<BlobId, BlobIdHash> seen_trees;
  for (const Snapshot& s : snaps) {
    std::string sid = "snapshot " + s.id.substr(0, 8);
    std::vector<std::pair<BlobId, std::string>> stack = {{s.tree, "/"}};
    while (!stack.empty()) {
      auto [id, path] = stack.back();
      stack.pop_back();
      if (!seen_trees.insert(id).second) continue;
      auto tree = vault_.LoadTree(id);
      if (!tree.ok()) {
        Error(sid + ": tree of " + path + ": " + tree.status().message());
        continue;
      }
      for (const Node& n : tree->nodes) {
        std::string p = path == "/" ? "/" + n.name : path + "/" + n.name;
        if (n.type == NodeType::kDir) {
          if (n.subtree)
            stack.emplace_back(*n.subtree, p);
          else
            Error(sid + ": directory " + p + " has no subtree");
          continue;
        }
        for (const BlobId& b : n.content) {
          auto loc = vault_.index().Find(b);
          if (!loc) {
            Error(sid + ": " + p + ": data blob " + ToHex(b).substr(0, 16) +
                  " is missing from the index");
            break;
          }
          if (loc->entry.type != BlobType::kData) {
            Error(sid + ": " + p + ": blob " + ToHex(b).substr(0, 16) + " is not a data blob");
            break;
          }
        }
      }
    }
  }
}

void Checker::ReadPack(const PackEntries& expected) {
  std::string name = PackObjectName(expected.pack.id);
  auto bytes = LoadBytes(vault_.backend(), name);
  if (!bytes.ok()) {
    Error("pack " + name + ": " + bytes.status().message());
    return;
  }
  auto parsed = ParsePack(vault_.master().encryption, expected.pack.id, *bytes);
  if (!parsed.ok()) {
    Error("pack " + name + ": " + parsed.status().message());
    return;
  }
  if (parsed->pack.salt != expected.pack.salt) {
    Error("pack " + name + ": salt differs from the index");
  }
  std::map<BlobId, BlobEntry> in_header;
  for (const auto& b : parsed->blobs) in_header[b.id] = b;
  for (const auto& want : expected.blobs) {
    auto it = in_header.find(want.id);
    if (it == in_header.end() || it->second.offset != want.offset ||
        it->second.length != want.length || it->second.counter != want.counter) {
      Error("pack " + name + ": blob " + ToHex(want.id).substr(0, 16) +
            " is not where the index says");
    }
  }
  Key256 key = PackKey(vault_.master().encryption, parsed->pack.salt);
  Bytes plain;
  for (const auto& b : parsed->blobs) {
    Status st = OpenBlobWithKey(key, b, ByteView(*bytes).subspan(b.offset, b.length), plain);
    if (st.ok() && vault_.BlobIdOf(plain) != b.id)
      st = Status::Corruption("content does not match its id");
    if (!st.ok())
      Error("pack " + name + ": blob " + ToHex(b.id).substr(0, 16) + ": " + st.message());
  }
  SecureWipe(key.data(), key.size());
  std::lock_guard lock(mu_);
  result_.packs_read++;
}

Result<CheckResult> Checker::Run() {
  RETURN_IF_ERROR(CheckKeys());
  std::vector<std::string> damaged;
  RETURN_IF_ERROR(vault_.LoadIndex(&damaged));
  for (const auto& d : damaged) Error(d);

  // Packs on the backend versus packs in the index.
  std::map<Hash256, uint64_t> stored;
  std::vector<std::string> bad_names;
  RETURN_IF_ERROR(vault_.backend().List("data/", [&](const ObjectInfo& o) {
    auto id = Hash256FromHex(BaseName(o.name));
    if (!id.ok() || PackObjectName(*id) != o.name)
      bad_names.push_back(o.name);
    else
      stored[*id] = o.size;
    return Status::OK();
  }));
  for (const auto& n : bad_names) Error(n + ": not a pack name");
  auto packs = vault_.index().Snapshot();
  std::unordered_set<Hash256, BlobIdHash> indexed;
  for (const auto& p : packs) {
    indexed.insert(p.pack.id);
    std::string name = PackObjectName(p.pack.id);
    auto it = stored.find(p.pack.id);
    if (it == stored.end()) {
      Error("pack " + name + " is named by the index but missing");
      continue;
    }
    uint64_t need = 0;
    for (const auto& b : p.blobs) need = std::max<uint64_t>(need, uint64_t{b.offset} + b.length);
    if (it->second < need + 4)
      Error("pack " + name + " is truncated (" + std::to_string(it->second) + " bytes)");
  }
  for (const auto& [id, size] : stored) {
    if (!indexed.count(id)) {
      result_.unreferenced_packs++;
      Info("unreferenced pack " + PackObjectName(id) +
           " (left by an interrupted backup or prune; prune removes it)");
    }
  }

  std::vector<std::string> bad_snaps;
  auto snaps = vault_.ListSnapshots(&bad_snaps);
  if (!snaps.ok()) return snaps.status();
  for (const auto& d : bad_snaps) Error(d);
  result_.snapshots = snaps->size();
  CheckTrees(*snaps);

  if (opts_.read_data) {
    std::vector<const PackEntries*> todo;
    for (const auto& p : packs)
      if (stored.count(p.pack.id)) todo.push_back(&p);
    if (opts_.read_fraction < 1.0) {
      std::shuffle(todo.begin(), todo.end(), std::mt19937_64(std::random_device{}()));
      size_t n = static_cast<size_t>(std::ceil(todo.size() * opts_.read_fraction));
      todo.resize(std::min(todo.size(), std::max<size_t>(n, todo.empty() ? 0 : 1)));
    }
    Info("reading " + std::to_string(todo.size()) + " of " + std::to_string(packs.size()) +
         " packs");
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < std::max(1, opts_.workers); ++t) {
      threads.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < todo.size();) ReadPack(*todo[i]);
      });
    }
    for (auto& t : threads) t.join();
  }
  return result_;
}

}  // namespace

Result<CheckResult> RunCheck(Vault& vault, const CheckOptions& options) {
  Checker c(vault, options);
  return c.Run();
}

}  // namespace custos
