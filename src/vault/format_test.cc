// Unit tests of the vault's on-disk formats: sealed objects, packs, indexes,
// trees, snapshots, configs and keys. Each tamper test flips bytes and asserts
// that the damage is reported, never accepted.
#include <gtest/gtest.h>

#include <random>

#include "crypto/hash.h"
#include "vault/config.h"
#include "vault/index.h"
#include "vault/keys.h"
#include "vault/object.h"
#include "vault/pack.h"
#include "vault/snapshot.h"
#include "vault/tree.h"

namespace custos {
namespace {

Key256 TestKey(uint8_t v) {
  Key256 k;
  k.fill(v);
  return k;
}

Bytes Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(Object, RoundTripAndEveryByteFlipIsDetected) {
  Key256 k = TestKey(1);
  std::string body(5000, 'x');  // compressible, so the zstd path is taken
  Bytes sealed = SealObject(k, ObjectType::kIndex, AsBytes(body));
  auto back = OpenObject(k, ObjectType::kIndex, sealed);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(AsString(*back), body);
  EXPECT_TRUE(OpenObject(k, ObjectType::kSnapshot, sealed).status().IsCorruption());
  EXPECT_TRUE(OpenObject(TestKey(2), ObjectType::kIndex, sealed).status().IsCorruption());
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x80;
    EXPECT_TRUE(OpenObject(k, ObjectType::kIndex, bad).status().IsCorruption()) << i;
  }
  for (size_t n : {0ul, 5ul, 22ul, sealed.size() - 1}) {
    EXPECT_TRUE(OpenObject(k, ObjectType::kIndex, ByteView(sealed).first(n)).status().IsCorruption())
        << n;
  }
}

TEST(Object, SameBodyNeverSealsTheSame) {
  Key256 k = TestKey(1);
  EXPECT_NE(SealObject(k, ObjectType::kConfig, AsBytes("a")),
            SealObject(k, ObjectType::kConfig, AsBytes("a")));
}

struct BuiltPack {
  Bytes bytes;
  PackEntries entries;
  std::vector<Bytes> plain;
};

BuiltPack Build(const Key256& k, int blobs, uint32_t seed = 0) {
  PackBuilder b(k);
  b.Start(Bytes());
  BuiltPack out;
  for (int i = 0; i < blobs; ++i) {
    Bytes p = Random(1000 + i * 100, seed * 1000 + i);
    BlobId id = HmacSha256(AsBytes("id"), p);
    b.Add(i % 2 ? BlobType::kTree : BlobType::kData, id, p, static_cast<uint32_t>(p.size()), false);
    out.plain.push_back(p);
  }
  out.entries = b.Finish(&out.bytes);
  return out;
}

TEST(Pack, BuildParseAndOpenEveryBlob) {
  Key256 k = TestKey(3);
  BuiltPack p = Build(k, 5);
  EXPECT_EQ(p.entries.pack.id, Sha256(p.bytes));
  auto parsed = ParsePack(k, p.entries.pack.id, p.bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->blobs.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const BlobEntry& e = parsed->blobs[i];
    EXPECT_EQ(e.offset, p.entries.blobs[i].offset);
    Bytes plain;
    ASSERT_TRUE(OpenBlob(k, parsed->pack, e, ByteView(p.bytes).subspan(e.offset, e.length), plain).ok());
    EXPECT_EQ(plain, p.plain[i]);
    Bytes scratch, out;
    auto view = OpenBlobInto(PackKey(k, parsed->pack.salt), e,
                             ByteView(p.bytes).subspan(e.offset, e.length), scratch, out);
    ASSERT_TRUE(view.ok());
    EXPECT_TRUE(std::equal(view->begin(), view->end(), p.plain[i].begin(), p.plain[i].end()));
  }
}

TEST(Pack, FlippedBytesAreCaught) {
  Key256 k = TestKey(3);
  BuiltPack p = Build(k, 3);
  // Any flip changes the SHA-256 and so fails ParsePack.
  for (size_t i = 0; i < p.bytes.size(); i += 97) {
    Bytes bad = p.bytes;
    bad[i] ^= 1;
    EXPECT_TRUE(ParsePack(k, p.entries.pack.id, bad).status().IsCorruption()) << i;
  }
  // A flip inside a blob is caught by the AEAD even without the pack hash.
  const BlobEntry& e = p.entries.blobs[1];
  Bytes bad = p.bytes;
  bad[e.offset + 7] ^= 1;
  Bytes plain;
  EXPECT_TRUE(OpenBlob(k, p.entries.pack, e, ByteView(bad).subspan(e.offset, e.length), plain)
                  .IsCorruption());
  // A blob presented under another id or type fails authentication.
  BlobEntry moved = e;
  moved.id[0] ^= 1;
  EXPECT_TRUE(OpenBlob(k, p.entries.pack, moved, ByteView(p.bytes).subspan(e.offset, e.length),
                       plain).IsCorruption());
  BlobEntry retyped = e;
  retyped.type = BlobType::kData;
  EXPECT_TRUE(OpenBlob(k, p.entries.pack, retyped, ByteView(p.bytes).subspan(e.offset, e.length),
                       plain).IsCorruption());
  EXPECT_TRUE(ParsePack(k, p.entries.pack.id, ByteView(p.bytes).first(10)).status().IsCorruption());
}

TEST(Index, RoundTripAndTruncation) {
  Key256 k = TestKey(4);
  std::vector<PackEntries> packs = {Build(k, 3, 1).entries, Build(k, 2, 2).entries};
  Bytes ser = SerializeIndex(packs);
  auto back = ParseIndex(ser);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].blobs.size(), 3u);
  EXPECT_EQ((*back)[1].pack.id, packs[1].pack.id);
  EXPECT_EQ((*back)[0].blobs[2].id, packs[0].blobs[2].id);
  for (size_t n = 0; n < ser.size(); n += 13) {
    EXPECT_TRUE(ParseIndex(ByteView(ser).first(n)).status().IsCorruption()) << n;
  }
  Bytes longer = ser;
  longer.push_back(0);
  EXPECT_TRUE(ParseIndex(longer).status().IsCorruption());

  Index idx;
  for (const auto& p : packs) idx.Add(p);
  EXPECT_EQ(idx.blob_count(), 5u);
  EXPECT_EQ(idx.pack_count(), 2u);
  auto loc = idx.Find(packs[1].blobs[0].id);
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(idx.Pack(loc->pack).id, packs[1].pack.id);
  EXPECT_FALSE(idx.Has(BlobId{}));
}

TEST(Tree, RoundTripKeepsEveryField) {
  Tree t;
  Node f;
  f.name = "caf\xc3\xa9 \xf0\x9f\x93\x9a \xff raw";  // UTF-8 and a non-UTF-8 byte
  f.type = NodeType::kFile;
  f.mode = 04755;
  f.uid = 1234;
  f.gid = 5678;
  f.user = "ann";
  f.mtime_ns = -631152000123456789;  // before 1970
  f.size = 3ull << 32;
  f.inode = 99;
  f.device = 7;
  f.links = 2;
  f.content = {BlobId{}, HmacSha256(AsBytes("k"), AsBytes("x"))};
  f.holes = {{0, 4096}, {1ull << 33, 1ull << 20}};
  Node l;
  l.name = "link";
  l.type = NodeType::kSymlink;
  l.link_target = "../dangling/target";
  Node d;
  d.name = "dir";
  d.type = NodeType::kDir;
  d.subtree = HmacSha256(AsBytes("k"), AsBytes("tree"));
  t.nodes = {f, l, d};
  auto back = ParseTree(SerializeTree(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->nodes.size(), 3u);
  const Node& g = back->nodes[0];
  EXPECT_EQ(g.name, f.name);
  EXPECT_EQ(g.mode, f.mode);
  EXPECT_EQ(g.uid, 1234u);
  EXPECT_EQ(g.mtime_ns, f.mtime_ns);
  EXPECT_EQ(g.size, f.size);
  EXPECT_EQ(g.links, 2u);
  EXPECT_EQ(g.inode, 99u);
  EXPECT_EQ(g.content, f.content);
  EXPECT_EQ(g.holes, f.holes);
  EXPECT_EQ(back->nodes[1].link_target, l.link_target);
  EXPECT_EQ(back->nodes[2].subtree, d.subtree);
}

TEST(Tree, HostileNamesAreRejected) {
  for (const char* name : {"", ".", "..", "a/b", "/etc"}) {
    Tree t;
    Node n;
    n.name = name;
    t.nodes = {n};
    EXPECT_TRUE(ParseTree(SerializeTree(t)).status().IsCorruption()) << name;
  }
}

TEST(Snapshot, RoundTrip) {
  Snapshot s;
  s.time_ns = 1795000000123456789;
  s.tree = HmacSha256(AsBytes("k"), AsBytes("t"));
  s.paths = {"/srv/records"};
  s.tags = {"nightly"};
  s.hostname = "h";
  s.trigger = "before-maintenance";
  s.parent = "abcd";
  s.summary.files_new = 5;
  auto back = ParseSnapshot(SerializeSnapshot(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->time_ns, s.time_ns);
  EXPECT_EQ(back->tree, s.tree);
  EXPECT_EQ(back->paths, s.paths);
  EXPECT_EQ(back->trigger, "before-maintenance");
  EXPECT_EQ(*back->parent, "abcd");
  EXPECT_EQ(back->summary.files_new, 5u);
  EXPECT_TRUE(ParseSnapshot(AsBytes("{\"time\": 3}")).status().IsCorruption());
}

TEST(Config, RoundTripAndValidation) {
  VaultConfig c = VaultConfig::New();
  c.compression = 7;
  auto back = ParseConfig(SerializeConfig(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, c.id);
  EXPECT_EQ(back->chunker_seed, c.chunker_seed);
  EXPECT_EQ(back->compression, 7);
  Bytes serialized = SerializeConfig(c);
  std::string newer(AsString(serialized));
  newer.replace(newer.find("\"version\":1"), 11, "\"version\":9");
  EXPECT_EQ(ParseConfig(AsBytes(newer)).status().code(), Code::kUnsupported);
  c.pack_size = 10;
  EXPECT_TRUE(ParseConfig(SerializeConfig(c)).status().IsCorruption());
}

TEST(Keys, PassphraseAndKeyFile) {
  MasterKey m = MasterKey::Generate();
  KdfParams cheap{1, 64 * 1024};
  Secret pw{Secret::Kind::kPassphrase, "hunter2"};
  auto obj = WrapMasterKey(m, pw, cheap);
  ASSERT_TRUE(obj.ok());
  auto back = UnwrapMasterKey(*obj, pw);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->encryption, m.encryption);
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(UnwrapMasterKey(*obj, {Secret::Kind::kPassphrase, "hunter3"}).status().code(),
            Code::kWrongPassword);
  EXPECT_EQ(UnwrapMasterKey(*obj, {Secret::Kind::kKeyFile, std::string(40, 'k')}).status().code(),
            Code::kWrongPassword);
  Secret kf{Secret::Kind::kKeyFile, std::string(32, 'z')};
  auto kobj = WrapMasterKey(m, kf, cheap);
  ASSERT_TRUE(kobj.ok());
  EXPECT_TRUE(UnwrapMasterKey(*kobj, kf).ok());
  // A key file ending in zero bytes must not be opened by its truncation.
  Secret zero_tail{Secret::Kind::kKeyFile, std::string(40, 'q') + std::string(3, '\0')};
  auto zobj = WrapMasterKey(m, zero_tail, cheap);
  ASSERT_TRUE(zobj.ok());
  EXPECT_EQ(UnwrapMasterKey(*zobj, {Secret::Kind::kKeyFile, std::string(40, 'q')}).status().code(),
            Code::kWrongPassword);
  EXPECT_EQ(WrapMasterKey(m, {Secret::Kind::kKeyFile, "short"}, cheap).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(UnwrapMasterKey(AsBytes("{not json"), pw).status().IsCorruption());
  auto info = ParseKeyInfo(*kobj);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, "keyfile");
}

// Parsers meet arbitrary bytes: they must return an error or a value, never
// crash, hang or read out of bounds (the sanitizer build checks the latter).
TEST(ParserFuzz, MutatedInputsNeverCrash) {
  Key256 k = TestKey(5);
  Tree t;
  Node n;
  n.name = "file";
  n.content = {BlobId{}};
  t.nodes = {n};
  Snapshot s;
  s.paths = {"/x"};
  std::vector<Bytes> seeds = {SerializeTree(t), SerializeSnapshot(s),
                              SerializeIndex({Build(k, 2).entries}),
                              SerializeConfig(VaultConfig::New()), Build(k, 2).bytes,
                              SealObject(k, ObjectType::kIndex, AsBytes("x"))};
  std::mt19937 rng(42);
  for (const Bytes& seed : seeds) {
    for (int iter = 0; iter < 2000; ++iter) {
      Bytes m = seed;
      int flips = 1 + rng() % 8;
      for (int f = 0; f < flips && !m.empty(); ++f) {
        switch (rng() % 4) {
          case 0: m[rng() % m.size()] ^= static_cast<uint8_t>(1 + rng() % 255); break;
          case 1: m.resize(rng() % (m.size() + 1)); break;
          case 2: m.insert(m.begin() + rng() % (m.size() + 1), static_cast<uint8_t>(rng())); break;
          case 3: m[rng() % m.size()] = 0xff; break;
        }
      }
      (void)ParseTree(m);
      (void)ParseSnapshot(m);
      (void)ParseIndex(m);
      (void)ParseConfig(m);
      (void)ParseKeyInfo(m);
      (void)OpenObject(k, ObjectType::kIndex, m);
      (void)ParsePack(k, Sha256(m), m);
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace custos
