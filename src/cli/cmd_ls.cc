// custos ls SNAPSHOT [PATH]: lists the files in a snapshot.
#include <cstdio>

#include "cli/common.h"
#include "vault/restorer.h"
#include "vault/util.h"

namespace custos::cli {

namespace {
struct LsArgs {
  std::string snapshot;
  std::string path = "/";
  bool long_format = false;
  bool recursive = true;
};

std::string ModeString(const Node& n) {
  std::string s = "?---------";
  switch (n.type) {
    case NodeType::kFile:
      s[0] = '-';
      break;
    case NodeType::kDir:
      s[0] = 'd';
      break;
    case NodeType::kSymlink:
      s[0] = 'l';
      break;
    case NodeType::kFifo:
      s[0] = 'p';
      break;
    case NodeType::kCharDev:
      s[0] = 'c';
      break;
    case NodeType::kBlockDev:
      s[0] = 'b';
      break;
    case NodeType::kSocket:
      s[0] = 's';
      break;
  }
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (n.mode & (1u << (8 - i))) s[1 + i] = rwx[i];
  return s;
}

bool Under(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return true;
  return path == prefix ||
         (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
          path[prefix.size()] == '/');
}

int RunLs(const GlobalOptions& g, const LsArgs& a) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, false);
  if (!lock.ok()) return Fail(lock.status());
  Status st = v.LoadIndex();
  if (!st.ok()) return Fail(st);
  auto snap = v.FindSnapshot(a.snapshot);
  if (!snap.ok()) return Fail(snap.status());
  std::string prefix = a.path;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  nlohmann::json arr = nlohmann::json::array();
  bool found = prefix == "/";
  st = WalkSnapshot(v, snap->tree, [&](const std::string& path, const Node& n) {
    if (!Under(path, prefix)) return Status::OK();
    found = true;
    if (g.json) {
      nlohmann::json j = {{"path", path},
                          {"name", n.name},
                          {"type", NodeTypeName(n.type)},
                          {"mode", n.mode},
                          {"uid", n.uid},
                          {"gid", n.gid},
                          {"user", n.user},
                          {"group", n.group},
                          {"size", n.size},
                          {"mtime", FormatRfc3339(n.mtime_ns)}};
      if (n.type == NodeType::kSymlink) j["link_target"] = n.link_target;
      if (n.links > 1) j["links"] = n.links;
      arr.push_back(std::move(j));
    } else if (a.long_format) {
      std::printf("%s %5u %5u %12llu %s %s%s%s\n", ModeString(n).c_str(), n.uid, n.gid,
                  (unsigned long long)n.size, ShortTime(n.mtime_ns).c_str(), path.c_str(),
                  n.type == NodeType::kSymlink ? " -> " : "",
                  n.type == NodeType::kSymlink ? n.link_target.c_str() : "");
    } else {
      std::printf("%s\n", path.c_str());
    }
    return Status::OK();
  });
  if (!st.ok()) return Fail(st);
  if (!found)
    return Fail(Status::NotFound("no " + prefix + " in snapshot " + snap->id.substr(0, 8)));
  if (g.json) PrintJson(arr);
  return kExitOk;
}
}  // namespace

void RegisterLs(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<LsArgs>();
  CLI::App* cmd = app.add_subcommand("ls", "list files in a snapshot");
  cmd->add_option("snapshot", a->snapshot, "snapshot id or 'latest'")->required();
  cmd->add_option("path", a->path, "only entries at or below this path");
  cmd->add_flag("-l,--long", a->long_format, "show mode, owner, size and mtime");
  cmd->callback([&g, &exit_code, a] { exit_code = RunLs(g, *a); });
}

}  // namespace custos::cli
