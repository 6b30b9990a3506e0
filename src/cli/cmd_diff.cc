// custos diff SNAP1 SNAP2: what changed between two snapshots.
#include <cstdio>

#include "cli/common.h"

namespace custos::cli {

namespace {
struct DiffArgs {
  std::string a, b;
};

struct DiffStats {
  uint64_t added = 0, removed = 0, modified = 0, metadata = 0;
};

bool SameMeta(const Node& x, const Node& y) {
  return x.mode == y.mode && x.uid == y.uid && x.gid == y.gid && x.mtime_ns == y.mtime_ns &&
         x.link_target == y.link_target;
}

Status DiffTrees(Vault& v, const std::string& dir, const std::optional<BlobId>& ta,
                 const std::optional<BlobId>& tb, nlohmann::json& out, DiffStats& stats,
                 bool json) {
  if (ta && tb && *ta == *tb) return Status::OK();
  Tree a, b;
  if (ta) {
    ASSIGN_OR_RETURN(a, v.LoadTree(*ta));
  }
  if (tb) {
    ASSIGN_OR_RETURN(b, v.LoadTree(*tb));
  }
  auto emit = [&](char what, const std::string& path) {
    if (json)
      out.push_back({{"change", std::string(1, what)}, {"path", path}});
    else
      std::printf("%c    %s\n", what, path.c_str());
  };
  size_t i = 0, j = 0;
  while (i < a.nodes.size() || j < b.nodes.size()) {
    int cmp = i == a.nodes.size()   ? 1
              : j == b.nodes.size() ? -1
                                    : a.nodes[i].name.compare(b.nodes[j].name);
    const Node* x = cmp <= 0 ? &a.nodes[i] : nullptr;
    const Node* y = cmp >= 0 ? &b.nodes[j] : nullptr;
    std::string path = (dir == "/" ? "/" : dir + "/") + (x ? x->name : y->name);
    if (x && !y) {
      emit('-', path);
      stats.removed++;
      if (x->subtree)
        RETURN_IF_ERROR(DiffTrees(v, path, x->subtree, std::nullopt, out, stats, json));
    } else if (y && !x) {
      emit('+', path);
      stats.added++;
      if (y->subtree)
        RETURN_IF_ERROR(DiffTrees(v, path, std::nullopt, y->subtree, out, stats, json));
    } else if (x->type != y->type) {
      emit('T', path);
      stats.modified++;
    } else if (x->type == NodeType::kDir) {
      if (!SameMeta(*x, *y)) {
        emit('U', path);
        stats.metadata++;
      }
      RETURN_IF_ERROR(DiffTrees(v, path, x->subtree, y->subtree, out, stats, json));
    } else if (x->content != y->content || x->size != y->size || x->link_target != y->link_target) {
      emit('M', path);
      stats.modified++;
    } else if (!SameMeta(*x, *y)) {
      emit('U', path);
      stats.metadata++;
    }
    if (cmp <= 0) ++i;
    if (cmp >= 0) ++j;
  }
  return Status::OK();
}

int RunDiff(const GlobalOptions& g, const DiffArgs& args) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, false);
  if (!lock.ok()) return Fail(lock.status());
  Status st = v.LoadIndex();
  if (!st.ok()) return Fail(st);
  auto a = v.FindSnapshot(args.a);
  if (!a.ok()) return Fail(a.status());
  auto b = v.FindSnapshot(args.b);
  if (!b.ok()) return Fail(b.status());
  nlohmann::json changes = nlohmann::json::array();
  DiffStats stats;
  if (!g.json)
    std::printf("comparing snapshot %s to %s:\n\n", a->id.substr(0, 8).c_str(),
                b->id.substr(0, 8).c_str());
  st = DiffTrees(v, "/", a->tree, b->tree, changes, stats, g.json);
  if (!st.ok()) return Fail(st);
  if (g.json) {
    PrintJson({{"from", a->id},
               {"to", b->id},
               {"changes", changes},
               {"stats",
                {{"added", stats.added},
                 {"removed", stats.removed},
                 {"modified", stats.modified},
                 {"metadata", stats.metadata}}}});
  } else {
    std::printf("\nadded: %llu, removed: %llu, modified: %llu, metadata only: %llu\n",
                (unsigned long long)stats.added, (unsigned long long)stats.removed,
                (unsigned long long)stats.modified, (unsigned long long)stats.metadata);
  }
  return kExitOk;
}
}  // namespace

void RegisterDiff(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<DiffArgs>();
  CLI::App* cmd = app.add_subcommand("diff", "show differences between two snapshots");
  cmd->add_option("snapshot1", a->a, "older snapshot")->required();
  cmd->add_option("snapshot2", a->b, "newer snapshot")->required();
  cmd->callback([&g, &exit_code, a] { exit_code = RunDiff(g, *a); });
}

}  // namespace custos::cli
