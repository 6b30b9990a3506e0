#include "journal/note.h"

#include <gtest/gtest.h>

#include "journal/text_format.h"

namespace custos::journal {
namespace {

// Known answers from golang.org/x/mod/sumdb/note (note_test.go and the
// package documentation). Ed25519 is deterministic, so signing must
// reproduce the published signature byte for byte.
constexpr std::string_view kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterB64 =
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
constexpr std::string_view kEnochB64 =
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=";

std::string PeterSig() { return "\xE2\x80\x94 PeterNeumann " + std::string(kPeterB64) + "\n"; }
std::string EnochSig() { return "\xE2\x80\x94 EnochRoot " + std::string(kEnochB64) + "\n"; }

NoteVerifier Verifier(std::string_view vkey) {
  auto v = ParseNoteVerifier(vkey);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return std::move(v).value();
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(NoteKeys, GoReferenceKeys) {
  auto signer = ParseNoteSigner(kPeterSkey);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(signer->key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer->Verifier().Encode(), kPeterVkey);
  NoteVerifier v = Verifier(kPeterVkey);
  EXPECT_EQ(v.name(), "PeterNeumann");
  EXPECT_EQ(v.key_id(), 0xc74f20a3u);
  EXPECT_EQ(v.Encode(), kPeterVkey);
  EXPECT_EQ(
      NoteKeyId("PeterNeumann", FromBase64("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").value()),
      0xc74f20a3u);
}

TEST(NoteKeys, EveryManglingOfTheReferenceKeysIsRefused) {
  // As in Go's TestNewVerifier / TestNewSigner: every proper substring and
  // every single-byte increment must fail to parse.
  for (std::string_view key : {kPeterVkey, kPeterSkey}) {
    bool is_signer = key == kPeterSkey;
    auto parses = [&](std::string_view k) {
      return is_signer ? ParseNoteSigner(k).ok() : ParseNoteVerifier(k).ok();
    };
    for (size_t i = 0; i <= key.size(); ++i) {
      for (size_t j = i + 1; j <= key.size(); ++j) {
        if (i == 0 && j == key.size()) continue;
        ASSERT_FALSE(parses(key.substr(i, j - i))) << key.substr(i, j - i);
      }
    }
    std::string b(key);
    for (size_t i = 0; i < b.size(); ++i) {
      b[i]++;
      ASSERT_FALSE(parses(b)) << b;
      b[i]--;
    }
  }
  // Wrong key length and unknown algorithm, each with a matching key ID.
  EXPECT_EQ(ParseNoteVerifier(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
                .status()
                .code(),
            Code::kInvalidArgument);
  auto alg =
      ParseNoteVerifier("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  EXPECT_NE(alg.status().message().find("algorithm"), std::string::npos) << alg.status().ToString();
}

TEST(NoteKeys, ErrorsNeverEchoTheSecret) {
  std::string bad(kPeterSkey);
  bad.back() = '!';
  auto s = ParseNoteSigner(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find("AYEKFALV"), std::string::npos) << s.status().ToString();
  std::string wrong_id(kPeterSkey);
  wrong_id.replace(wrong_id.find("c74f20a3"), 8, "c74f20a4");
  s = ParseNoteSigner(wrong_id);
  EXPECT_NE(s.status().message().find("key ID does not match"), std::string::npos);
  EXPECT_EQ(s.status().message().find("AYEKFALV"), std::string::npos);
}

TEST(NoteKeys, GeneratedKeysRoundTrip) {
  auto pair = GenerateNoteKey("custos.example/log");
  ASSERT_TRUE(pair.ok());
  auto signer = ParseNoteSigner(pair->signer_key);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  NoteVerifier v = Verifier(pair->verifier_key);
  EXPECT_EQ(signer->Verifier().Encode(), pair->verifier_key);
  EXPECT_EQ(v.key_id(), signer->key_id());
  auto note = SignNote("hello\n", *signer);
  ASSERT_TRUE(note.ok());
  auto opened = OpenNote(*note, std::span(&v, 1));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, "hello\n");
  // A second key never verifies the first one's signature.
  auto other = GenerateNoteKey("custos.example/log");
  ASSERT_NE(other->verifier_key, pair->verifier_key);
  NoteVerifier ov = Verifier(other->verifier_key);
  EXPECT_FALSE(OpenNote(*note, std::span(&ov, 1)).ok());
}

TEST(NoteKeys, KeyNameRules) {
  for (std::string_view bad : {"", "a b", "a+b", "a\tb", "a\nb", "tab\x01", "nbsp\xC2\xA0x",
                               "ideographic\xE3\x80\x80space", "en\xE2\x80\x82quad", "\xFF",
                               "\xC0\xAF", "line\xE2\x80\xA8sep"}) {
    EXPECT_FALSE(IsValidKeyName(bad)) << bad;
    EXPECT_EQ(GenerateNoteKey(bad).status().code(), Code::kInvalidArgument) << bad;
  }
  for (std::string_view good : {"a", "example.com/log42", "sum.golang.org", "caf\xC3\xA9"}) {
    EXPECT_TRUE(IsValidKeyName(good)) << good;
    EXPECT_TRUE(GenerateNoteKey(good).ok()) << good;
  }
}

TEST(Note, SignReproducesTheGoVector) {
  auto signer = ParseNoteSigner(kPeterSkey);
  ASSERT_TRUE(signer.ok());
  auto note = SignNote(kText, *signer);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(*note, std::string(kText) + "\n" + PeterSig());
  // Several signers: one line each, in order.
  auto enoch = GenerateNoteKey("EnochRoot");
  auto enoch_signer = ParseNoteSigner(enoch->signer_key);
  const NoteSigner* both[] = {&*signer, &*enoch_signer};
  auto two = SignNote(kText, both);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->substr(0, kText.size() + 1 + PeterSig().size()),
            std::string(kText) + "\n" + PeterSig());
}

TEST(Note, SignRefusesBadText) {
  auto signer = ParseNoteSigner(kPeterSkey);
  for (std::string_view bad : {"abc", "", "tab\there\n", "bad utf8 \xFF\n", "cr\r\n"}) {
    EXPECT_EQ(SignNote(bad, *signer).status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(SignNote("x\n", std::span<const NoteSigner* const>{}).status().code(),
            Code::kInvalidArgument);
  // Empty lines inside the text are allowed.
  auto note = SignNote("a\n\nb\n", *signer);
  ASSERT_TRUE(note.ok());
  NoteVerifier v = Verifier(kPeterVkey);
  auto opened = OpenNote(*note, std::span(&v, 1));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, "a\n\nb\n");
}

TEST(Note, OpenGoVectors) {
  NoteVerifier peter = Verifier(kPeterVkey), enoch = Verifier(kEnochVkey);
  std::string msg = std::string(kText) + "\n" + PeterSig() + EnochSig();

  auto n = OpenNote(msg, std::span(&peter, 1));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->text, kText);
  ASSERT_EQ(n->verified.size(), 1u);
  EXPECT_EQ(n->verified[0].name, "PeterNeumann");
  EXPECT_EQ(n->verified[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(n->verified[0].base64, kPeterB64);
  ASSERT_EQ(n->unverified.size(), 1u);
  EXPECT_EQ(n->unverified[0].name, "EnochRoot");
  EXPECT_EQ(n->unverified[0].key_id, 0xaf0cfe78u);

  NoteVerifier both[] = {peter, enoch};
  n = OpenNote(msg, both);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->verified.size(), 2u);
  EXPECT_TRUE(n->unverified.empty());

  // No known key.
  auto none = OpenNote(msg, {});
  EXPECT_EQ(none.status().code(), Code::kCorruption);
  EXPECT_NE(none.status().message().find("not signed by any known key"), std::string::npos);

  // The same key listed twice is harmless; two keys sharing name and ID are not.
  NoteVerifier dup[] = {enoch, peter, enoch};
  EXPECT_TRUE(OpenNote(std::string(kText) + "\n" + PeterSig(), dup).ok());
  auto fake = NoteVerifier::FromEd25519("EnochRoot", peter.public_key());
  ASSERT_TRUE(fake.ok());
  EXPECT_NE(fake->key_id(), enoch.key_id());  // the ID commits to the key
}

// The verifier-key example of the C2SP signed-note specification.
TEST(Note, OpenC2spExample) {
  NoteVerifier v =
      Verifier("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  std::string note =
      "This is an example message.\n\n"
      "\xE2\x80\x94 example.com/foo "
      "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
      "\n";
  auto opened = OpenNote(note, std::span(&v, 1));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, "This is an example message.\n");
}

TEST(Note, OpenRefusesMalformedNotes) {
  NoteVerifier peter = Verifier(kPeterVkey);
  std::string text(kText), sig = PeterSig();
  auto open = [&](const std::string& m) { return OpenNote(m, std::span(&peter, 1)); };

  // Go's badMsgs table.
  for (const std::string& bad :
       {text, text + "\n", text + "\n" + sig.substr(0, sig.size() - 1), "\x01" + text + "\n" + sig,
        "\xFF" + text + "\n" + sig, text + "\n" + "\xE2\x80\x94 Bad Name " + std::string(kPeterB64),
        text + "\n" + sig + "Unexpected line.\n"}) {
    EXPECT_EQ(open(bad).status().code(), Code::kInvalidArgument) << bad;
  }
  // More than 100 signatures, verified or not.
  EXPECT_EQ(open(text + "\n" + Repeat(sig, 101)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenNote(text + "\n" + Repeat(sig, 101), {}).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(open(text + "\n" + Repeat(sig, 100)).ok());
  // Other malformations.
  for (const std::string& bad : {
           text + "\n" + "- PeterNeumann " + std::string(kPeterB64) + "\n",  // hyphen
           text + "\n" + "\xE2\x80\x94PeterNeumann " + std::string(kPeterB64) + "\n",
           text + "\n" + "\xE2\x80\x94 PeterNeumann\n",       // no signature
           text + "\n" + "\xE2\x80\x94 PeterNeumann \n",      // empty signature
           text + "\n" + "\xE2\x80\x94 PeterNeumann AAAA\n",  // 3 bytes
           text + "\n" + "\xE2\x80\x94 PeterNeumann " + std::string(kPeterB64.substr(0, 91)) +
               "\n",  // unpadded
           text + "\n" + "\xE2\x80\x94 Peter+Neumann " + std::string(kPeterB64) + "\n",
           text + "\n" + "\xE2\x80\x94 PeterNeumann  " + std::string(kPeterB64) + "\n",
           text + "\n" + "\xE2\x80\x94 PeterNeumann " + std::string(kPeterB64) + "\r\n",
           "\n\n" + sig + "\n",  // the last blank line leaves no signature
           std::string("no newline at all"),
       }) {
    EXPECT_EQ(open(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(Note, OpenRefusesBadSignaturesFromKnownKeys) {
  NoteVerifier peter = Verifier(kPeterVkey);
  std::string text(kText), sig = PeterSig();
  auto open = [&](const std::string& m) { return OpenNote(m, std::span(&peter, 1)); };
  // Go's invalid-signature case: four extra base64 characters.
  auto bad = open(text + "\n" + sig.substr(0, 60) + "ABCD" + sig.substr(60));
  EXPECT_EQ(bad.status().code(), Code::kCorruption);
  EXPECT_NE(bad.status().message().find("PeterNeumann+c74f20a3"), std::string::npos);
  // Any change to the text.
  std::string changed = text;
  changed[3] = 'Y';
  EXPECT_EQ(open(changed + "\n" + sig).status().code(), Code::kCorruption);
  EXPECT_EQ(open("x" + text + "\n" + sig).status().code(), Code::kCorruption);
  // A valid signature followed by a bad one from the same key: refused (the
  // Go reference checks only the first line of a key; every line is checked
  // here).
  std::string flipped = sig;
  flipped[sig.size() - 6] = flipped[sig.size() - 6] == 'A' ? 'B' : 'A';
  EXPECT_EQ(open(text + "\n" + sig + flipped).status().code(), Code::kCorruption);
  // Identical repeated lines are fine and reported once.
  auto twice = open(text + "\n" + sig + sig + EnochSig() + EnochSig());
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->verified.size(), 1u);
  EXPECT_EQ(twice->unverified.size(), 1u);
  // A known name with an unknown key ID, or an unknown name with a known
  // key ID, is somebody else's key: ignored, so the note is unverified.
  std::string misnamed =
      text + "\n" + "\xE2\x80\x94 CarmenSandiego " + std::string(kPeterB64) + "\n";
  EXPECT_EQ(open(misnamed).status().code(), Code::kCorruption);
  auto other_id = FromBase64(kPeterB64).value();
  other_id[0] ^= 1;
  std::string wrong_id = text + "\n" + "\xE2\x80\x94 PeterNeumann " + ToBase64(other_id) + "\n";
  auto w = open(wrong_id);
  EXPECT_EQ(w.status().code(), Code::kCorruption);
  EXPECT_NE(w.status().message().find("not signed by any known key"), std::string::npos);
}

}  // namespace
}  // namespace custos::journal
