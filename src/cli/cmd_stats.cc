// custos stats: sizes and counts of the vault.
#include <cstdio>
#include <unordered_set>

#include "cli/common.h"
#include "vault/pruner.h"

namespace custos::cli {

namespace {
int RunStats(const GlobalOptions& g) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, false);
  if (!lock.ok()) return Fail(lock.status());
  Status st = v.LoadIndex();
  if (!st.ok()) return Fail(st);
  std::vector<std::string> damaged;
  auto snaps = v.ListSnapshots(&damaged);
  if (!snaps.ok()) return Fail(snaps.status());
  for (const auto& d : damaged) std::fprintf(stderr, "warning: skipping damaged snapshot: %s\n", d.c_str());
  // Restore size: what restoring every snapshot would write.
  uint64_t restore_size = 0, files = 0;
  std::unordered_set<BlobId, BlobIdHash> seen_trees;
  for (const auto& s : *snaps) {
    std::vector<BlobId> stack = {s.tree};
    while (!stack.empty()) {
      BlobId id = stack.back();
      stack.pop_back();
      auto t = v.LoadTree(id);
      if (!t.ok()) return Fail(t.status());
      for (const Node& n : t->nodes) {
        if (n.subtree) stack.push_back(*n.subtree);
        if (n.type == NodeType::kFile) {
          restore_size += n.size;
          files++;
        }
      }
    }
  }
  uint64_t raw = 0, stored_blobs = 0, blobs = 0;
  auto packs = v.index().Snapshot();
  for (const auto& p : packs)
    for (const auto& b : p.blobs) {
      raw += b.raw_length;
      stored_blobs += b.length;
      blobs++;
    }
  uint64_t vault_size = 0, objects = 0;
  st = v.backend().List("", [&](const ObjectInfo& o) {
    vault_size += o.size;
    objects++;
    return Status::OK();
  });
  if (!st.ok()) return Fail(st);
  double ratio = stored_blobs ? static_cast<double>(raw) / stored_blobs : 1.0;
  if (g.json) {
    PrintJson({{"snapshots_count", snaps->size()},
               {"total_file_count", files},
               {"total_size", restore_size},
               {"raw_data_size", raw},
               {"stored_data_size", stored_blobs},
               {"vault_size", vault_size},
               {"object_count", objects},
               {"blob_count", blobs},
               {"pack_count", packs.size()},
               {"compression_ratio", ratio},
               {"dedup_ratio", raw ? static_cast<double>(restore_size) / raw : 1.0}});
  } else {
    std::printf("Snapshots:          %zu\n", snaps->size());
    std::printf("Files (all snaps):  %llu\n", (unsigned long long)files);
    std::printf("Restore size:       %s\n", HumanBytes(restore_size).c_str());
    std::printf("Unique data:        %s in %llu blobs\n", HumanBytes(raw).c_str(),
                (unsigned long long)blobs);
    std::printf("Stored data:        %s (compression ratio %.2fx)\n",
                HumanBytes(stored_blobs).c_str(), ratio);
    std::printf("Vault size:         %s in %llu objects, %zu packs\n",
                HumanBytes(vault_size).c_str(), (unsigned long long)objects, packs.size());
  }
  return kExitOk;
}
}  // namespace

void RegisterStats(CLI::App& app, GlobalOptions& g, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("stats", "show sizes and counts");
  cmd->callback([&g, &exit_code] { exit_code = RunStats(g); });
}

}  // namespace custos::cli
