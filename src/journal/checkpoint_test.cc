#include "journal/checkpoint.h"

#include <gtest/gtest.h>

#include <random>

#include "journal/merkle_verify.h"

namespace custos::journal {
namespace {

constexpr std::string_view kOrigin = "custos.example/audit";

struct Keys {
  NoteSigner signer;
  NoteVerifier verifier;
};

Keys MakeKeys(std::string_view name) {
  auto pair = GenerateNoteKey(name);
  EXPECT_TRUE(pair.ok());
  auto s = ParseNoteSigner(pair->signer_key);
  auto v = ParseNoteVerifier(pair->verifier_key);
  EXPECT_TRUE(s.ok() && v.ok());
  return {std::move(s).value(), std::move(v).value()};
}

std::vector<Hash> Leaves(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash> out(n);
  for (auto& h : out) {
    uint64_t v = rng();
    h = HashLeaf(ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  }
  return out;
}

TEST(Checkpoint, ParsesTheSpecificationExample) {
  auto c = ParseCheckpoint(
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(c->size, 20852163u);
  EXPECT_EQ(ToBase64(c->root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_TRUE(c->extensions.empty());
}

TEST(Checkpoint, FormatParseRoundTrip) {
  Checkpoint c{"custos.example/audit", 0, EmptyRoot(), {}};
  auto text = FormatCheckpoint(c);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "custos.example/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
  EXPECT_EQ(*ParseCheckpoint(*text), c);
  c.size = ~uint64_t{0};
  c.root = HashLeaf(AsBytes("x"));
  c.extensions = {"ext one", "\xC3\xA9t\xC3\xA9"};
  text = FormatCheckpoint(c);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\n18446744073709551615\n"), std::string::npos);
  EXPECT_EQ(*ParseCheckpoint(*text), c);
}

TEST(Checkpoint, FormatRefusesBadLines) {
  Hash r = EmptyRoot();
  for (const Checkpoint& bad : {Checkpoint{"", 1, r, {}}, Checkpoint{"a\nb", 1, r, {}},
                                Checkpoint{"a\x01", 1, r, {}}, Checkpoint{"\xFF", 1, r, {}},
                                Checkpoint{"ok", 1, r, {""}}, Checkpoint{"ok", 1, r, {"x\ny"}}}) {
    EXPECT_EQ(FormatCheckpoint(bad).status().code(), Code::kInvalidArgument) << bad.origin;
  }
}

TEST(Checkpoint, ParseIsStrict) {
  const std::string root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  auto parse = [&](const std::string& t) { return ParseCheckpoint(t); };
  EXPECT_TRUE(parse("o\n0\n" + root + "\n").ok());
  EXPECT_TRUE(parse("o\n18446744073709551615\n" + root + "\n").ok());
  EXPECT_TRUE(parse("o\n5\n" + root + "\next\n").ok());
  for (const std::string& bad : std::vector<std::string>{
           "o\n5\n" + root,                            // no final newline
           "o\n5\n",                                   // no root
           "\n5\n" + root + "\n",                      // empty origin
           "o\n05\n" + root + "\n",                    // leading zero
           "o\n00\n" + root + "\n",                    // leading zero
           "o\n+5\n" + root + "\n",                    // sign
           "o\n-1\n" + root + "\n",                    // negative
           "o\n 5\n" + root + "\n",                    // space
           "o\n5 \n" + root + "\n",                    // space
           "o\n0x5\n" + root + "\n",                   // hex
           "o\n18446744073709551616\n" + root + "\n",  // 2^64
           "o\n99999999999999999999999\n" + root + "\n",
           "o\n\n" + root + "\n",                                   // empty size
           "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",   // unpadded
           "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  // padding bits set
           "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",      // 30 bytes
           "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n",  // 33 bytes
           "o\n5\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",  // URL alphabet
           "o\n5\n " + root + "\n",                                 // leading space
           "o\n5\n" + root + "\n\n",                                // empty extension line
           "o\n5\n" + root + "\n\next\n",             // empty line before an extension
           "o\r\n5\n" + root + "\n",                  // CR
           "o\xFF\n5\n" + root + "\n",                // invalid UTF-8
           std::string("o\0\n5\n", 5) + root + "\n",  // NUL
       }) {
    auto c = parse(bad);
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(Checkpoint, SignAndOpen) {
  Keys log = MakeKeys(kOrigin), witness = MakeKeys("witness.example/w1"),
       stranger = MakeKeys(kOrigin);
  Checkpoint c{std::string(kOrigin), 12345, HashLeaf(AsBytes("root")), {}};
  auto note = SignCheckpoint(c, log.signer);
  ASSERT_TRUE(note.ok());
  auto opened = OpenCheckpoint(*note, log.verifier, kOrigin);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, c);

  // Another origin, another key of the same name, an unsigned body.
  auto wrong_origin = OpenCheckpoint(*note, log.verifier, "custos.example/other");
  EXPECT_EQ(wrong_origin.status().code(), Code::kCorruption);
  EXPECT_NE(wrong_origin.status().message().find("expected"), std::string::npos);
  EXPECT_EQ(OpenCheckpoint(*note, stranger.verifier, kOrigin).status().code(), Code::kCorruption);
  EXPECT_EQ(OpenCheckpoint(*FormatCheckpoint(c), log.verifier, kOrigin).status().code(),
            Code::kInvalidArgument);

  // A cosignature from a witness is ignored; the log's own is still needed.
  auto text = FormatCheckpoint(c);
  const NoteSigner* both[] = {&log.signer, &witness.signer};
  auto cosigned = SignNote(*text, both);
  ASSERT_TRUE(cosigned.ok());
  EXPECT_TRUE(OpenCheckpoint(*cosigned, log.verifier, kOrigin).ok());
  auto witness_only = SignNote(*text, witness.signer);
  EXPECT_EQ(OpenCheckpoint(*witness_only, log.verifier, kOrigin).status().code(),
            Code::kCorruption);

  // A signed note whose text is not a checkpoint.
  auto not_cp = SignNote("hello\n", log.signer);
  EXPECT_EQ(OpenCheckpoint(*not_cp, log.verifier, kOrigin).status().code(), Code::kInvalidArgument);
}

// The inclusion verifier cannot tell apart tree sizes whose path shapes are
// equal (merkle_verify_test); the checkpoint signature is what binds a size
// to its root. Relabelling a signed checkpoint with such a size must fail.
TEST(Checkpoint, SignatureBindsSizeAndRoot) {
  Keys log = MakeKeys(kOrigin);
  MerkleTree tree;
  tree.AppendBatch(Leaves(6, 3));
  Checkpoint c{std::string(kOrigin), 5, *tree.Root(5), {}};
  auto note = SignCheckpoint(c, log.signer);
  ASSERT_TRUE(note.ok());
  Hash leaf0 = *tree.LeafHash(0);
  auto proof = *tree.InclusionProof(0, 5);
  // Leaf 0 of 5 and of 6 have the same path shape: the bare verifier accepts
  // the relabelled size with the size-5 root...
  ASSERT_TRUE(VerifyInclusion(leaf0, 0, 6, proof, c.root).ok());
  // ...but the signed checkpoint cannot be relabelled.
  std::string relabelled = *note;
  relabelled.replace(relabelled.find("\n5\n"), 3, "\n6\n");
  EXPECT_EQ(OpenCheckpoint(relabelled, log.verifier, kOrigin).status().code(), Code::kCorruption);
}

TEST(Checkpoint, ConsistencyBetweenCheckpoints) {
  std::vector<Hash> leaves = Leaves(40, 8);
  MerkleTree tree;
  tree.AppendBatch(leaves);
  Checkpoint old_cp{std::string(kOrigin), 13, *tree.Root(13), {}};
  Checkpoint new_cp{std::string(kOrigin), 37, *tree.Root(37), {}};
  auto proof = *tree.ConsistencyProof(13, 37);
  EXPECT_TRUE(VerifyCheckpointConsistency(old_cp, new_cp, proof).ok());
  EXPECT_EQ(VerifyCheckpointConsistency(new_cp, old_cp, proof).code(), Code::kInvalidArgument);
  Checkpoint other_log = new_cp;
  other_log.origin = "custos.example/other";
  EXPECT_EQ(VerifyCheckpointConsistency(old_cp, other_log, proof).code(), Code::kCorruption);
  // A fork: same first 13 leaves, different later ones.
  std::vector<Hash> forked = leaves;
  forked[20] = HashLeaf(AsBytes("rewritten"));
  MerkleTree fork;
  fork.AppendBatch(forked);
  Checkpoint fork_cp{std::string(kOrigin), 37, *fork.Root(37), {}};
  EXPECT_EQ(VerifyCheckpointConsistency(old_cp, fork_cp, proof).code(), Code::kCorruption);
  EXPECT_EQ(VerifyCheckpointConsistency(old_cp, fork_cp, *fork.ConsistencyProof(13, 37)).code(),
            Code::kOk);  // the fork is consistent with the shared prefix...
  EXPECT_EQ(VerifyCheckpointConsistency(fork_cp, new_cp, {}).code(), Code::kCorruption);
}

}  // namespace
}  // namespace custos::journal
