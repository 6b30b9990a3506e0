// Trees: one blob per directory, listing its entries sorted by name.
// Serialised as MessagePack (nlohmann::json) with short keys; see
// docs/vault-format.md.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vault/index.h"

namespace custos {

enum class NodeType : uint8_t { kFile, kDir, kSymlink, kFifo, kCharDev, kBlockDev, kSocket };
const char* NodeTypeName(NodeType t);

struct Node {
  std::string name;
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0, gid = 0;
  std::string user, group;
  int64_t mtime_ns = 0, atime_ns = 0, ctime_ns = 0;
  uint64_t size = 0;
  uint64_t inode = 0, device = 0, links = 1;  // hard-link identity
  uint64_t rdev = 0;                          // device nodes
  std::string link_target;                    // symlinks
  std::vector<BlobId> content;                // files: data blobs in order
  // Sparse files: holes as (offset, length); content covers the data regions
  // in order.
  std::vector<std::pair<uint64_t, uint64_t>> holes;
  std::optional<BlobId> subtree;  // directories
};

struct Tree {
  std::vector<Node> nodes;  // sorted by name
};

Bytes SerializeTree(const Tree& t);
Result<Tree> ParseTree(ByteView data);

}  // namespace custos
