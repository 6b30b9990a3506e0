#include "vault/pruner.h"

#include <unordered_set>

#include "vault/blob_saver.h"
#include "vault/pack.h"

namespace custos {

Status MarkUsed(Vault& vault, const std::vector<Snapshot>& snaps,
                std::unordered_set<BlobId, BlobIdHash>& used) {
  for (const Snapshot& s : snaps) {
    std::vector<BlobId> stack = {s.tree};
    while (!stack.empty()) {
      BlobId id = stack.back();
      stack.pop_back();
      if (!used.insert(id).second) continue;
      auto tree = vault.LoadTree(id);
      if (!tree.ok()) return tree.status().WithContext("snapshot " + s.id.substr(0, 8));
      for (const Node& n : tree->nodes) {
        if (n.subtree) stack.push_back(*n.subtree);
        for (const BlobId& b : n.content) used.insert(b);
      }
    }
  }
  return Status::OK();
}

Result<PruneStats> RunPrune(Vault& vault, const PruneOptions& opts) {
  auto info = [&](const std::string& m) {
    if (opts.on_info) opts.on_info(m);
  };
  PruneStats stats;
  ASSIGN_OR_RETURN(auto old_indexes, vault.ListNames("index/"));
  RETURN_IF_ERROR(vault.LoadIndex());
  std::vector<std::string> damaged;
  ASSIGN_OR_RETURN(auto snaps, vault.ListSnapshots(&damaged));
  if (!damaged.empty()) {
    return Status::Corruption(
        "prune cannot tell what a damaged snapshot references, so it "
        "removes nothing: " +
        damaged[0] + " (remove it with 'custos forget <id>' or repair it first)");
  }
  std::unordered_set<BlobId, BlobIdHash> used;
  RETURN_IF_ERROR(MarkUsed(vault, snaps, used));
  // Every used blob must be in the index, or pruning would be unsafe.
  for (const BlobId& b : used) {
    if (!vault.index().Has(b)) {
      return Status::Corruption("blob " + ToHex(b).substr(0, 16) +
                                " is used but missing from the index; run check");
    }
  }

  std::unordered_map<Hash256, uint64_t, BlobIdHash> stored;
  RETURN_IF_ERROR(vault.backend().List("data/", [&](const ObjectInfo& o) {
    auto id = Hash256FromHex(BaseName(o.name));
    if (id.ok() && PackObjectName(*id) == o.name) stored[*id] = o.size;
    return Status::OK();
  }));

  auto packs = vault.index().Snapshot();
  stats.packs_total = packs.size();
  std::vector<PackEntries> keep;
  std::vector<PackEntries> repack;
  std::vector<Hash256> remove;
  std::vector<Hash256> unreferenced;
  std::unordered_set<Hash256, BlobIdHash> indexed;
  for (auto& p : packs) {
    indexed.insert(p.pack.id);
    if (!stored.count(p.pack.id)) {
      return Status::Corruption("pack " + PackObjectName(p.pack.id) +
                                " is named by the index but missing; run check");
    }
    uint64_t used_bytes = 0, unused_bytes = 0;
    for (const auto& b : p.blobs) {
      if (used.count(b.id)) {
        used_bytes += b.length;
        stats.blobs_used++;
      } else {
        unused_bytes += b.length;
        stats.blobs_unused++;
      }
    }
    if (used_bytes == 0) {
      remove.push_back(p.pack.id);
      stats.packs_deleted++;
      stats.bytes_freed += stored[p.pack.id];
    } else if (unused_bytes > (used_bytes + unused_bytes) * opts.max_unused) {
      stats.packs_repacked++;
      stats.bytes_freed += unused_bytes;
      repack.push_back(std::move(p));
    } else {
      keep.push_back(std::move(p));
    }
  }
  for (const auto& [id, size] : stored) {
    if (!indexed.count(id)) {
      unreferenced.push_back(id);
      stats.packs_unreferenced++;
      stats.bytes_freed += size;
    }
  }
  // Leftovers of killed writers. Younger ones may belong to a process that is
  // just now trying to take a lock, so they are left for a later prune.
  if (!opts.dry_run) {
    auto n = vault.backend().RemoveIncomplete(std::chrono::seconds(30));
    if (!n.ok()) return n.status();
    stats.incomplete_removed = *n;
  }
  info("packs: " + std::to_string(stats.packs_total) + " indexed, " +
       std::to_string(stats.packs_deleted) + " unused, " + std::to_string(stats.packs_repacked) +
       " to repack, " + std::to_string(stats.packs_unreferenced) + " unreferenced");
  if (opts.dry_run) return stats;
  auto remove_packs = [&](const std::vector<Hash256>& ids) {
    for (const auto& id : ids) {
      Status st = vault.backend().Remove(PackObjectName(id));
      if (!st.ok() && !st.IsNotFound()) return st.WithContext(PackObjectName(id));
    }
    return Status::OK();
  };

  // 2. Packs no index names (what a failed or killed backup left) go first:
  // nothing refers to them, and removing them frees room for the index
  // written below, when a full disk is why prune runs.
  RETURN_IF_ERROR(remove_packs(unreferenced));
  // The indexes change only when an indexed pack goes or is repacked.
  if (remove.empty() && repack.empty()) return stats;

  // 3. Repack the used blobs of partly used packs.
  if (!repack.empty()) {
    BlobSaver saver(vault, BlobSaverOptions{.index_every_packs = 1u << 30});
    for (const auto& p : repack) {
      std::string name = PackObjectName(p.pack.id);
      ASSIGN_OR_RETURN(Bytes bytes, LoadBytes(vault.backend(), name));
      auto parsed = ParsePack(vault.master().encryption, p.pack.id, bytes);
      if (!parsed.ok()) return parsed.status().WithContext("pack " + name);
      Key256 key = PackKey(vault.master().encryption, p.pack.salt);
      for (const auto& b : p.blobs) {
        if (!used.count(b.id)) continue;
        Bytes plain;
        Status st = OpenBlobWithKey(key, b, ByteView(bytes).subspan(b.offset, b.length), plain);
        if (st.ok() && vault.BlobIdOf(plain) != b.id)
          st = Status::Corruption("content does not match its id");
        if (!st.ok()) return st.WithContext("pack " + name + ", blob " + ToHex(b.id).substr(0, 16));
        saver.SaveBlob(b.type, b.id, std::move(plain));
      }
      SecureWipe(key.data(), key.size());
      RETURN_IF_ERROR(saver.status());
      remove.push_back(p.pack.id);
    }
    RETURN_IF_ERROR(saver.Finish());
  }
  // 4. One index for every kept pack (the saver indexed the new ones).
  if (!keep.empty()) {
    auto name = vault.SaveIndex(keep);
    if (!name.ok()) return name.status();
  }
  // 5. Old indexes go before any pack they name.
  for (const auto& n : old_indexes) {
    Status st = vault.backend().Remove(n);
    if (!st.ok() && !st.IsNotFound()) return st.WithContext(n);
  }
  // 6. Packs the old indexes named that nothing uses any more.
  RETURN_IF_ERROR(remove_packs(remove));
  return stats;
}

}  // namespace custos
