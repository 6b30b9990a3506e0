#include "journal/tlog_proof.h"

#include <gtest/gtest.h>

#include "journal/merkle_verify.h"

namespace custos::journal {
namespace {

constexpr std::string_view kOrigin = "custos.example/audit";

class TlogProofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pair = GenerateNoteKey(kOrigin);
    ASSERT_TRUE(pair.ok());
    signer_ = std::make_unique<NoteSigner>(ParseNoteSigner(pair->signer_key).value());
    verifier_ = std::make_unique<NoteVerifier>(ParseNoteVerifier(pair->verifier_key).value());
    for (int i = 0; i < 37; ++i) {
      entries_.push_back("entry " + std::to_string(i));
      tree_.Append(HashLeaf(AsBytes(entries_.back())));
    }
  }

  std::string SignedCheckpoint(uint64_t size) {
    Checkpoint c{std::string(kOrigin), size, *tree_.Root(size), {}};
    return SignCheckpoint(c, *signer_).value();
  }

  std::string ProofFile(uint64_t index, uint64_t size, std::optional<Bytes> extra = {}) {
    TlogProof p{std::move(extra), index, *tree_.InclusionProof(index, size),
                SignedCheckpoint(size)};
    return FormatTlogProof(p).value();
  }

  Result<VerifiedTlogProof> Verify(const std::string& file, uint64_t index) {
    return VerifyTlogProofOfLeaf(file, AsBytes(entries_[index]), *verifier_, kOrigin);
  }

  std::unique_ptr<NoteSigner> signer_;
  std::unique_ptr<NoteVerifier> verifier_;
  std::vector<std::string> entries_;
  MerkleTree tree_;
};

TEST_F(TlogProofTest, ExactLayout) {
  Hash a = HashLeaf(AsBytes("a")), b = HashLeaf(AsBytes("b"));
  TlogProof p{Bytes{'h', 'i'}, 73894, {a, b}, "origin\n1\nroot\n\n\xE2\x80\x94 sig\n"};
  auto text = FormatTlogProof(p);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "c2sp.org/tlog-proof@v1\nextra aGk=\nindex 73894\n" + ToBase64(a) + "\n" +
                       ToBase64(b) + "\n\norigin\n1\nroot\n\n\xE2\x80\x94 sig\n");
  EXPECT_EQ(*ParseTlogProof(*text), p);
  p.extra.reset();
  p.hashes.clear();
  p.index = 0;
  text = FormatTlogProof(p);
  EXPECT_EQ(*text, "c2sp.org/tlog-proof@v1\nindex 0\n\norigin\n1\nroot\n\n\xE2\x80\x94 sig\n");
  EXPECT_EQ(*ParseTlogProof(*text), p);
  p.extra = Bytes{};  // present but empty is kept apart from absent
  text = FormatTlogProof(p);
  EXPECT_NE(text->find("\nextra \n"), std::string::npos);
  EXPECT_EQ(*ParseTlogProof(*text), p);
}

TEST_F(TlogProofTest, VerifiesEveryEntry) {
  for (uint64_t size : {1u, 2u, 5u, 16u, 37u}) {
    for (uint64_t i = 0; i < size; ++i) {
      std::string file =
          ProofFile(i, size, i % 2 ? std::optional<Bytes>(Bytes{1, 2, 3}) : std::nullopt);
      auto v = Verify(file, i);
      ASSERT_TRUE(v.ok()) << i << "@" << size << ": " << v.status().ToString();
      EXPECT_EQ(v->index, i);
      EXPECT_EQ(v->checkpoint.size, size);
      EXPECT_EQ(v->checkpoint.root, *tree_.Root(size));
      EXPECT_EQ(v->extra.has_value(), i % 2 == 1);
      // Someone else's entry with the same file fails.
      ASSERT_EQ(Verify(file, (i + 1) % entries_.size()).status().code(), Code::kCorruption);
    }
  }
}

TEST_F(TlogProofTest, RefusesWrongKeyOriginAndTampering) {
  std::string file = ProofFile(9, 37, Bytes{7});
  ASSERT_TRUE(Verify(file, 9).ok());
  // Another key under the same name, another origin.
  auto other = GenerateNoteKey(kOrigin);
  NoteVerifier other_v = ParseNoteVerifier(other->verifier_key).value();
  EXPECT_EQ(VerifyTlogProofOfLeaf(file, AsBytes(entries_[9]), other_v, kOrigin).status().code(),
            Code::kCorruption);
  EXPECT_EQ(VerifyTlogProofOfLeaf(file, AsBytes(entries_[9]), *verifier_, "custos.example/x")
                .status()
                .code(),
            Code::kCorruption);
  // The index line changed.
  std::string moved = file;
  moved.replace(moved.find("index 9\n"), 8, "index 8\n");
  EXPECT_EQ(Verify(moved, 9).status().code(), Code::kCorruption);
  moved.replace(moved.find("index 8\n"), 8, "index 99\n");
  EXPECT_EQ(Verify(moved, 9).status().code(), Code::kInvalidArgument);  // index >= size
  // A proof hash replaced by another valid hash.
  std::string swapped = file;
  size_t first_hash = swapped.find("index 9\n") + 8;
  swapped.replace(first_hash, 44, ToBase64(HashLeaf(AsBytes("x"))));
  EXPECT_EQ(Verify(swapped, 9).status().code(), Code::kCorruption);
  // The checkpoint of another size: its root does not match the path.
  TlogProof p = ParseTlogProof(file).value();
  p.checkpoint = SignedCheckpoint(36);
  EXPECT_EQ(Verify(FormatTlogProof(p).value(), 9).status().code(), Code::kCorruption);
  // The extra data is not authenticated: changing it keeps the proof valid
  // and the caller sees the new value.
  p = ParseTlogProof(file).value();
  p.extra = Bytes{8, 8};
  auto v = Verify(FormatTlogProof(p).value(), 9);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v->extra, (Bytes{8, 8}));
}

TEST_F(TlogProofTest, ParseIsStrict) {
  std::string cp = SignedCheckpoint(37);
  std::string h = ToBase64(HashLeaf(AsBytes("h")));
  std::string head(kTlogProofHeader);
  std::string good = head + "\nindex 3\n" + h + "\n\n" + cp;
  ASSERT_TRUE(ParseTlogProof(good).ok());
  std::string many;
  for (int i = 0; i < 65; ++i) many += h + "\n";
  for (const std::string& bad : std::vector<std::string>{
           "",
           head,
           head + "\n",
           "c2sp.org/tlog-proof@v2\nindex 3\n\n" + cp,
           head + " \nindex 3\n\n" + cp,
           head + "\r\nindex 3\n\n" + cp,
           head + "\nindex 03\n\n" + cp,
           head + "\nindex -3\n\n" + cp,
           head + "\nindex  3\n\n" + cp,
           head + "\nindex\n\n" + cp,
           head + "\nindex 18446744073709551616\n\n" + cp,
           head + "\nIndex 3\n\n" + cp,
           head + "\n\n" + cp,
           head + "\nextra !!\nindex 3\n\n" + cp,
           head + "\nextra aGk\nindex 3\n\n" + cp,
           head + "\nextra aGk=\nextra aGk=\nindex 3\n\n" + cp,
           head + "\nindex 3\nextra aGk=\n\n" + cp,
           head + "\nextraaGk=\nindex 3\n\n" + cp,
           head + "\nindex 3\n" + h.substr(0, 43) + "\n\n" + cp,
           head + "\nindex 3\n" + ToBase64(Bytes(31, 1)) + "\n\n" + cp,
           head + "\nindex 3\n" + ToBase64(Bytes(33, 1)) + "\n\n" + cp,
           head + "\nindex 3\n" + h + " \n\n" + cp,
           head + "\nindex 3\n" + many + "\n" + cp,
           head + "\nindex 3\n" + h + "\n",
           head + "\nindex 3\n" + h + "\n" + cp,  // no blank line: the checkpoint reads as hashes
           head + "\nindex 3\n\n",
           head + "\nindex 3\n\n" + cp.substr(0, cp.size() - 1),
       }) {
    EXPECT_EQ(ParseTlogProof(bad).status().code(), Code::kInvalidArgument) << bad;
  }
  // 64 hashes is the limit, not an error.
  std::string sixty_four;
  for (int i = 0; i < 64; ++i) sixty_four += h + "\n";
  EXPECT_TRUE(ParseTlogProof(head + "\nindex 3\n" + sixty_four + "\n" + cp).ok());
  TlogProof too_many{std::nullopt, 0, std::vector<Hash>(65), cp};
  EXPECT_EQ(FormatTlogProof(too_many).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace custos::journal
