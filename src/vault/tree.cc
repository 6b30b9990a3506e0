#include "vault/tree.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace custos {

using json = nlohmann::json;

const char* NodeTypeName(NodeType t) {
  switch (t) {
    case NodeType::kFile:
      return "file";
    case NodeType::kDir:
      return "dir";
    case NodeType::kSymlink:
      return "symlink";
    case NodeType::kFifo:
      return "fifo";
    case NodeType::kCharDev:
      return "chardev";
    case NodeType::kBlockDev:
      return "blockdev";
    case NodeType::kSocket:
      return "socket";
  }
  return "unknown";
}

static json::binary_t Bin(const std::string& s) {
  return json::binary_t(std::vector<uint8_t>(s.begin(), s.end()));
}
static std::string Str(const json& j) {
  const auto& b = j.get_binary();
  return std::string(b.begin(), b.end());
}

Bytes SerializeTree(const Tree& t) {
  json nodes = json::array();
  for (const Node& n : t.nodes) {
    json j = {{"n", Bin(n.name)}, {"t", static_cast<int>(n.type)},
              {"m", n.mode},      {"u", n.uid},
              {"g", n.gid},       {"mt", n.mtime_ns},
              {"at", n.atime_ns}, {"ct", n.ctime_ns},
              {"s", n.size}};
    if (!n.user.empty()) j["un"] = n.user;
    if (!n.group.empty()) j["gn"] = n.group;
    if (n.type == NodeType::kFile) {
      // Identity for change detection and hard links.
      j["i"] = n.inode;
      j["d"] = n.device;
      if (n.links > 1) j["l"] = n.links;
    }
    if (n.rdev) j["r"] = n.rdev;
    if (n.type == NodeType::kSymlink) j["lt"] = Bin(n.link_target);
    if (!n.content.empty()) {
      std::vector<uint8_t> ids(n.content.size() * 32);
      for (size_t i = 0; i < n.content.size(); ++i) {
        std::memcpy(ids.data() + 32 * i, n.content[i].data(), 32);
      }
      j["c"] = json::binary_t(std::move(ids));
    }
    if (!n.holes.empty()) {
      json h = json::array();
      for (auto [off, len] : n.holes) h.push_back({off, len});
      j["h"] = std::move(h);
    }
    if (n.subtree)
      j["st"] = json::binary_t(std::vector<uint8_t>(n.subtree->begin(), n.subtree->end()));
    nodes.push_back(std::move(j));
  }
  json root = {{"v", 1}, {"nodes", std::move(nodes)}};
  return json::to_msgpack(root);
}

Result<Tree> ParseTree(ByteView data) {
  try {
    json root = json::from_msgpack(data.begin(), data.end());
    if (root.at("v").get<int>() != 1) return Status::Corruption("unknown tree version");
    Tree t;
    for (const json& j : root.at("nodes")) {
      Node n;
      n.name = Str(j.at("n"));
      int type = j.at("t").get<int>();
      if (type < 0 || type > static_cast<int>(NodeType::kSocket)) {
        return Status::Corruption("unknown node type");
      }
      n.type = static_cast<NodeType>(type);
      n.mode = j.at("m").get<uint32_t>();
      n.uid = j.at("u").get<uint32_t>();
      n.gid = j.at("g").get<uint32_t>();
      n.mtime_ns = j.at("mt").get<int64_t>();
      n.atime_ns = j.at("at").get<int64_t>();
      n.ctime_ns = j.at("ct").get<int64_t>();
      n.size = j.at("s").get<uint64_t>();
      if (j.contains("un")) n.user = j["un"].get<std::string>();
      if (j.contains("gn")) n.group = j["gn"].get<std::string>();
      if (j.contains("i")) n.inode = j["i"].get<uint64_t>();
      if (j.contains("d")) n.device = j["d"].get<uint64_t>();
      if (j.contains("l")) n.links = j["l"].get<uint64_t>();
      if (j.contains("r")) n.rdev = j["r"].get<uint64_t>();
      if (j.contains("lt")) n.link_target = Str(j["lt"]);
      if (j.contains("c")) {
        const auto& ids = j["c"].get_binary();
        if (ids.size() % 32 != 0) return Status::Corruption("bad content list");
        n.content.resize(ids.size() / 32);
        for (size_t i = 0; i < n.content.size(); ++i) {
          std::memcpy(n.content[i].data(), ids.data() + 32 * i, 32);
        }
      }
      if (j.contains("h")) {
        for (const json& h : j["h"])
          n.holes.emplace_back(h.at(0).get<uint64_t>(), h.at(1).get<uint64_t>());
      }
      if (j.contains("st")) {
        const auto& b = j["st"].get_binary();
        if (b.size() != 32) return Status::Corruption("bad subtree id");
        BlobId id;
        std::memcpy(id.data(), b.data(), 32);
        n.subtree = id;
      }
      if (n.name.empty() || n.name == "." || n.name == ".." ||
          n.name.find('/') != std::string::npos) {
        return Status::Corruption("tree has an invalid entry name");
      }
      t.nodes.push_back(std::move(n));
    }
    return t;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("tree is malformed: ") + e.what());
  }
}

}  // namespace custos
