// Mutation tests for every parser of the journal's text formats: valid keys,
// notes, checkpoints and tlog-proof files are damaged at random (bit flips,
// truncation, inserted, deleted, duplicated and swapped bytes and lines) a
// few thousand times each. The parsers must never crash (run this under
// ASan/UBSan), and anything they accept must either mean exactly what the
// original meant (signed content) or re-encode to the very same bytes
// (unsigned structure: one spelling per value).
#include <gtest/gtest.h>

#include <random>

#include "journal/checkpoint.h"
#include "journal/note.h"
#include "journal/text_format.h"
#include "journal/tlog_proof.h"

namespace custos::journal {
namespace {

constexpr int kIterations = 3000;

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  std::string operator()(const std::string& in) {
    std::string s = in;
    int edits = 1 + static_cast<int>(rng_() % 3);
    for (int e = 0; e < edits; ++e) Edit(s);
    return s;
  }

 private:
  size_t Pos(const std::string& s) { return s.empty() ? 0 : rng_() % (s.size() + 1); }

  char Interesting() {
    static const char kBytes[] = {'\n',   ' ',    '+',    '=',    '/',  '0',    '9',
                                  'A',    'a',    '\0',   '\r',   '\t', '\x7f', '\xe2',
                                  '\x80', '\x94', '\xff', '\xc0', '-'};
    if (rng_() % 2) return kBytes[rng_() % sizeof kBytes];
    return static_cast<char>(rng_());
  }

  void Edit(std::string& s) {
    switch (rng_() % 8) {
      case 0:  // flip one bit
        if (!s.empty()) s[rng_() % s.size()] ^= static_cast<char>(1 << (rng_() % 8));
        break;
      case 1:  // truncate
        s.resize(s.empty() ? 0 : rng_() % s.size());
        break;
      case 2:  // insert bytes
        for (int n = 1 + static_cast<int>(rng_() % 4); n > 0; --n)
          s.insert(Pos(s), 1, Interesting());
        break;
      case 3: {  // delete a range
        if (s.empty()) break;
        size_t at = rng_() % s.size();
        s.erase(at, 1 + rng_() % std::min<size_t>(8, s.size() - at));
        break;
      }
      case 4: {  // overwrite a byte
        if (!s.empty()) s[rng_() % s.size()] = Interesting();
        break;
      }
      case 5: {  // duplicate a line
        std::vector<std::string> lines = Lines(s);
        if (lines.empty()) break;
        size_t i = rng_() % lines.size();
        lines.insert(lines.begin() + static_cast<ptrdiff_t>(i), lines[i]);
        s = Join(lines);
        break;
      }
      case 6: {  // swap two lines
        std::vector<std::string> lines = Lines(s);
        if (lines.size() < 2) break;
        std::swap(lines[rng_() % lines.size()], lines[rng_() % lines.size()]);
        s = Join(lines);
        break;
      }
      default: {  // drop a line
        std::vector<std::string> lines = Lines(s);
        if (lines.empty()) break;
        lines.erase(lines.begin() + static_cast<ptrdiff_t>(rng_() % lines.size()));
        s = Join(lines);
        break;
      }
    }
  }

  static std::vector<std::string> Lines(const std::string& s) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t nl = s.find('\n', pos);
      if (nl == std::string::npos) nl = s.size() - 1;
      out.push_back(s.substr(pos, nl - pos + 1));
      pos = nl + 1;
    }
    return out;
  }
  static std::string Join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l;
    return out;
  }

  std::mt19937_64 rng_;
};

struct Fixture {
  NoteKeyPair log_pair, witness_pair;
  NoteSigner log;
  NoteVerifier log_v;
  NoteSigner witness;
  Checkpoint checkpoint;
  std::string signed_checkpoint;
  std::string leaf = "entry 5";
  std::string proof_file;

  static Fixture Make() {
    auto lp = GenerateNoteKey("custos.example/audit").value();
    auto wp = GenerateNoteKey("witness.example").value();
    NoteSigner log = ParseNoteSigner(lp.signer_key).value();
    NoteSigner witness = ParseNoteSigner(wp.signer_key).value();
    NoteVerifier log_v = ParseNoteVerifier(lp.verifier_key).value();
    MerkleTree tree;
    for (int i = 0; i < 11; ++i) tree.Append(HashLeaf(AsBytes("entry " + std::to_string(i))));
    Checkpoint cp{"custos.example/audit", 11, *tree.Root(11), {}};
    const NoteSigner* both[] = {&log, &witness};
    std::string signed_cp = SignNote(FormatCheckpoint(cp).value(), both).value();
    TlogProof p{Bytes{1, 2, 3}, 5, *tree.InclusionProof(5, 11), signed_cp};
    std::string file = FormatTlogProof(p).value();
    return Fixture{
        lp,        wp,  std::move(log), std::move(log_v), std::move(witness), cp, signed_cp,
        "entry 5", file};
  }
};

TEST(ParseFuzz, VerifierAndSignerKeys) {
  Fixture f = Fixture::Make();
  Mutator mutate(1);
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string vkey = mutate(f.log_pair.verifier_key);
    auto v = ParseNoteVerifier(vkey);
    if (v.ok()) {
      ++accepted;
      ASSERT_EQ(v->Encode(), vkey) << "accepted a second spelling of a verifier key";
    }
    std::string skey = mutate(f.log_pair.signer_key);
    auto s = ParseNoteSigner(skey);
    if (s.ok()) {
      ASSERT_EQ(skey, f.log_pair.signer_key) << "accepted a damaged signer key";
    }
  }
  EXPECT_LT(accepted, kIterations / 10);
}

TEST(ParseFuzz, SignedNotes) {
  Fixture f = Fixture::Make();
  std::string text = "line one\n\nline three \xC3\xA9\n";
  const NoteSigner* both[] = {&f.log, &f.witness};
  std::string note = SignNote(text, both).value();
  Mutator mutate(2);
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string m = mutate(note);
    auto opened = OpenNote(m, std::span(&f.log_v, 1));
    if (opened.ok()) {
      ++accepted;
      ASSERT_EQ(opened->text, text) << "a damaged note verified with other text:\n" << m;
      ASSERT_EQ(opened->verified.size(), 1u);
    }
  }
  // Changes to the witness line alone keep the note valid; that is allowed.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, kIterations / 2);
}

TEST(ParseFuzz, CheckpointText) {
  Fixture f = Fixture::Make();
  Checkpoint with_ext = f.checkpoint;
  with_ext.extensions = {"ext"};
  std::string body = FormatCheckpoint(with_ext).value();
  Mutator mutate(3);
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string m = mutate(body);
    auto c = ParseCheckpoint(m);
    if (c.ok()) {
      ++accepted;
      auto again = FormatCheckpoint(*c);
      ASSERT_TRUE(again.ok());
      ASSERT_EQ(*again, m) << "a checkpoint text with a second spelling was accepted";
    }
  }
  EXPECT_GT(accepted, 0);
}

TEST(ParseFuzz, SignedCheckpoints) {
  Fixture f = Fixture::Make();
  Mutator mutate(4);
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string m = mutate(f.signed_checkpoint);
    auto c = OpenCheckpoint(m, f.log_v, f.checkpoint.origin);
    if (c.ok()) {
      ++accepted;
      ASSERT_EQ(*c, f.checkpoint) << m;
    }
  }
  EXPECT_GT(accepted, 0);  // damage to the witness line is ignored
}

TEST(ParseFuzz, TlogProofFiles) {
  Fixture f = Fixture::Make();
  ASSERT_TRUE(
      VerifyTlogProofOfLeaf(f.proof_file, AsBytes(f.leaf), f.log_v, f.checkpoint.origin).ok());
  Mutator mutate(5);
  int parsed = 0, verified = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string m = mutate(f.proof_file);
    auto p = ParseTlogProof(m);
    if (p.ok()) {
      ++parsed;
      auto again = FormatTlogProof(*p);
      ASSERT_TRUE(again.ok());
      ASSERT_EQ(*again, m) << "a tlog-proof with a second spelling was accepted";
    }
    auto v = VerifyTlogProofOfLeaf(m, AsBytes(f.leaf), f.log_v, f.checkpoint.origin);
    if (v.ok()) {
      ++verified;
      ASSERT_EQ(v->index, 5u);
      ASSERT_EQ(v->checkpoint, f.checkpoint);
    }
    // Nothing damaged proves another entry.
    ASSERT_FALSE(VerifyTlogProofOfLeaf(m, AsBytes("entry 6"), f.log_v, f.checkpoint.origin).ok());
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(verified, 0);  // damage to the extra line or the witness line
  EXPECT_LT(verified, kIterations / 2);
}

TEST(ParseFuzz, TextPrimitives) {
  std::mt19937_64 rng(6);
  for (int i = 0; i < kIterations * 3; ++i) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? "0123456789+/=A"[rng() % 14] : rng());
    auto d = ParseDecimal(s, "x");
    if (d.ok()) {
      ASSERT_EQ(std::to_string(*d), s);
    }
    auto b = DecodeBase64Strict(s, "x");
    if (b.ok()) {
      ASSERT_EQ(ToBase64(*b), s);
    }
    IsValidKeyName(s);
    IsNoteSafeText(s);
  }
}

}  // namespace
}  // namespace custos::journal
