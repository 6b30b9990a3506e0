#include "vault/vault.h"

#include <algorithm>

#include "vault/pack.h"

namespace custos {

const char* const kCustosVersion = "0.1.0";

std::string BaseName(const std::string& name) {
  size_t pos = name.rfind('/');
  return pos == std::string::npos ? name : name.substr(pos + 1);
}

Vault::Vault(std::unique_ptr<Backend> backend, MasterKey master, VaultConfig config,
             std::string key_name)
    : backend_(std::move(backend)),
      master_(master),
      config_(std::move(config)),
      key_name_(std::move(key_name)),
      chunker_(std::make_unique<Chunker>(config_.chunker, config_.chunker_seed)),
      id_hmac_(std::make_unique<Hmac>(master_.id)) {}

Vault::~Vault() { master_.Wipe(); }

Result<std::unique_ptr<Vault>> Vault::Init(std::unique_ptr<Backend> backend, const Secret& secret,
                                           const InitOptions& options) {
  RETURN_IF_ERROR(options.config.Validate());
  RETURN_IF_ERROR(backend->Create());
  auto existing = backend->Stat("config");
  if (existing.ok()) {
    return Status::AlreadyExists("a vault already exists at " + backend->Location());
  }
  if (!existing.status().IsNotFound()) return existing.status();
  MasterKey master = MasterKey::Generate();
  ASSIGN_OR_RETURN(Bytes key_obj, WrapMasterKey(master, secret, options.kdf));
  std::string key_name = "keys/" + ToHex(Sha256(key_obj));
  // The key goes first: a config without any key would be a vault nobody can open.
  RETURN_IF_ERROR(SaveBytes(*backend, key_name, key_obj));
  Bytes config =
      SealObject(master.encryption, ObjectType::kConfig, SerializeConfig(options.config));
  RETURN_IF_ERROR(SaveBytes(*backend, "config", config));
  return std::unique_ptr<Vault>(new Vault(std::move(backend), master, options.config, key_name));
}

Result<std::unique_ptr<Vault>> Vault::Open(std::unique_ptr<Backend> backend, const Secret& secret) {
  auto cfg = LoadBytes(*backend, "config");
  if (!cfg.ok()) {
    if (cfg.status().IsNotFound()) {
      // Keep the backend's reason: "the bucket 'x' does not exist" says more
      // than a missing config.
      return Status::NotFound("no vault at " + backend->Location() + " (config not found: " +
                              cfg.status().message() + ")");
    }
    return cfg.status().WithContext("config");
  }
  std::vector<std::string> keys;
  RETURN_IF_ERROR(backend->List("keys/", [&](const ObjectInfo& o) {
    keys.push_back(o.name);
    return Status::OK();
  }));
  std::sort(keys.begin(), keys.end());
  if (keys.empty()) return Status::Corruption("vault at " + backend->Location() + " has no keys");
  std::vector<std::string> damaged;
  Status last = Status::WrongPassword("wrong password or key file: no key of the vault opens");
  for (const auto& name : keys) {
    auto bytes = LoadBytes(*backend, name);
    if (!bytes.ok()) {
      damaged.push_back(name + ": " + bytes.status().message());
      continue;
    }
    if (ToHex(Sha256(*bytes)) != BaseName(name)) {
      damaged.push_back(name + ": content does not match its name (SHA-256)");
      continue;
    }
    auto master = UnwrapMasterKey(*bytes, secret);
    if (!master.ok()) {
      if (master.status().IsCorruption())
        damaged.push_back(name + ": " + master.status().message());
      if (master.status().code() == Code::kInvalidArgument) return master.status();
      continue;
    }
    auto body = OpenObject(master->encryption, ObjectType::kConfig, *cfg);
    if (!body.ok()) return body.status().WithContext("config");
    auto config = ParseConfig(*body);
    if (!config.ok()) return config.status();
    return std::unique_ptr<Vault>(new Vault(std::move(backend), *master, *config, name));
  }
  if (!damaged.empty()) {
    std::string msg = "no key opened the vault; damaged key objects: ";
    for (size_t i = 0; i < damaged.size(); ++i) msg += (i ? "; " : "") + damaged[i];
    return Status::Corruption(msg);
  }
  return last;
}

Result<std::string> Vault::SaveObject(ObjectType type, std::string_view dir, ByteView body) {
  Bytes sealed = SealObject(master_.encryption, type, body);
  Hash256 h = Sha256(sealed);
  std::string name = std::string(dir) + "/" + ToHex(h);
  BufferSource src(sealed, h);
  RETURN_IF_ERROR(backend_->Save(name, src).WithContext(name));
  return name;
}

Result<Bytes> Vault::LoadObject(ObjectType type, const std::string& name) {
  auto sealed = LoadBytes(*backend_, name);
  if (!sealed.ok()) return sealed.status().WithContext(name);
  if (name != "config" && ToHex(Sha256(*sealed)) != BaseName(name)) {
    return Status::Corruption(name + ": content does not match its name (SHA-256)");
  }
  auto body = OpenObject(master_.encryption, type, *sealed);
  if (!body.ok()) return body.status().WithContext(name);
  return body;
}

Result<std::vector<std::string>> Vault::ListNames(const std::string& prefix) {
  std::vector<std::string> names;
  RETURN_IF_ERROR(backend_->List(prefix, [&](const ObjectInfo& o) {
    names.push_back(o.name);
    return Status::OK();
  }));
  std::sort(names.begin(), names.end());
  return names;
}

Status Vault::LoadIndex(std::vector<std::string>* damaged) {
  ASSIGN_OR_RETURN(auto names, ListNames("index/"));
  for (const auto& name : names) {
    auto body = LoadObject(ObjectType::kIndex, name);
    Result<std::vector<PackEntries>> packs =
        body.ok() ? ParseIndex(*body) : Result<std::vector<PackEntries>>(body.status());
    if (!packs.ok()) {
      Status st = packs.status();
      if (st.message().rfind(name, 0) != 0) st = st.WithContext(name);
      if (!damaged) return st;
      damaged->push_back(st.message());
      continue;
    }
    for (const auto& p : *packs) index_.Add(p);
  }
  return Status::OK();
}

Result<std::string> Vault::SaveIndex(const std::vector<PackEntries>& packs) {
  return SaveObject(ObjectType::kIndex, "index", SerializeIndex(packs));
}

Result<Bytes> Vault::LoadBlob(const BlobId& id, BlobType type) {
  auto loc = index_.Find(id);
  if (!loc) return Status::NotFound("blob " + ToHex(id).substr(0, 16) + " is not in the index");
  if (loc->entry.type != type)
    return Status::Corruption("blob " + ToHex(id).substr(0, 16) + " has the wrong type");
  PackRef pack = index_.Pack(loc->pack);
  std::string pack_name = PackObjectName(pack.id);
  auto sealed = LoadBytes(*backend_, pack_name, loc->entry.offset, loc->entry.length);
  if (!sealed.ok()) return sealed.status().WithContext(pack_name);
  Bytes plain;
  Status st = OpenBlob(master_.encryption, pack, loc->entry, *sealed, plain);
  if (st.ok() && BlobIdOf(plain) != id) st = Status::Corruption("content does not match its id");
  if (!st.ok()) {
    return st.WithContext("pack " + pack_name + ", blob " + ToHex(id).substr(0, 16));
  }
  return plain;
}

Result<Tree> Vault::LoadTree(const BlobId& id) {
  ASSIGN_OR_RETURN(Bytes data, LoadBlob(id, BlobType::kTree));
  auto tree = ParseTree(data);
  if (!tree.ok()) return tree.status().WithContext("tree " + ToHex(id).substr(0, 16));
  return tree;
}

Result<std::vector<Snapshot>> Vault::ListSnapshots(std::vector<std::string>* damaged) {
  ASSIGN_OR_RETURN(auto names, ListNames("snapshots/"));
  std::vector<Snapshot> out;
  for (const auto& name : names) {
    auto body = LoadObject(ObjectType::kSnapshot, name);
    Result<Snapshot> s = body.ok() ? ParseSnapshot(*body) : Result<Snapshot>(body.status());
    if (!s.ok()) {
      Status st = s.status();
      if (st.message().rfind(name, 0) != 0) st = st.WithContext(name);
      if (!damaged) return st;
      damaged->push_back(st.message());
      continue;
    }
    s->id = BaseName(name);
    out.push_back(std::move(*s));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Snapshot& a, const Snapshot& b) { return a.time_ns < b.time_ns; });
  return out;
}

Result<std::string> Vault::ResolveSnapshotName(const std::string& ref) {
  if (ref.size() < 4 || ref.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument("snapshot id must be 'latest' or at least 4 hex digits");
  }
  ASSIGN_OR_RETURN(auto names, ListNames("snapshots/" + ref.substr(0, 2)));
  std::vector<std::string> matches;
  for (const auto& n : names)
    if (BaseName(n).rfind(ref, 0) == 0) matches.push_back(n);
  if (matches.empty()) return Status::NotFound("no snapshot " + ref);
  if (matches.size() > 1) return Status::InvalidArgument("snapshot id " + ref + " is ambiguous");
  return matches[0];
}

Result<Snapshot> Vault::FindSnapshot(const std::string& ref) {
  if (ref == "latest") {
    // A damaged snapshot may be the newest one, and its time cannot be read:
    // rather than silently answer with an older snapshot, say so.
    std::vector<std::string> damaged;
    ASSIGN_OR_RETURN(auto all, ListSnapshots(&damaged));
    if (!damaged.empty()) {
      return Status::Corruption("cannot tell which snapshot is the latest: " + damaged[0] +
                                "; name a snapshot by id, or remove the damaged one with "
                                "'custos forget <id>'");
    }
    if (all.empty()) return Status::NotFound("the vault has no snapshots");
    return all.back();
  }
  ASSIGN_OR_RETURN(std::string name, ResolveSnapshotName(ref));
  ASSIGN_OR_RETURN(Bytes body, LoadObject(ObjectType::kSnapshot, name));
  auto s = ParseSnapshot(body);
  if (!s.ok()) return s.status().WithContext(name);
  s->id = BaseName(name);
  return s;
}

Status Vault::SaveSnapshot(Snapshot& s) {
  ASSIGN_OR_RETURN(std::string name,
                   SaveObject(ObjectType::kSnapshot, "snapshots", SerializeSnapshot(s)));
  s.id = BaseName(name);
  return Status::OK();
}

Result<std::string> Vault::AddKey(const Secret& secret, const KdfParams& kdf) {
  ASSIGN_OR_RETURN(Bytes obj, WrapMasterKey(master_, secret, kdf));
  std::string name = "keys/" + ToHex(Sha256(obj));
  RETURN_IF_ERROR(SaveBytes(*backend_, name, obj));
  return name;
}

}  // namespace custos
